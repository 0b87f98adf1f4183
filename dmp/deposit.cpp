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
        auto filed = provide_all({BundleFrom{&bundle, by}});
        if (!filed) return filed.error();
        return std::move(filed->front());
    }

    Result<std::vector<DepositOutcome>> provide_all(const std::vector<BundleFrom>& bundles) override {
        std::vector<Submission> submissions;
        for (const auto& b : bundles) submissions.push_back({&b.bundle->deposits, b.by, &b.bundle->list});
        auto filed = dmp_.deposit_all(submissions);
        if (!filed) {
            log::error(kWhere, "DMP database: {}", filed.error().message);
            return filed;
        }
        for (std::size_t i = 0; i < filed->size(); ++i) log_outcome((*filed)[i], bundles[i].by);
        return filed;
    }

private:
    static void log_outcome(const DepositOutcome& filed, const Actor& by) {
        if (auto* refusal = std::get_if<Refusal>(&filed)) {
            log::info(kWhere, "ITI-65 from {} refused: {} ({})", log::sanitize(by.id), log::sanitize(refusal->message),
                      static_cast<int>(refusal->ack));
            return;
        }
        for (const auto& r : std::get<std::vector<DepositReceipt>>(filed))
            log::info(kWhere, "ITI-65 from {}: {} {}{}", log::sanitize(by.id), r.id, r.duplicate ? "already filed" : "filed",
                      r.superseded.empty() ? "" : ", replaces " + r.superseded);
    }

    Dmp& dmp_;
};

}  // namespace

std::unique_ptr<DmpDeposit> embedded_deposit(Dmp& dmp) { return std::make_unique<EmbeddedDeposit>(dmp); }

}  // namespace mss::dmp
