// Longest-prefix routing by path segment, then by method.
#include "http/router.h"

#include <algorithm>

namespace mss::http {
namespace {

bool under(std::string_view path, std::string_view prefix) {
    if (path.substr(0, prefix.size()) != prefix) return false;
    return path.size() == prefix.size() || prefix.back() == '/' || path[prefix.size()] == '/';
}

}  // namespace

void Router::add(std::string method, std::string prefix, Handler handler, Run run) {
    routes_.push_back({std::move(method), std::move(prefix), std::move(handler), run, {}});
}

void Router::add_async(std::string method, std::string prefix, AsyncHandler handler) {
    routes_.push_back({std::move(method), std::move(prefix), {}, Run::Inline, std::move(handler)});
}

std::variant<const Router::Route*, Response> Router::find(std::string_view method, std::string_view path) const {
    std::size_t longest = 0;
    bool any = false;
    for (const auto& r : routes_)
        if (under(path, r.prefix)) {
            longest = std::max(longest, r.prefix.size());
            any = true;
        }
    if (!any) return Response::text(404, "Not Found\n");
    const Route* get = nullptr;
    std::vector<std::string> allowed;
    for (const auto& r : routes_) {
        if (r.prefix.size() != longest || !under(path, r.prefix)) continue;
        if (r.method == method) return &r;
        if (r.method == "GET") get = &r;
        allowed.push_back(r.method);
    }
    if (method == "HEAD" && get) return get;
    if (get) allowed.push_back("HEAD");
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    return Response::text(405, "Method Not Allowed\n").set("Allow", allow);
}

}  // namespace mss::http
