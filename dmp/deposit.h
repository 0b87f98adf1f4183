// Where a provided document bundle (ITI-65) goes once it is read: the one path by which both the
// PDSm HTTP route and the mail filing deposit documents. DmpDeposit is a sink, so that a remote PDSm
// server (an HTTP ITI-65 client) can take the embedded DMP's place by configuration; the embedded
// one calls dmp::Dmp in process. Trusts its caller to have identified the actor.
#pragma once
#include <memory>

#include "dmp/dmp.h"
#include "dmp/pdsm_request.h"

namespace mss::dmp {

// One sender's bundle among several provided together.
struct BundleFrom {
    const ProvideBundle* bundle = nullptr;
    Actor by{};
};

class DmpDeposit {
public:
    virtual ~DmpDeposit() = default;
    // Several bundles at once (the filing worker's due jobs): one outcome each, in order, each
    // bundle filed or refused on its own; an Error is a temporary failure of them all.
    virtual Result<std::vector<DepositOutcome>> provide_all(const std::vector<BundleFrom>& bundles) = 0;
    // All the bundle's documents filed (or recognised as duplicates), or the refusal of the first that
    // could not be (its CI-SIS code); an Error is a temporary failure (the caller may try again).
    virtual Result<DepositOutcome> provide(const ProvideBundle& bundle, const Actor& by) = 0;
};

// The embedded DMP: Dmp::deposit in one transaction, each receipt and refusal logged.
std::unique_ptr<DmpDeposit> embedded_deposit(Dmp& dmp);

}  // namespace mss::dmp
