// Runs blocking work (SQLite, scrypt, RSA) on a pool so it cannot stall other connections, and
// resumes the caller on its own executor with the result. No coroutine frames are made here:
// GCC 12 mishandles class-typed temporaries passed into co_spawn'ed coroutines.
#pragma once
#include <asio.hpp>
#include <type_traits>

namespace mss {

template <class F, class Token = asio::use_awaitable_t<>>
auto run_blocking(asio::thread_pool& pool, F work, Token&& token = {}) {
    using R = std::invoke_result_t<F>;
    return asio::async_initiate<Token, void(R)>(
        [&pool](auto handler, F work) {
            asio::post(pool, [handler = std::move(handler), work = std::move(work)]() mutable {
                R result = work();
                auto executor = asio::get_associated_executor(handler);
                asio::post(executor, [handler = std::move(handler), result = std::move(result)]() mutable {
                    handler(std::move(result));
                });
            });
        },
        token, std::move(work));
}

}  // namespace mss
