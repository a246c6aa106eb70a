// A move-only std::function: the type of the session's completion callbacks (Asio handlers, which
// they often wrap, may be move-only). A callable of at most small_size bytes whose move cannot
// throw is kept inside the object (no heap allocation: a statement's callback costs nothing on
// the steady path, issue 18); a bigger one goes to the heap.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace cql {

template <class Signature>
class unique_function;

template <class R, class... Args>
class unique_function<R(Args...)> {
public:
    // Six pointers: a lambda capturing `this` and a shared_ptr or two fits.
    static constexpr std::size_t small_size = 6 * sizeof(void*);

    unique_function() = default;
    template <class F>
        requires(!std::is_same_v<std::decay_t<F>, unique_function>)
    unique_function(F f) {  // NOLINT: implicit like std::function
        using T = std::decay_t<F>;
        if constexpr (fits<T>) {
            ::new (static_cast<void*>(buf_)) T(std::move(f));
            ops_ = &inline_ops<T>;
        } else {
            *reinterpret_cast<T**>(buf_) = new T(std::move(f));
            ops_ = &heap_ops<T>;
        }
    }
    unique_function(unique_function&& o) noexcept { take(o); }
    unique_function& operator=(unique_function&& o) noexcept {
        if (this != &o) {
            reset();
            take(o);
        }
        return *this;
    }
    unique_function(const unique_function&) = delete;
    unique_function& operator=(const unique_function&) = delete;
    ~unique_function() { reset(); }

    explicit operator bool() const noexcept { return ops_ != nullptr; }
    R operator()(Args... args) { return ops_->call(buf_, std::forward<Args>(args)...); }

private:
    struct ops_t {
        R (*call)(void* self, Args&&... args);
        void (*move)(void* from, void* to) noexcept;  // constructs at `to`, destroys at `from`
        void (*destroy)(void* self) noexcept;
    };
    template <class T>
    static constexpr bool fits = sizeof(T) <= small_size && alignof(T) <= alignof(std::max_align_t) &&
                                 std::is_nothrow_move_constructible_v<T>;

    template <class T>
    static constexpr ops_t inline_ops{
        [](void* self, Args&&... args) -> R { return (*std::launder(static_cast<T*>(self)))(std::forward<Args>(args)...); },
        [](void* from, void* to) noexcept {
            T* f = std::launder(static_cast<T*>(from));
            ::new (to) T(std::move(*f));
            f->~T();
        },
        [](void* self) noexcept { std::launder(static_cast<T*>(self))->~T(); },
    };
    template <class T>
    static constexpr ops_t heap_ops{
        [](void* self, Args&&... args) -> R { return (**static_cast<T**>(self))(std::forward<Args>(args)...); },
        [](void* from, void* to) noexcept { *static_cast<T**>(to) = *static_cast<T**>(from); },
        [](void* self) noexcept { delete *static_cast<T**>(self); },
    };

    void take(unique_function& o) noexcept {
        if (!o.ops_) return;
        o.ops_->move(o.buf_, buf_);
        ops_ = o.ops_;
        o.ops_ = nullptr;
    }
    void reset() noexcept {
        if (!ops_) return;
        ops_->destroy(buf_);
        ops_ = nullptr;
    }

    alignas(std::max_align_t) unsigned char buf_[small_size];
    const ops_t* ops_ = nullptr;
};

}  // namespace cql
