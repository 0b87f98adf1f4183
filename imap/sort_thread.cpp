// Base subjects, msg-id lists, SORT ordering and the two RFC 5256 threading algorithms.
#include "imap/sort_thread.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <utility>

#include "imap/collation.h"

#include "core/text.h"
#include "imap/search_eval.h"

namespace mss::imap {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// Subject text being cut down from both ends (RFC 5256 2.1 steps 2 to 6); never copied meanwhile.
class SubjectCut {
public:
    explicit SubjectCut(std::string_view text) : s_(text) {}

    std::string_view text() const { return s_; }
    bool reply_or_forward() const { return marked_; }

    // Step 2: subj-trailer = "(fwd)" / WSP, as often as it occurs.
    void drop_trailers() {
        for (;;) {
            if (!s_.empty() && is_wsp(s_.back())) s_.remove_suffix(1);
            else if (ends_with_ci("(fwd)")) s_.remove_suffix(5), marked_ = true;
            else return;
        }
    }
    // Step 3: subj-leader = (*subj-blob subj-refwd) / WSP, as often as it occurs.
    bool drop_leaders() {
        bool dropped = false;
        for (;;) {
            if (!s_.empty() && is_wsp(s_.front())) {
                s_.remove_prefix(1);
            } else if (std::size_t n = refwd_leader(); n > 0) {
                s_.remove_prefix(n);
                marked_ = true;
            } else {
                return dropped;
            }
            dropped = true;
        }
    }
    // Step 4: a leading subj-blob goes when something is left after it.
    bool drop_blob() {
        std::size_t n = blob_at(0);
        if (n == 0 || n == s_.size()) return false;
        s_.remove_prefix(n);
        return true;
    }
    // Step 6: "[fwd:" ... "]" around the whole text.
    bool drop_fwd_wrapper() {
        if (s_.size() < 6 || !starts_with_ci("[fwd:") || s_.back() != ']') return false;
        s_ = s_.substr(5, s_.size() - 6);
        marked_ = true;
        return true;
    }

private:
    static bool equal_ci(std::string_view a, std::string_view lower) { return ascii_lower(a) == lower; }
    bool starts_with_ci(std::string_view lower) const {
        return s_.size() >= lower.size() && equal_ci(s_.substr(0, lower.size()), lower);
    }
    bool ends_with_ci(std::string_view lower) const {
        return s_.size() >= lower.size() && equal_ci(s_.substr(s_.size() - lower.size()), lower);
    }
    std::size_t skip_wsp(std::size_t p) const {
        while (p < s_.size() && is_wsp(s_[p])) ++p;
        return p;
    }
    // subj-blob = "[" *BLOBCHAR "]" *WSP at p: its length, 0 when there is none.
    std::size_t blob_at(std::size_t p) const {
        if (p >= s_.size() || s_[p] != '[') return 0;
        std::size_t q = p + 1;
        while (q < s_.size() && s_[q] != '[' && s_[q] != ']') ++q;
        if (q >= s_.size() || s_[q] != ']') return 0;
        return skip_wsp(q + 1) - p;
    }
    // *subj-blob subj-refwd at the start, subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":".
    // A run of blobs with no subj-refwd after it is remembered: step 4 takes those blobs off one
    // by one, and rescanning the run each time would cost its length squared.
    std::size_t refwd_leader() {
        const char* end = s_.data() + s_.size();
        if (bare_run_end_ && s_.data() <= bare_run_end_ && end == bare_run_text_end_) return 0;
        std::size_t p = 0;
        while (std::size_t n = blob_at(p)) p += n;
        std::size_t refwd = refwd_at(p);
        if (refwd == 0) bare_run_end_ = s_.data() + p, bare_run_text_end_ = end;
        return refwd;
    }
    std::size_t refwd_at(std::size_t p) const {
        std::string_view rest = s_.substr(p);
        if (rest.size() >= 3 && equal_ci(rest.substr(0, 3), "fwd")) p += 3;
        else if (rest.size() >= 2 && (equal_ci(rest.substr(0, 2), "fw") || equal_ci(rest.substr(0, 2), "re"))) p += 2;
        else return 0;
        p = skip_wsp(p);
        p += blob_at(p);
        return p < s_.size() && s_[p] == ':' ? p + 1 : 0;
    }

    std::string_view s_;
    bool marked_ = false;
    const char* bare_run_end_ = nullptr;
    const char* bare_run_text_end_ = nullptr;
};

// Step 1: tabs and line breaks become spaces, and runs of spaces one space.
std::string one_space(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\t' || c == '\r' || c == '\n') c = ' ';
        if (c != ' ' || out.empty() || out.back() != ' ') out += c;
    }
    return out;
}

// Skips a comment "(...)" (nested, with quoted-pairs) starting at p; the index after it.
// ---- SORT ------------------------------------------------------------------------------------

struct SortColumn {
    SortCriterion criterion;
    std::vector<int64_t> numbers;    // ARRIVAL, DATE, SIZE
    std::vector<std::string> texts;  // the others, as i;unicode-casemap keys (RFC 5051)
};

bool is_numeric(SortKey key) { return key == SortKey::Arrival || key == SortKey::Date || key == SortKey::Size; }

int64_t number_key(SortKey key, const SortFacts& f) {
    switch (key) {
        case SortKey::Arrival: return f.arrival;
        case SortKey::Date: return f.sent;
        default: return static_cast<int64_t>(std::min<uint64_t>(f.size, std::numeric_limits<int64_t>::max()));
    }
}

std::string text_key(SortKey key, const SortFacts& f) {
    switch (key) {
        case SortKey::Cc: return unicode_casemap_key(f.cc);
        case SortKey::From: return unicode_casemap_key(f.from);
        case SortKey::To: return unicode_casemap_key(f.to);
        case SortKey::DisplayFrom: return unicode_casemap_key(f.display_from);
        case SortKey::DisplayTo: return unicode_casemap_key(f.display_to);
        default: return unicode_casemap_key(base_subject(f.subject).text);
    }
}

SortColumn column_of(const SortCriterion& criterion, std::span<const SortFacts> facts) {
    SortColumn column{criterion, {}, {}};
    for (const SortFacts& f : facts) {
        if (is_numeric(criterion.key)) column.numbers.push_back(number_key(criterion.key, f));
        else column.texts.push_back(text_key(criterion.key, f));
    }
    return column;
}

// <0, 0, >0 as a goes before, with or after b on this column, REVERSE applied.
int compare(const SortColumn& c, std::size_t a, std::size_t b) {
    int order = 0;
    if (!c.numbers.empty()) order = c.numbers[a] < c.numbers[b] ? -1 : c.numbers[a] > c.numbers[b] ? 1 : 0;
    else order = c.texts[a].compare(c.texts[b]);
    order = order < 0 ? -1 : order > 0 ? 1 : 0;
    return c.criterion.reverse ? -order : order;
}

// ---- THREAD ----------------------------------------------------------------------------------

using Node = ThreadForest::Node;
constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

// Builds the forest of RFC 5256 REFERENCES over nodes with parent links; or of REFS (Dovecot's,
// after draft-ietf-morg-inthread): the same links, no merging by subject, and the threads ordered
// by their most recent message, so that the thread that moved last comes last.
class ReferenceThreader {
public:
    ReferenceThreader(std::span<const SortFacts> facts, bool refs) : facts_(facts), refs_(refs) {}

    ThreadForest run() {
        for (std::size_t i = 0; i < facts_.size(); ++i) link_message(i);
        for (std::size_t n = 0; n < nodes_.size(); ++n)
            if (parent_[n] == kNone) roots_.push_back(n);
        prune_dummies();
        sort_level(roots_, true);
        if (!refs_) merge_by_subject();
        sort_all();
        if (refs_) sort_by_latest();
        return ThreadForest{std::move(nodes_), std::move(roots_)};
    }

private:
    std::size_t new_node(std::optional<std::size_t> message) {
        nodes_.push_back(Node{message, {}});
        parent_.push_back(kNone);
        return nodes_.size() - 1;
    }

    std::size_t node_for_id(const std::string& id) {
        auto [it, added] = by_id_.try_emplace(id, 0);
        if (added) it->second = new_node(std::nullopt);
        return it->second;
    }

    // Step 1 A: the message's own node; a missing or repeated Message-ID gets a node of its own.
    std::size_t own_node(std::size_t message) {
        const std::string& id = facts_[message].message_id;
        if (id.empty()) return new_node(message);
        auto it = by_id_.find(id);
        if (it == by_id_.end()) return by_id_[id] = new_node(message);
        if (nodes_[it->second].message) return new_node(message);
        nodes_[it->second].message = message;
        return it->second;
    }

    bool would_loop(std::size_t parent, std::size_t child) const {
        for (std::size_t n = parent; n != kNone; n = parent_[n])
            if (n == child) return true;
        return false;
    }

    void link(std::size_t parent, std::size_t child) {
        parent_[child] = parent;
        nodes_[parent].children.push_back(child);
    }

    void unlink(std::size_t child) {
        auto& siblings = nodes_[parent_[child]].children;
        siblings.erase(std::find(siblings.begin(), siblings.end(), child));
        parent_[child] = kNone;
    }

    // Step 1: the references chain links each reference to the next unless it has a parent
    // already; the last one becomes the message's parent (replacing any parent it had).
    void link_message(std::size_t message) {
        std::size_t self = own_node(message);
        std::size_t previous = kNone;
        for (const std::string& ref : facts_[message].references) {
            std::size_t node = node_for_id(ref);
            if (previous != kNone && parent_[node] == kNone && !would_loop(previous, node)) link(previous, node);
            previous = node;
        }
        if (parent_[self] != kNone) unlink(self);
        if (previous != kNone && !would_loop(previous, self)) link(previous, self);
    }

    // Step 4: dummies without children go; a dummy's children take its place, except that
    // several children are not promoted to the root.
    void prune_dummies() {
        std::vector<std::size_t> pending = {kNone};  // kNone: the root level
        while (!pending.empty()) {
            std::size_t owner = pending.back();
            pending.pop_back();
            std::vector<std::size_t>& level = owner == kNone ? roots_ : nodes_[owner].children;
            prune_level(level, owner);
            for (std::size_t n : level) pending.push_back(n);
        }
    }

    // Rebuilds one level in order; promoted children are examined in turn as members of it.
    void prune_level(std::vector<std::size_t>& level, std::size_t owner) {
        std::vector<std::size_t> kept;
        std::vector<std::size_t> waiting(level.rbegin(), level.rend());
        while (!waiting.empty()) {
            std::size_t n = waiting.back();
            waiting.pop_back();
            Node& node = nodes_[n];
            if (node.message || (owner == kNone && node.children.size() > 1)) {
                kept.push_back(n);
            } else if (!node.children.empty()) {
                for (std::size_t c : node.children) parent_[c] = owner;
                waiting.insert(waiting.end(), node.children.rbegin(), node.children.rend());
                node.children.clear();
            }
        }
        level = std::move(kept);
    }

    // The message a node stands for in sorting and subjects: itself, or a dummy's first child's.
    std::size_t first_message(std::size_t node) const {
        while (!nodes_[node].message && !nodes_[node].children.empty()) node = nodes_[node].children.front();
        return nodes_[node].message.value_or(kNone);
    }

    std::pair<int64_t, uint32_t> date_key(std::size_t node) const {
        std::size_t m = first_message(node);
        if (m == kNone) return {std::numeric_limits<int64_t>::max(), 0};
        return {facts_[m].sent, facts_[m].number};
    }

    // Steps 5 and 7: siblings by sent date, ties by message number; a dummy by its first child.
    void sort_level(std::vector<std::size_t>& level, bool dummies_first) {
        if (dummies_first)
            for (std::size_t n : level)
                if (!nodes_[n].message) sort_level(nodes_[n].children, false);
        std::stable_sort(level.begin(), level.end(),
                         [&](std::size_t a, std::size_t b) { return date_key(a) < date_key(b); });
    }

    // Step 7: every set of siblings, the deepest first, then the roots.
    void sort_all() {
        std::vector<std::size_t> order;
        std::vector<std::size_t> stack(roots_.begin(), roots_.end());
        while (!stack.empty()) {
            std::size_t n = stack.back();
            stack.pop_back();
            order.push_back(n);
            for (std::size_t c : nodes_[n].children) stack.push_back(c);
        }
        for (auto it = order.rbegin(); it != order.rend(); ++it) sort_level(nodes_[*it].children, false);
        sort_level(roots_, false);
    }

    const BaseSubject& subject_of(std::size_t message) {
        auto [it, added] = subjects_.try_emplace(message);
        if (added) {
            it->second = base_subject(facts_[message].subject);
            it->second.text = fold_case(it->second.text);
        }
        return it->second;
    }

    bool is_reply(std::size_t node) {
        return nodes_[node].message && subject_of(*nodes_[node].message).reply_or_forward;
    }

    // Step 6 B: which root stands for each thread subject.
    std::unordered_map<std::string, std::size_t> subject_table() {
        std::unordered_map<std::string, std::size_t> table;
        for (std::size_t root : roots_) {
            std::size_t m = first_message(root);
            if (m == kNone || subject_of(m).text.empty()) continue;
            auto [it, added] = table.try_emplace(subject_of(m).text, root);
            if (added) continue;
            bool table_dummy = !nodes_[it->second].message, current_dummy = !nodes_[root].message;
            if ((!table_dummy && current_dummy) ||
                (!table_dummy && !current_dummy && is_reply(it->second) && !is_reply(root)))
                it->second = root;
        }
        return table;
    }

    // Step 6 C: roots sharing a thread subject are gathered under one.
    // REFS: each thread by its latest message (sent date, then number), walked with a stack.
    void sort_by_latest() {
        std::vector<std::pair<int64_t, uint32_t>> latest(nodes_.size(), {std::numeric_limits<int64_t>::min(), 0});
        for (std::size_t root : roots_) {
            std::pair<int64_t, uint32_t> newest{std::numeric_limits<int64_t>::min(), 0};
            std::vector<std::size_t> stack = {root};
            while (!stack.empty()) {
                std::size_t n = stack.back();
                stack.pop_back();
                if (auto m = nodes_[n].message) newest = std::max(newest, {facts_[*m].sent, facts_[*m].number});
                stack.insert(stack.end(), nodes_[n].children.begin(), nodes_[n].children.end());
            }
            latest[root] = newest;
        }
        std::stable_sort(roots_.begin(), roots_.end(), [&](std::size_t a, std::size_t b) { return latest[a] < latest[b]; });
    }

    void merge_by_subject() {
        auto table = subject_table();
        std::vector<bool> gone(nodes_.size(), false);
        std::unordered_map<std::size_t, std::size_t> position;  // of each root in roots_
        for (std::size_t i = 0; i < roots_.size(); ++i) position[roots_[i]] = i;
        for (std::size_t i = 0; i < roots_.size(); ++i) {
            std::size_t current = roots_[i];
            std::size_t m = first_message(current);
            if (m == kNone || subject_of(m).text.empty()) continue;
            std::size_t& held = table.at(subject_of(m).text);
            if (held == current) continue;
            bool held_dummy = !nodes_[held].message, current_dummy = !nodes_[current].message;
            if (held_dummy && current_dummy) {
                for (std::size_t c : nodes_[current].children) link(held, c);
                nodes_[current].children.clear();
            } else if (held_dummy || (is_reply(current) && !is_reply(held))) {
                link(held, current);
            } else {
                std::size_t dummy = new_node(std::nullopt);
                gone.push_back(false);
                roots_[position.at(held)] = dummy;
                position[dummy] = position.at(held);
                link(dummy, held);
                link(dummy, current);
                held = dummy;
            }
            gone[current] = true;
        }
        std::erase_if(roots_, [&](std::size_t n) { return gone[n]; });
    }

    std::span<const SortFacts> facts_;
    bool refs_;
    std::vector<Node> nodes_;
    std::vector<std::size_t> parent_;
    std::vector<std::size_t> roots_;
    std::unordered_map<std::string, std::size_t> by_id_;
    std::unordered_map<std::size_t, BaseSubject> subjects_;
};

}  // namespace

BaseSubject base_subject(std::string_view decoded_subject) {
    std::string spaced = one_space(decoded_subject);
    SubjectCut cut(spaced);
    do {
        cut.drop_trailers();
        for (bool cutting = true; cutting;) {
            bool leaders = cut.drop_leaders();
            bool blob = cut.drop_blob();
            cutting = leaders || blob;
        }
    } while (cut.drop_fwd_wrapper());
    return BaseSubject{std::string(cut.text()), cut.reply_or_forward()};
}

std::vector<std::size_t> sort_order(std::span<const SortFacts> facts, std::span<const SortCriterion> criteria) {
    std::vector<SortColumn> columns;
    for (const SortCriterion& c : criteria) columns.push_back(column_of(c, facts));
    std::vector<std::size_t> order(facts.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        for (const SortColumn& c : columns)
            if (int o = compare(c, a, b)) return o < 0;
        return facts[a].number < facts[b].number;
    });
    return order;
}

ThreadForest thread_by_subject(std::span<const SortFacts> facts) {
    std::vector<std::string> subjects;
    for (const SortFacts& f : facts) subjects.push_back(fold_case(base_subject(f.subject).text));
    auto by_date = [&](std::size_t a, std::size_t b) {
        return std::pair(facts[a].sent, facts[a].number) < std::pair(facts[b].sent, facts[b].number);
    };
    std::vector<std::size_t> order(facts.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (int c = subjects[a].compare(subjects[b])) return c < 0;
        return by_date(a, b);
    });
    ThreadForest forest;
    for (std::size_t k = 0; k < order.size(); ++k) {
        std::size_t m = order[k];
        forest.nodes.push_back(Node{m, {}});
        std::size_t node = forest.nodes.size() - 1;
        if (k > 0 && subjects[m] == subjects[order[k - 1]]) forest.nodes[forest.roots.back()].children.push_back(node);
        else forest.roots.push_back(node);
    }
    std::stable_sort(forest.roots.begin(), forest.roots.end(), [&](std::size_t a, std::size_t b) {
        return by_date(*forest.nodes[a].message, *forest.nodes[b].message);
    });
    return forest;
}

ThreadForest thread_by_references(std::span<const SortFacts> facts) {
    ReferenceThreader threader(facts, false);
    return threader.run();
}

ThreadForest thread_by_refs(std::span<const SortFacts> facts) {
    ReferenceThreader threader(facts, true);
    return threader.run();
}

std::string format_threads(const ThreadForest& forest, std::span<const SortFacts> facts, bool by_uid) {
    // thread-list = "(" (thread-members / thread-nested) ")": one child continues the list, several
    // children each open a nested list. Items: a node to write, or a parenthesis.
    constexpr std::size_t kOpen = kNone - 1, kClose = kNone;
    std::string out;
    std::vector<std::size_t> items;
    auto nest = [&](std::size_t node) {  // pushed in reverse: "(" node ")"
        items.push_back(kClose);
        items.push_back(node);
        items.push_back(kOpen);
    };
    for (auto root = forest.roots.rbegin(); root != forest.roots.rend(); ++root) nest(*root);
    while (!items.empty()) {
        std::size_t item = items.back();
        items.pop_back();
        bool after_number = !out.empty() && out.back() >= '0' && out.back() <= '9';
        if (item == kOpen) {
            out += after_number ? " (" : "(";
            continue;
        }
        if (item == kClose) {
            out += ')';
            continue;
        }
        const Node& node = forest.nodes[item];
        if (node.message) {
            const SortFacts& f = facts[*node.message];
            out += fmt::format("{}{}", after_number ? " " : "", by_uid ? f.uid : f.number);
        }
        if (node.children.size() == 1 && node.message) items.push_back(node.children.front());
        else
            for (auto c = node.children.rbegin(); c != node.children.rend(); ++c) nest(*c);
    }
    return out;
}

}  // namespace mss::imap
