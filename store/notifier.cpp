// Change notifications: a (topic, id) -> callbacks table behind one mutex. Trusts its callers to keep
// callbacks short (they run under the lock, on the committing thread).
#include "store/notifier.h"

namespace mss::store {

ChangeNotifier::Watch ChangeNotifier::watch(Topic topic, int64_t id, std::function<void()> callback) {
    uint64_t key = 0;
    Key what{topic, id};
    {
        std::lock_guard lock(mutex_);
        key = ++next_key_;
        watchers_.emplace(what, std::pair{key, std::move(callback)});
    }
    return Watch(nullptr, [this, what, key](void*) { forget(what, key); });
}

void ChangeNotifier::changed(Topic topic, int64_t id) {
    std::lock_guard lock(mutex_);
    auto [first, last] = watchers_.equal_range(Key{topic, id});
    for (auto it = first; it != last; ++it) it->second.second();
}

void ChangeNotifier::forget(Key what, uint64_t key) {
    std::lock_guard lock(mutex_);
    auto [first, last] = watchers_.equal_range(what);
    for (auto it = first; it != last; ++it)
        if (it->second.first == key) {
            watchers_.erase(it);
            return;
        }
}

}  // namespace mss::store
