// Reads newline-terminated lines from a file descriptor with one reusable buffer. A line longer
// than the limit is not kept in memory: it is reported as too long (and skipped to its end), so
// memory stays bounded whatever the input.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace airbyte {

class line_reader {
public:
    line_reader(int fd, std::size_t max_line) : fd_(fd), max_(max_line) {}

    enum class status { line, too_long, eof, error };
    // On status::line, line is valid until the next call; a trailing '\r' is removed.
    status next(std::string_view& line);
    std::size_t line_number() const noexcept { return number_; }
    std::uint64_t bytes_read() const noexcept { return bytes_; }
    // Runs before each read of the fd, which may block (the connector hands its batched writes
    // to the client there, so none waits on a slow source).
    void before_read(std::function<void()> f) { before_read_ = std::move(f); }

private:
    bool fill();
    int fd_;
    std::size_t max_;
    std::string buf_;
    std::size_t begin_ = 0, end_ = 0;
    std::size_t number_ = 0;
    std::uint64_t bytes_ = 0;
    bool eof_ = false;
    std::function<void()> before_read_;
};

}  // namespace airbyte
