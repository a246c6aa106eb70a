#include "airbyte/line_reader.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace airbyte {

bool line_reader::fill() {
    if (begin_ > 0 && begin_ == end_) begin_ = end_ = 0;
    if (end_ == buf_.size()) {
        if (begin_ > 0) {  // move the partial line to the front
            std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        if (end_ == buf_.size()) buf_.resize(std::max<std::size_t>(buf_.size() * 2, 1 << 20));
    }
    if (before_read_) before_read_();
    for (;;) {
        auto n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
        if (n > 0) {
            end_ += static_cast<std::size_t>(n);
            bytes_ += static_cast<std::uint64_t>(n);
            return true;
        }
        if (n == 0) {
            eof_ = true;
            return false;
        }
        if (errno != EINTR) return false;
    }
}

line_reader::status line_reader::next(std::string_view& line) {
    std::size_t off = 0;    // bytes after begin_ already searched for '\n'
    bool skipping = false;  // inside a line that is too long: its start was dropped
    for (;;) {
        const char* from = buf_.data() + begin_ + off;
        const char* nl = static_cast<const char*>(std::memchr(from, '\n', end_ - begin_ - off));
        if (nl) {
            const auto stop = static_cast<std::size_t>(nl - buf_.data());
            ++number_;
            const std::size_t start = begin_;
            std::size_t len = stop - begin_;
            begin_ = stop + 1;
            if (skipping) return status::too_long;
            if (len > 0 && buf_[start + len - 1] == '\r') --len;
            if (len > max_) return status::too_long;
            line = std::string_view(buf_.data() + start, len);
            return status::line;
        }
        off = end_ - begin_;
        if (off > max_ + 1) {  // too long: drop what we have and look for its end
            skipping = true;
            begin_ = end_ = off = 0;
        }
        if (eof_) {
            if (end_ > begin_ || skipping) {  // a last line without '\n'
                ++number_;
                const std::size_t start = begin_;
                std::size_t len = end_ - begin_;
                begin_ = end_;
                if (skipping || len > max_) return status::too_long;
                if (len > 0 && buf_[start + len - 1] == '\r') --len;
                line = std::string_view(buf_.data() + start, len);
                return status::line;
            }
            return status::eof;
        }
        if (!fill() && !eof_) return status::error;
    }
}

}  // namespace airbyte
