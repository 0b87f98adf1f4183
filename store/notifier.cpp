// Change notifications: a folder id -> callbacks table behind one mutex. Trusts its callers to keep
// callbacks short (they run under the lock, on the committing thread).
#include "store/notifier.h"

namespace mss::store {

ChangeNotifier::Watch ChangeNotifier::watch(int64_t folder_id, std::function<void()> callback) {
    uint64_t key = 0;
    {
        std::lock_guard lock(mutex_);
        key = ++next_key_;
        watchers_.emplace(folder_id, std::pair{key, std::move(callback)});
    }
    return Watch(nullptr, [this, folder_id, key](void*) { forget(folder_id, key); });
}

void ChangeNotifier::changed(int64_t folder_id) {
    std::lock_guard lock(mutex_);
    auto [first, last] = watchers_.equal_range(folder_id);
    for (auto it = first; it != last; ++it) it->second.second();
}

void ChangeNotifier::forget(int64_t folder_id, uint64_t key) {
    std::lock_guard lock(mutex_);
    auto [first, last] = watchers_.equal_range(folder_id);
    for (auto it = first; it != last; ++it)
        if (it->second.first == key) {
            watchers_.erase(it);
            return;
        }
}

}  // namespace mss::store
