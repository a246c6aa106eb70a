// Heap allocations of the client's steady path (issue 18): a session keeps a window of bound
// statements in flight against the null sink (tools/null-sink, a scripted CQL endpoint that answers
// every EXECUTE with RESULT Void at once: a fake node, used here only because the test is about
// counting) and the test counts every operator new of this process between two points, after a
// warm-up. The session's I/O runs on this test's thread. Each allocation is charged by its call
// stack to the client's statement path (asserted zero) or to Asio's machinery per socket operation
// (Asio 1.22's type-erased executor allocates when a coroutine resumes through the strand: here
// some 30 per round of reads and writes, however many statements it carries; printed, not asserted).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <execinfo.h>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "cql/session.hpp"

// ---- allocation counter: begin ----
// Replaces the global operator new/delete of this test executable. Counting is off unless a test
// turns it on. Each counted allocation is charged by its call stack (the executable exports its
// symbols, see meson.build): walking up from the allocation, the first frame that is a function of
// the client (namespace cql) charges it to the client's statement path, unless that function is the
// connection's reader or writer loop or the transport (one socket operation serves many statements);
// Asio's coroutine machinery (awaitable_thread), or no client frame at all, charges it to the I/O.
// With CQL_ALLOC_TRACE=N in the environment the first N counted allocations print their call stacks
// (how the list in the commit message was made).
namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
long g_client_allocations = 0;  // on the statement path
long g_io_allocations = 0;      // per socket operation (Asio 1.22's type-erased executor)
int g_traced = 0;
const int g_trace = std::getenv("CQL_ALLOC_TRACE") ? std::atoi(std::getenv("CQL_ALLOC_TRACE")) : 0;

bool starts_with(const char* s, const char* prefix) { return std::strncmp(s, prefix, std::strlen(prefix)) == 0; }

// backtrace_symbols gives "binary(mangled+0x1f) [addr]"; the name is empty for local symbols.
bool charged_to_client(char** names, int k) {
    for (int i = 2; i < k; ++i) {  // 0: counted_alloc, 1: operator new
        const char* open = std::strchr(names[i], '(');
        if (!open) continue;
        const char* n = open + 1;
        if (std::strstr(n, "awaitable_thread")) return false;
        if (starts_with(n, "_ZN3cql6detail10connection6reader") || starts_with(n, "_ZN3cql6detail10connection6writer") ||
            starts_with(n, "_ZN3cql6detail9transport"))
            return false;
        if (starts_with(n, "_ZN3cql") || starts_with(n, "_ZNK3cql")) return true;
    }
    return false;
}

void* counted_alloc(std::size_t n) noexcept {
    if (g_counting.load(std::memory_order_relaxed)) {
        g_counting = false;  // backtrace() and backtrace_symbols() may allocate (malloc: not counted)
        g_allocations.fetch_add(1, std::memory_order_relaxed);
        void* frames[64];
        const int k = backtrace(frames, 64);
        if (char** names = backtrace_symbols(frames, k)) {
            ++(charged_to_client(names, k) ? g_client_allocations : g_io_allocations);
            std::free(names);
        }
        if (g_traced < g_trace) {
            ++g_traced;
            std::fprintf(stderr, "---- allocation of %zu bytes\n", n);
            backtrace_symbols_fd(frames, k, 2);
        }
        g_counting = true;
    }
    return std::malloc(n == 0 ? 1 : n);
}
}  // namespace

[[gnu::noinline]] void* operator new(std::size_t n) {
    if (void* p = counted_alloc(n)) return p;
    throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t n) { return ::operator new(n); }
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too (std::stable_sort's buffer): every form allocates with malloc, frees with free.
[[gnu::noinline]] void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
[[gnu::noinline]] void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
// ---- allocation counter: end ----

namespace {

using namespace std::chrono_literals;

// The null sink as a child process on a free port, stopped with SIGTERM at the end.
class null_sink {
public:
    null_sink() {
        char dir[] = "/tmp/alloc-steady-XXXXXX";
        if (!mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
        dir_ = dir;
        const std::string port_file = dir_ + "/port";
        std::vector<std::string> args{NULL_SINK_PATH, "--host", "127.0.0.1", "--port", "0", "--port-file", port_file, "--quiet"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        // fork + exec (the test has no other thread yet), so that the sink dies with the test even
        // when a sanitizer aborts it before the destructor runs.
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("cannot start the null sink");
        if (pid_ == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            execv(argv[0], argv.data());
            _exit(127);
        }
        for (int i = 0; i < 500 && port_ == 0; ++i) {
            std::ifstream in(port_file);
            int p = 0;
            if (in >> p && p > 0) port_ = static_cast<std::uint16_t>(p);
            else std::this_thread::sleep_for(10ms);
        }
        if (port_ == 0) throw std::runtime_error("the null sink wrote no port file");
    }
    ~null_sink() {
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        std::remove((dir_ + "/port").c_str());
        rmdir(dir_.c_str());
    }
    std::uint16_t port() const { return port_; }

private:
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::string dir_;
};

// Keeps `window` statements in flight: each callback (on the session's strand) sends the next one,
// as the connector does from its own completions.
struct driver {
    explicit driver(cql::session& session) : s(session) {}
    cql::session& s;
    std::vector<std::shared_ptr<const cql::bound_statement>> shared;  // the connector's flavour
    std::vector<cql::bound_statement> owned;                          // or by value (moved in)
    bool by_value = false;
    std::size_t next = 0, done = 0, total = 0, failed = 0;
    std::error_code first_error;

    void send_one() {
        const std::size_t i = next++;
        auto cb = [this](std::error_code ec, cql::result) { on_done(ec); };
        if (by_value) s.execute(std::move(owned[i]), std::move(cb));
        else s.execute(shared[i % shared.size()], std::move(cb));
    }
    void on_done(std::error_code ec) {
        ++done;
        if (ec && failed++ == 0) first_error = ec;
        if (next < total) send_one();
    }
};

class AllocSteady : public ::testing::Test {
protected:
    void SetUp() override {
        cfg_.contact_points = {"127.0.0.1"};
        cfg_.default_port = sink_.port();
        cfg_.compression = false;
        cfg_.max_protocol_version = cql::protocol_version::v4;
        s_ = std::make_unique<cql::session>(io_.get_executor(), cfg_);
        ASSERT_FALSE(run(s_->async_connect(asio::use_future))) << s_->last_error().message;
        for (const char* q : {"CREATE KEYSPACE alloc WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
                              "CREATE TABLE alloc.t (id bigint PRIMARY KEY, v text)"}) {
            auto r = run_result(s_->async_execute(cql::statement(q), asio::use_future));
            ASSERT_FALSE(r.first) << q << ": " << r.second.diag.message;
        }
        auto p = run_prepared(s_->async_prepare("INSERT INTO alloc.t (id, v) VALUES (?, ?)", asio::use_future));
        ASSERT_FALSE(p.first) << p.second.diag.message;
        prepared_ = p.second;
    }
    void TearDown() override {
        if (s_) s_->close();
        io_.run_for(100ms);
    }

    template <class F>
    auto wait(F&& f) {
        while (f.wait_for(0s) != std::future_status::ready) io_.run_one_for(100ms);
        return f.get();
    }
    std::error_code run(std::future<void> f) {
        try {
            wait(f);
        } catch (const std::system_error& e) {
            return e.code();
        }
        return {};
    }
    std::pair<std::error_code, cql::result> run_result(std::future<cql::result> f) {
        try {
            return {{}, wait(f)};
        } catch (const std::system_error& e) {
            return {e.code(), {}};
        }
    }
    std::pair<std::error_code, cql::prepared_statement> run_prepared(std::future<cql::prepared_statement> f) {
        try {
            return {{}, wait(f)};
        } catch (const std::system_error& e) {
            return {e.code(), {}};
        }
    }

    cql::bound_statement bound(std::int64_t id) const {
        cql::bound_statement b;
        b.prepared = prepared_;
        b.values = {cql::cql_value{id}, cql::cql_value{std::string("value")}};
        return b;
    }

public:
    struct counts {
        long all = 0, client = 0, io = 0;
    };

protected:
    // Runs count statements with window in flight; returns the allocations counted meanwhile.
    counts run_statements(std::size_t count, std::size_t window, bool by_value, bool count_them) {
        driver d(*s_);
        d.by_value = by_value;
        d.total = count;
        if (by_value) {
            d.owned.reserve(count);
            for (std::size_t i = 0; i < count; ++i) d.owned.push_back(bound(static_cast<std::int64_t>(i)));
        } else {
            for (std::size_t i = 0; i < window; ++i) d.shared.push_back(std::make_shared<const cql::bound_statement>(bound(static_cast<std::int64_t>(i))));
        }
        const auto ex = s_->executor();  // (a conversion that allocates: not counted)
        g_allocations = 0;
        g_client_allocations = 0;
        g_io_allocations = 0;
        g_counting = count_them;
        // The first window starts on the session's strand, like the connector's batched hand-off.
        asio::post(ex, [&d, window] {
            for (std::size_t i = 0; i < window && d.next < d.total; ++i) d.send_one();
        });
        while (d.done < d.total) io_.run_one_for(100ms);
        g_counting = false;
        EXPECT_EQ(d.failed, 0u) << d.first_error.message();
        EXPECT_EQ(d.done, count);
        return {g_allocations.load(), g_client_allocations, g_io_allocations};
    }

    null_sink sink_;
    asio::io_context io_;
    cql::session_config cfg_;
    std::unique_ptr<cql::session> s_;
    cql::prepared_statement prepared_;
};

constexpr std::size_t warm_up = 1000;
constexpr std::size_t statements = 2000;
constexpr std::size_t window = 256;

void report(const char* what, const AllocSteady::counts& c) {
    std::printf("%s: %ld allocations for %zu statements: %ld on the statement path (%.4f per statement), %ld per "
                "socket operation in Asio\n",
                what, c.all, statements, c.client, double(c.client) / statements, c.io);
}

// The connector's flavour: a shared_ptr<const bound_statement> it keeps, a callback of two pointers.
TEST_F(AllocSteady, SharedBoundStatementsAllocateNothingPerStatementAfterWarmUp) {
    run_statements(warm_up, window, false, false);
    const auto c = run_statements(statements, window, false, true);
    report("shared", c);
    EXPECT_EQ(c.client, 0);
    EXPECT_EQ(c.all, c.client + c.io);
}

TEST_F(AllocSteady, OwnedBoundStatementsAllocateNothingPerStatementAfterWarmUp) {
    run_statements(warm_up, window, true, false);
    const auto c = run_statements(statements, window, true, true);
    report("owned", c);
    EXPECT_EQ(c.client, 0);
    EXPECT_EQ(c.all, c.client + c.io);
}

// cql::unique_function's inline buffer (the callbacks of the statement path).
struct tracked {
    static inline int alive = 0;
    int* calls;
    std::array<void*, 3> payload{};  // 32 bytes with calls: fits the buffer
    explicit tracked(int* c) : calls(c) { ++alive; }
    tracked(tracked&& o) noexcept : calls(o.calls), payload(o.payload) { ++alive; }
    tracked(const tracked&) = delete;
    ~tracked() { --alive; }
    int operator()(int x) { return ++*calls + x; }
};

long allocations_of(auto&& f) {
    g_allocations = 0;
    g_counting = true;
    f();
    g_counting = false;
    return g_allocations.load();
}

TEST(UniqueFunction, ASmallCallableIsKeptInlineAndDestroyedOnce) {
    int calls = 0;
    {
        cql::unique_function<int(int)> a;
        EXPECT_FALSE(a);
        EXPECT_EQ(allocations_of([&] { a = tracked(&calls); }), 0);
        EXPECT_EQ(tracked::alive, 1);
        cql::unique_function<int(int)> b(std::move(a));
        EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from is empty, as documented
        ASSERT_TRUE(b);
        EXPECT_EQ(tracked::alive, 1);
        EXPECT_EQ(b(10), 11);
        b = cql::unique_function<int(int)>();
        EXPECT_EQ(tracked::alive, 0);
        EXPECT_FALSE(b);
    }
    EXPECT_EQ(tracked::alive, 0);
}

TEST(UniqueFunction, ABigOrThrowingMoveCallableGoesToTheHeapAndWorksTheSame) {
    std::array<char, 200> big{};
    big[199] = 7;
    cql::unique_function<int()> f;
    EXPECT_EQ(allocations_of([&] { f = [big] { return int(big[199]); }; }), 1);
    auto g = std::move(f);
    EXPECT_EQ(g(), 7);
    struct throwing_move {
        throwing_move() = default;
        throwing_move(throwing_move&&) noexcept(false) {}
        int operator()() const { return 3; }
    };
    cql::unique_function<int()> h;
    EXPECT_EQ(allocations_of([&] { h = throwing_move{}; }), 1);
    EXPECT_EQ(h(), 3);
}

TEST(UniqueFunction, AMoveOnlyCallableWithAUniquePtrAndASharedPtrFits) {
    auto p = std::make_shared<int>(5);
    std::unique_ptr<int> q = std::make_unique<int>(6);
    cql::unique_function<int()> f;
    EXPECT_EQ(allocations_of([&] { f = [p, q = std::move(q)] { return *p + *q; }; }), 0);
    EXPECT_EQ(f(), 11);
    EXPECT_EQ(p.use_count(), 2);
    f = {};
    EXPECT_EQ(p.use_count(), 1);
}

TEST_F(AllocSteady, TheCounterChargesAnAllocationInTheClientToTheStatementPath) {
    g_allocations = 0;
    g_client_allocations = 0;
    g_io_allocations = 0;
    g_counting = true;
    auto probe = std::make_unique<int>(1);  // from the test: not the client's
    auto ex = s_->executor();                // cql::session::executor() converts the strand: allocates
    g_counting = false;
    EXPECT_EQ(g_allocations.load(), 3);
    EXPECT_EQ(g_client_allocations, 2);
    EXPECT_EQ(g_io_allocations, 1);
}

}  // namespace
