// Runs blocking work (SQLite, scrypt, RSA) on a pool so it cannot stall other connections, and
// resumes the calling coroutine on its own executor with the result.
#pragma once
#include <asio.hpp>
#include <type_traits>

namespace mss {

template <class F>
asio::awaitable<std::invoke_result_t<F>> run_blocking(asio::thread_pool& pool, F work) {
    using R = std::invoke_result_t<F>;
    co_return co_await asio::co_spawn(
        pool, [work = std::move(work)]() mutable -> asio::awaitable<R> { co_return work(); }, asio::use_awaitable);
}

}  // namespace mss
