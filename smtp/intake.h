// The spool step of a message's path: hands an accepted message to the group committer and
// resumes the session only once it is durable. Trusts the session to have checked the recipients.
#pragma once
#include <asio.hpp>
#include <memory>

#include "store/group_commit.h"

namespace mss::smtp {

template <class Token>
auto async_deliver(store::GroupCommitter& committer, store::Delivery delivery, Token&& token) {
    using Outcome = Result<store::DeliveryOutcome>;
    return asio::async_initiate<Token, void(Outcome)>(
        [&committer](auto handler, store::Delivery d) {
            auto executor = asio::get_associated_executor(handler);
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            committer.submit(std::move(d), [shared, executor](Outcome outcome) {
                asio::post(executor, [shared, outcome = std::move(outcome)]() mutable { (*shared)(std::move(outcome)); });
            });
        },
        token, std::move(delivery));
}

}  // namespace mss::smtp
