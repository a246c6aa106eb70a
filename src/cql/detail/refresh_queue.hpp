// The metadata refreshes that server events ask for, one at a time, as a sans-I/O state machine.
// An event that arrives while a refresh runs is not dropped: its refresh is remembered and runs
// once the current one is done (a refresh started after the event reads what the event announced).
// Requests for the same refresh made meanwhile run it once.
#pragma once

#include <optional>

namespace cql::detail {

class refresh_queue {
public:
    enum class kind { topology, keyspaces };

    // An event asks for a refresh. true: nothing is running, start a runner now (which then calls
    // next() until it says stop); false: the running one will do it.
    bool request(kind k) noexcept {
        (k == kind::topology ? topology_ : keyspaces_) = true;
        if (running_) return false;
        running_ = true;
        return true;
    }

    // The runner asks what to refresh next: the topology first (the keyspaces' replicas depend on
    // it). nullopt: nothing is pending and the runner stops; the next request starts a new one.
    std::optional<kind> next() noexcept {
        if (topology_) {
            topology_ = false;
            return kind::topology;
        }
        if (keyspaces_) {
            keyspaces_ = false;
            return kind::keyspaces;
        }
        running_ = false;
        return std::nullopt;
    }

    bool running() const noexcept { return running_; }

private:
    bool running_ = false;
    bool topology_ = false;
    bool keyspaces_ = false;
};

}  // namespace cql::detail
