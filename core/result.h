// Errors as values: every fallible call returns Result<T>, whose Error names a kind callers can map
// to a protocol reply (SMTP enhanced status code, IMAP response code). Trusts nothing; holds data only.
#pragma once
#include <string>
#include <utility>
#include <variant>

namespace mss {

enum class ErrorKind {
    NotFound,      // no such account, mailbox, message
    Disabled,      // the account exists but is disabled
    Exists,        // creating something that already exists
    Invalid,       // input rejected by a check (syntax, policy)
    Denied,        // authenticated but not allowed
    OverQuota,     // the mailbox would exceed its quota
    Io,            // disk, database or system failure: temporary for the peer
};

struct Error {
    ErrorKind kind;
    std::string message;
};

template <class T>
class [[nodiscard]] Result {
public:
    Result() : v_(Error{ErrorKind::Io, "uninitialised result"}) {}
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

inline Error fail(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }

}  // namespace mss
