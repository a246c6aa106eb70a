// line_reader: lines from a file descriptor (pipes and files), bounded memory for long lines.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "airbyte/line_reader.hpp"

using airbyte::line_reader;
using status = airbyte::line_reader::status;

namespace {

constexpr std::size_t mib = std::size_t{1} << 20;

struct item {
    status st;
    std::string line;
    std::size_t number;
    bool operator==(const item&) const = default;
};
std::ostream& operator<<(std::ostream& os, const item& i) {
    const char* names[] = {"line", "too_long", "eof", "error"};
    os << names[static_cast<int>(i.st)] << "#" << i.number << ":";
    if (i.line.size() > 40) return os << "<" << i.line.size() << " bytes>";
    os << '"';
    for (char c : i.line) {
        if (c == '\r') os << "\\r";
        else os << c;
    }
    return os << '"';
}

// Reads everything (up to and including the first eof/error) from fd.
std::vector<item> read_all(int fd, std::size_t max_line) {
    line_reader r(fd, max_line);
    std::vector<item> out;
    for (;;) {
        std::string_view line;
        const auto st = r.next(line);
        out.push_back({st, st == status::line ? std::string(line) : std::string(), r.line_number()});
        if (st == status::eof || st == status::error) break;
        if (out.size() > 1000000) break;  // runaway guard
    }
    return out;
}

// Feeds content through a pipe, written by a thread in chunks of chunk bytes.
std::vector<item> via_pipe(const std::string& content, std::size_t max_line, std::size_t chunk = 4096) {
    ::signal(SIGPIPE, SIG_IGN);
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    std::thread writer([&] {
        for (std::size_t at = 0; at < content.size();) {
            const auto n = ::write(fds[1], content.data() + at, std::min(chunk, content.size() - at));
            if (n <= 0) break;
            at += static_cast<std::size_t>(n);
        }
        ::close(fds[1]);
    });
    auto out = read_all(fds[0], max_line);
    ::close(fds[0]);  // a writer still writing (the reader stopped early) gets EPIPE, not a hang
    writer.join();
    return out;
}

// Feeds content from a temporary file.
std::vector<item> via_file(const std::string& content, std::size_t max_line) {
    char path[] = "/tmp/airbyte_line_reader_XXXXXX";
    const int fd = ::mkstemp(path);
    EXPECT_GE(fd, 0);
    ::unlink(path);
    for (std::size_t at = 0; at < content.size();) {
        const auto n = ::write(fd, content.data() + at, content.size() - at);
        EXPECT_GT(n, 0);
        if (n <= 0) break;
        at += static_cast<std::size_t>(n);
    }
    ::lseek(fd, 0, SEEK_SET);
    auto out = read_all(fd, max_line);
    ::close(fd);
    return out;
}

// Both ways must give the same items.
std::vector<item> read_both(const std::string& content, std::size_t max_line) {
    auto a = via_file(content, max_line);
    auto b = via_pipe(content, max_line);
    EXPECT_EQ(a, b);
    if (content.size() < 100000) {
        EXPECT_EQ(a, via_pipe(content, max_line, 1));  // one byte per write
    }
    return a;
}

item L(std::string s, std::size_t n) { return {status::line, std::move(s), n}; }
item TL(std::size_t n) { return {status::too_long, "", n}; }
item E(std::size_t n) { return {status::eof, "", n}; }

TEST(LineReader, EmptyInput) {
    EXPECT_THAT(read_both("", 100), ::testing::ElementsAre(E(0)));
}

TEST(LineReader, SimpleLines) {
    EXPECT_THAT(read_both("a\nbc\n\ndef\n", 100), ::testing::ElementsAre(L("a", 1), L("bc", 2), L("", 3), L("def", 4), E(4)));
}

TEST(LineReader, LastLineWithoutNewline) {
    EXPECT_THAT(read_both("a\nlast", 100), ::testing::ElementsAre(L("a", 1), L("last", 2), E(2)));
    EXPECT_THAT(read_both("only", 100), ::testing::ElementsAre(L("only", 1), E(1)));
    EXPECT_THAT(read_both("\n", 100), ::testing::ElementsAre(L("", 1), E(1)));
}

TEST(LineReader, CrLf) {
    EXPECT_THAT(read_both("a\r\nb\r\n\r\nc\rd\n", 100),
                ::testing::ElementsAre(L("a", 1), L("b", 2), L("", 3), L("c\rd", 4), E(4)));
    // Only one '\r' is removed.
    EXPECT_THAT(read_both("x\r\r\n", 100), ::testing::ElementsAre(L("x\r", 1), E(1)));
}

// The contract removes a trailing '\r' from every line, the last one included.
TEST(LineReader, CrOnLastLineWithoutNewline) {
    EXPECT_THAT(read_both("a\r\nb\r", 100), ::testing::ElementsAre(L("a", 1), L("b", 2), E(2)));
}

TEST(LineReader, CrLfLineOfExactlyMax) {
    const std::string line(10, 'x');
    EXPECT_THAT(read_both(line + "\r\n" + line + "\n", 10), ::testing::ElementsAre(L(line, 1), L(line, 2), E(2)));
    EXPECT_THAT(read_both(line + "y\r\nok\n", 10), ::testing::ElementsAre(TL(1), L("ok", 2), E(2)));
}

TEST(LineReader, LinesAcrossTheBufferBoundary) {
    // Lines whose bytes straddle the first 1 MiB read, at several offsets around the boundary.
    for (std::size_t first : {mib - 3, mib - 2, mib - 1, mib, mib + 1, mib / 2}) {
        SCOPED_TRACE(first);
        const std::string a(first, 'a');
        const std::string b(300000, 'b');
        const std::string c(2 * mib + 17, 'c');  // longer than the first buffer: it grows
        const std::string content = a + "\n" + b + "\r\n" + c + "\n" + "tail";
        auto items = read_both(content, 4 * mib);
        ASSERT_EQ(items.size(), 5u);
        EXPECT_EQ(items[0], L(a, 1));
        EXPECT_EQ(items[1], L(b, 2));
        EXPECT_EQ(items[2], L(c, 3));
        EXPECT_EQ(items[3], L("tail", 4));
        EXPECT_EQ(items[4], E(4));
    }
}

TEST(LineReader, ManySmallLinesAcrossSeveralBuffers) {
    std::string content;
    std::vector<item> want;
    for (std::size_t i = 0; i < 200000; ++i) {
        std::string l = std::to_string(i * 7919) + std::string(i % 23, '.');
        content += l + (i % 3 ? "\n" : "\r\n");
        want.push_back(L(l, i + 1));
    }
    want.push_back(E(200000));
    const auto a = via_file(content, 100);
    EXPECT_TRUE(a == want);
    const auto b = via_pipe(content, 100, 65536);
    EXPECT_TRUE(b == want);
}

TEST(LineReader, TooLongLineSkippedAndNextLineRead) {
    const std::string big(5000, 'x');
    EXPECT_THAT(read_both("ok\n" + big + "\nnext\n" + big + "\r\nafter", 100),
                ::testing::ElementsAre(L("ok", 1), TL(2), L("next", 3), TL(4), L("after", 5), E(5)));
    EXPECT_THAT(read_both(big, 100), ::testing::ElementsAre(TL(1), E(1)));
    // Exactly max is fine, max + 1 is too long.
    EXPECT_THAT(read_both(std::string(100, 'y') + "\n" + std::string(101, 'z') + "\nq\n", 100),
                ::testing::ElementsAre(L(std::string(100, 'y'), 1), TL(2), L("q", 3), E(3)));
}

TEST(LineReader, HugeLineBeyondSeveralBuffersIsSkipped) {
    // Longer than max and than the buffer: skipped to its end without keeping it.
    const std::string huge(5 * mib + 123, 'h');
    for (std::size_t max : {std::size_t{1000}, mib, 2 * mib}) {
        SCOPED_TRACE(max);
        auto items = read_both("first\n" + huge + "\nsecond\n" + huge, max);
        EXPECT_THAT(items, ::testing::ElementsAre(L("first", 1), TL(2), L("second", 3), TL(4), E(4)));
    }
}

TEST(LineReader, TooLongLineAtTheBoundaryThenNormalLine) {
    // The too-long line ends just after the first 1 MiB; the next line starts in the second read.
    const std::string big(mib + 5, 'x');
    auto items = read_both(big + "\nafter\n", mib);
    EXPECT_THAT(items, ::testing::ElementsAre(TL(1), L("after", 2), E(2)));
    const std::string edge(mib - 1, 'e');  // newline is the last byte of the first read
    items = read_both(edge + "\nz\n", 1000);
    EXPECT_THAT(items, ::testing::ElementsAre(TL(1), L("z", 2), E(2)));
}

TEST(LineReader, BytesRead) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const std::string content = "abc\ndef\n";
    ASSERT_EQ(::write(fds[1], content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ::close(fds[1]);
    line_reader r(fds[0], 100);
    std::string_view line;
    while (r.next(line) == status::line) {
    }
    EXPECT_EQ(r.bytes_read(), content.size());
    EXPECT_EQ(r.line_number(), 2u);
    EXPECT_EQ(r.next(line), status::eof);  // stays at eof
    ::close(fds[0]);
}

TEST(LineReader, ReadErrorReported) {
    line_reader r(-1, 100);
    std::string_view line;
    EXPECT_EQ(r.next(line), status::error);
}

}  // namespace
