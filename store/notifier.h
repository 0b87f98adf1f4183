// Change notifications: the store tells whoever watches a folder (IMAP sessions in IDLE, or waiting
// for their next command, or asking NOTIFY) that it changed, right after the change is committed;
// also an account's folder list or subscriptions, and a folder's (0: the server's) annotations.
// Thread-safe; a callback runs on the committing thread and must only hand work elsewhere (post, a flag).
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
    // What changed: a folder's messages (by folder id), an account's folders or subscriptions (by
    // account id), a folder's annotations (by folder id; 0 for the server's).
    enum class Topic : uint8_t { Folder, AccountFolders, Annotations };

    Watch watch(int64_t folder_id, std::function<void()> callback) { return watch(Topic::Folder, folder_id, std::move(callback)); }
    void changed(int64_t folder_id) { changed(Topic::Folder, folder_id); }
    Watch watch(Topic topic, int64_t id, std::function<void()> callback);
    void changed(Topic topic, int64_t id);

private:
    using Key = std::pair<Topic, int64_t>;
    void forget(Key what, uint64_t key);

    std::mutex mutex_;
    uint64_t next_key_ = 0;
    std::multimap<Key, std::pair<uint64_t, std::function<void()>>> watchers_;
};

}  // namespace mss::store
