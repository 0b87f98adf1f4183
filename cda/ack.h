// The CI-SIS application acknowledgement codes (domain.md section 4) and the refusal value every
// cda/ reader and check returns: a code the acknowledgement carries, and a reason for the log.
// Shared by cda/ (903, 905, 906) and the DMP (900, 901, 902, 904). Holds data only.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mss::cda {

enum class AckCode {
    WrongVersion = 900,      // wrong document version on replace or delete
    AuthorNotAllowed = 901,  // the author may not replace or delete this document
    UnknownPatient = 902,    // no DMP for this patient identifier
    InsMissing = 903,        // no INS in the document (none, or an identifier that is not an INS)
    InsMismatch = 904,       // the INS or its traits differ from the DMP's
    InsIncomplete = 905,     // an INS that cannot be used as given: bad key, traits missing
    Other = 906,             // anything else: unreadable archive or document, rules broken
};

// The label the acknowledgement prints after the code (Disposition "processed/Error: 903^<label>").
std::string_view ack_label(AckCode code);

struct Refusal {
    AckCode code;
    std::string reason;  // for the log and the human-readable part; never parsed
};

inline Refusal refuse(AckCode code, std::string reason) { return Refusal{code, std::move(reason)}; }

// A value or the refusal that stopped it.
template <class T>
class [[nodiscard]] Outcome {
public:
    Outcome(T value) : v_(std::move(value)) {}
    Outcome(Refusal refusal) : v_(std::move(refusal)) {}
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Refusal& refusal() const { return std::get<1>(v_); }

private:
    std::variant<T, Refusal> v_;
};

}  // namespace mss::cda
