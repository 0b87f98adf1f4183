// Change notifications: the store tells whoever watches a folder (IMAP sessions in IDLE, or waiting
// for their next command) that it changed, right after the change is committed. Thread-safe; a
// callback runs on the committing thread and must only hand work elsewhere (post, a flag).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace mss::store {

class ChangeNotifier {
public:
    // Keep the handle for as long as the callback may run; dropping it stops the notifications.
    using Watch = std::shared_ptr<void>;

    Watch watch(int64_t folder_id, std::function<void()> callback);
    void changed(int64_t folder_id);

private:
    void forget(int64_t folder_id, uint64_t key);

    std::mutex mutex_;
    uint64_t next_key_ = 0;
    std::multimap<int64_t, std::pair<uint64_t, std::function<void()>>> watchers_;
};

}  // namespace mss::store
