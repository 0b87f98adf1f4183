// The embedded DmpDeposit (see deposit.h): the documents of one bundle handed to Dmp::deposit, and
// the operator log lines of what it decided, the same for the HTTP route and the mail filing.
#include "dmp/deposit.h"

#include "core/log.h"

namespace mss::dmp {
namespace {

constexpr const char* kWhere = "dmp";

class EmbeddedDeposit final : public DmpDeposit {
public:
    explicit EmbeddedDeposit(Dmp& dmp) : dmp_(dmp) {}

    Result<DepositOutcome> provide(const ProvideBundle& bundle, const Actor& by) override {
        auto filed = dmp_.deposit(bundle.deposits, by);
        if (!filed) {
            log::error(kWhere, "DMP database: {}", filed.error().message);
            return filed;
        }
        if (auto* refusal = std::get_if<Refusal>(&*filed)) {
            log::info(kWhere, "ITI-65 from {} refused: {} ({})", log::sanitize(by.id), log::sanitize(refusal->message),
                      static_cast<int>(refusal->ack));
            return filed;
        }
        for (const auto& r : std::get<std::vector<DepositReceipt>>(*filed))
            log::info(kWhere, "ITI-65 from {}: {} {}{}", log::sanitize(by.id), r.id, r.duplicate ? "already filed" : "filed",
                      r.superseded.empty() ? "" : ", replaces " + r.superseded);
        return filed;
    }

private:
    Dmp& dmp_;
};

}  // namespace

std::unique_ptr<DmpDeposit> embedded_deposit(Dmp& dmp) { return std::make_unique<EmbeddedDeposit>(dmp); }

}  // namespace mss::dmp
