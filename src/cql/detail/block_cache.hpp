// Recycles heap blocks of one size per thread: what a thread frees it hands out again, up to Cap
// blocks; beyond, and for any other size, plain operator new/delete. For the objects the client
// makes once per request (issue 18: no heap allocation per statement once warmed up), which are
// made and freed on the session's I/O thread. A block freed on another thread joins that thread's
// cache (still bounded by Cap): correct either way, just not recycled where it came from.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace cql::detail {

template <std::size_t Size, std::size_t Cap>
class block_cache {
public:
    static void* allocate(std::size_t n) {
        if (n == Size && !state().dead) {
            auto& l = list().blocks;
            if (!l.empty()) {
                void* p = l.back();
                l.pop_back();
                return p;
            }
        }
        return ::operator new(n);
    }
    static void deallocate(void* p, std::size_t n) noexcept {
        if (n == Size && !state().dead) {
            auto& l = list().blocks;
            if (l.size() < Cap) {
                if (l.capacity() < Cap) {
                    try {
                        l.reserve(Cap);  // once per thread; no growth later
                    } catch (...) {
                    }
                }
                if (l.capacity() >= Cap) {
                    l.push_back(p);
                    return;
                }
            }
        }
        ::operator delete(p);
    }

private:
    struct flag {
        bool dead = false;  // the thread's cache is gone (thread exit): no recycling after that
    };
    struct holder {
        std::vector<void*> blocks;
        ~holder() {
            state().dead = true;
            for (void* p : blocks) ::operator delete(p);
        }
    };
    static flag& state() noexcept {
        thread_local flag f;  // trivially destructible: valid until the thread ends
        return f;
    }
    static holder& list() {
        thread_local holder h;
        return h;
    }
};

}  // namespace cql::detail
