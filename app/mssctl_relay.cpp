// route add/list/remove and queue list/show/flush/delete on the store of a data directory.
#include "app/mssctl_relay.h"

#include <fmt/format.h>

#include <charconv>
#include <ctime>
#include <iostream>

#include "core/config.h"
#include "core/text.h"
#include "store/store.h"

namespace mss {
namespace {

struct RelayFailure {
    std::string message;
};

template <class T>
T need(Result<T> r) {
    if (!r) throw RelayFailure{r.error().message};
    return std::move(r).value();
}

std::unique_ptr<store::Store> open_store(const std::filesystem::path& data) {
    auto config = need(load_config(data));
    return need(store::open_sqlite(config.database(), {.create = false}));
}

// "HOST:PORT" or "[IPv6]:PORT" or "HOST" (port 25).
store::Route parse_route(const std::string& domain, const std::string& text) {
    store::Route route{ascii_lower(domain), text, 25};
    std::size_t colon = text.rfind(':');
    bool bracketed = !text.empty() && text.front() == '[';
    if (colon != std::string::npos && (!bracketed || text[colon - 1] == ']')) {
        unsigned port = 0;
        auto digits = std::string_view(text).substr(colon + 1);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535)
            throw RelayFailure{fmt::format("'{}' is not HOST:PORT", text)};
        route.host = text.substr(0, colon);
        route.port = static_cast<uint16_t>(port);
    }
    if (bracketed) route.host = route.host.substr(1, route.host.size() - 2);
    if (route.host.empty() || domain.empty()) throw RelayFailure{"a route needs a domain and a host"};
    return route;
}

std::string age(int64_t since) {
    int64_t s = std::max<int64_t>(0, std::time(nullptr) - since);
    if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
    return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
}

void print_message(const store::OutboundMessage& m, bool detailed) {
    unsigned attempts = 0;
    std::string last;
    for (auto& r : m.recipients) {
        attempts = std::max(attempts, r.attempts);
        if (!r.last_error.empty()) last = r.last_error;
    }
    if (!detailed) {
        std::vector<std::string> rcpts;
        for (auto& r : m.recipients) rcpts.push_back(r.state == store::OutboundState::Failed ? r.address + "(failed)" : r.address);
        fmt::print("{} age={} from=<{}> to={} attempts={} last_error=\"{}\"\n", m.id, age(m.created_at), m.return_path,
                   fmt::join(rcpts, ","), attempts, last);
        return;
    }
    fmt::print("id: {}\nage: {}\nfrom: <{}>\nsize: {}\n", m.id, age(m.created_at), m.return_path, m.size);
    for (auto& r : m.recipients) {
        int64_t wait = r.next_attempt - std::time(nullptr);
        fmt::print("to: <{}> state={} attempts={} next_attempt={} last_error=\"{}\"\n", r.address, to_string(r.state),
                   r.attempts, r.state == store::OutboundState::Failed ? "never" : wait > 0 ? fmt::format("in {}s", wait) : "now",
                   r.last_error);
    }
}

}  // namespace

void RelayCli::attach(CLI::App& app) {
    auto* route = app.add_subcommand("route", "static routes to other operators (before DNS MX)");
    route->require_subcommand(1);
    route_add_ = route->add_subcommand("add", "send mail for DOMAIN to HOST:PORT (replaces its route)");
    route_add_->add_option("domain", domain_)->required();
    route_add_->add_option("next_hop", next_hop_, "HOST:PORT (port 25 when omitted)")->required();
    route_list_ = route->add_subcommand("list", "one line per route: DOMAIN HOST:PORT");
    route_remove_ = route->add_subcommand("remove", "remove DOMAIN's route (DNS MX then decides)");
    route_remove_->add_option("domain", domain_)->required();

    auto* queue = app.add_subcommand("queue", "the outbound queue (mail for other operators)");
    queue->require_subcommand(1);
    queue_list_ = queue->add_subcommand("list", "one line per message: id, age, sender, recipients, attempts, last error");
    queue_show_ = queue->add_subcommand("show", "a queued message and each recipient's state");
    queue_show_->add_option("id", id_)->required();
    queue_flush_ = queue->add_subcommand("flush", "try now (every queued message, or one); mssd sees it within a second");
    queue_flush_->add_option("id", id_);
    queue_delete_ = queue->add_subcommand("delete", "remove a message from the queue (never sent, no bounce)");
    queue_delete_->add_option("id", id_)->required();
}

std::optional<int> RelayCli::run(const std::filesystem::path& data) {
    try {
        if (*route_add_) {
            auto route = parse_route(domain_, next_hop_);
            need(open_store(data)->set_route(route));
            fmt::print("route {} -> {}:{}\n", route.domain, route.host, route.port);
        } else if (*route_list_) {
            for (auto& r : need(open_store(data)->routes())) fmt::print("{} {}:{}\n", r.domain, r.host, r.port);
        } else if (*route_remove_) {
            need(open_store(data)->remove_route(domain_));
            fmt::print("route {} removed\n", ascii_lower(domain_));
        } else if (*queue_list_) {
            auto messages = need(open_store(data)->outbound_list());
            for (auto& m : messages) print_message(m, false);
            fmt::print("{} message(s) queued\n", messages.size());
        } else if (*queue_show_) {
            print_message(need(open_store(data)->outbound_message(id_)), true);
        } else if (*queue_flush_) {
            auto n = need(open_store(data)->outbound_flush(id_.empty() ? std::nullopt : std::optional<std::string_view>(id_)));
            fmt::print("{} recipient(s) due now\n", n);
        } else if (*queue_delete_) {
            need(open_store(data)->outbound_delete(id_));
            fmt::print("{} deleted\n", id_);
        } else {
            return std::nullopt;
        }
    } catch (const RelayFailure& f) {
        std::cerr << "mssctl: " << f.message << "\n";
        return 1;
    }
    return 0;
}

}  // namespace mss
