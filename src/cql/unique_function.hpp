// A move-only std::function: the type of the session's completion callbacks (Asio handlers, which
// they often wrap, may be move-only).
#pragma once

#include <memory>
#include <utility>

namespace cql {

template <class Signature>
class unique_function;

template <class R, class... Args>
class unique_function<R(Args...)> {
public:
    unique_function() = default;
    template <class F>
    unique_function(F f) : impl_(std::make_unique<model<F>>(std::move(f))) {}  // NOLINT: implicit like std::function

    explicit operator bool() const noexcept { return impl_ != nullptr; }
    R operator()(Args... args) { return impl_->call(std::forward<Args>(args)...); }

private:
    struct concept_t {
        virtual ~concept_t() = default;
        virtual R call(Args... args) = 0;
    };
    template <class F>
    struct model final : concept_t {
        explicit model(F fn) : f(std::move(fn)) {}
        R call(Args... args) override { return f(std::forward<Args>(args)...); }
        F f;
    };
    std::unique_ptr<concept_t> impl_;
};

}  // namespace cql
