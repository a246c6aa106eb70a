// minimal-client: the ceiling the connector is measured against (issue 18, tools/bench --null-sink).
//
//   minimal-client [--host 127.0.0.1] [--port 9042] [--window 256] [--data-as-text]
//                  [--keyspace nullsink] [--table airbyte_raw_users] [--stream users]  < messages.jsonl
//
// It does the connector's work for an append stream and nothing more: reads Airbyte messages from
// stdin, parses each line with a full RapidJSON Document parse (UTF-8 validated) and re-serialises
// each RECORD's `data` with a Writer, then sends the connector's EXECUTE (protocol v4, the raw
// table's INSERT: uuid, data text, emitted_at timestamp, LOCAL_QUORUM, a client timestamp) pipelined
// over one connection with at most --window requests outstanding, and prints each STATE line once
// every record before it is acknowledged. Every response is checked: RESULT Void on a stream id that
// has a request outstanding, else it stops with an error. --data-as-text skips the parse: `data` is
// its raw text, found by a string-aware brace match (the envelope is not validated).
//
// One thread, a non-blocking socket and poll(); frames are encoded by our codec (src/protocol), so
// the difference to the connector is the client's machinery, not the wire bytes. On success it
// prints one JSON line to stderr: {"rows":N,"acked":N,"states":K,...}; on failure a message, exit 1.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/frame.hpp"
#include "protocol/requests.hpp"
#include "protocol/responses.hpp"

namespace {

namespace proto = cql::protocol;

// The STATEs already printed are acknowledged ones: they go out; then stop at once (no destructors,
// no atexit handlers: nothing is left to clean up that the process's end does not).
[[noreturn]] void die(const std::string& what) {
    std::fflush(stdout);
    std::fprintf(stderr, "minimal-client: %s\n", what.c_str());
    std::fflush(stderr);
    std::_Exit(1);
}

struct options {
    std::string host = "127.0.0.1";
    int port = 9042;
    int window = 256;
    bool data_as_text = false;
    std::string keyspace = "nullsink", table = "airbyte_raw_users", stream = "users";
};

options parse_args(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) die(std::string(a) + " needs a value");
            return argv[++i];
        };
        if (a == "--host") o.host = value();
        else if (a == "--port") o.port = std::atoi(value().c_str());
        else if (a == "--window") o.window = std::atoi(value().c_str());
        else if (a == "--data-as-text") o.data_as_text = true;
        else if (a == "--keyspace") o.keyspace = value();
        else if (a == "--table") o.table = value();
        else if (a == "--stream") o.stream = value();
        else die("unknown argument " + std::string(a) + " (see the head of bench/minimal_client/minimal_client.cpp)");
    }
    if (o.window < 1 || o.window > 32768) die("--window must be 1..32768");
    return o;
}

// stdin in 1 MiB reads, cut into lines (a line longer than the buffer grows it).
class line_input {
public:
    bool next(std::string_view& line) {
        for (;;) {
            if (const void* nl = std::memchr(buf_.data() + begin_, '\n', end_ - begin_)) {
                const auto at = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.data());
                line = {buf_.data() + begin_, at - begin_};
                begin_ = at + 1;
                return true;
            }
            if (eof_) {
                if (begin_ == end_) return false;
                line = {buf_.data() + begin_, end_ - begin_};
                begin_ = end_;
                return true;
            }
            std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
            if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
            const ssize_t n = ::read(0, buf_.data() + end_, buf_.size() - end_);
            if (n < 0 && errno != EINTR) die(std::string("reading stdin: ") + std::strerror(errno));
            if (n == 0) eof_ = true;
            if (n > 0) end_ += static_cast<std::size_t>(n);
        }
    }

private:
    std::vector<char> buf_ = std::vector<char>(1 << 20);
    std::size_t begin_ = 0, end_ = 0;
    bool eof_ = false;
};

// A RECORD's parts, or a STATE (is_state), or neither (LOG, TRACE ...: ignored).
struct message {
    bool is_record = false, is_state = false;
    std::string_view stream, data;
    std::int64_t emitted_at = 0;
};

// The full parse: a Document over a pool that is cleared per line, data re-serialised by a Writer.
class full_parser {
public:
    full_parser() : pool_(block_.data(), block_.size()), doc_(&pool_) {}

    message parse(std::string_view line, std::uint64_t line_no) {
        doc_.SetNull();
        pool_.Clear();
        doc_.Parse<rapidjson::kParseValidateEncodingFlag>(line.data(), line.size());
        if (doc_.HasParseError() || !doc_.IsObject())
            die("line " + std::to_string(line_no) + ": not a JSON object (offset " + std::to_string(doc_.GetErrorOffset()) + ")");
        message m;
        const auto type = doc_.FindMember("type");
        if (type == doc_.MemberEnd() || !type->value.IsString()) die("line " + std::to_string(line_no) + ": no \"type\"");
        const std::string_view t(type->value.GetString(), type->value.GetStringLength());
        m.is_state = t == "STATE";
        if (t != "RECORD") return m;
        const auto rec = doc_.FindMember("record");
        if (rec == doc_.MemberEnd() || !rec->value.IsObject()) die("line " + std::to_string(line_no) + ": no \"record\" object");
        const auto& r = rec->value;
        const auto stream = r.FindMember("stream"), data = r.FindMember("data"), at = r.FindMember("emitted_at");
        if (stream == r.MemberEnd() || !stream->value.IsString() || data == r.MemberEnd() || !data->value.IsObject() ||
            at == r.MemberEnd() || !at->value.IsInt64())
            die("line " + std::to_string(line_no) + ": a RECORD needs stream (string), data (object), emitted_at (integer)");
        out_.Clear();
        rapidjson::Writer<rapidjson::StringBuffer> w(out_);
        data->value.Accept(w);
        m.is_record = true;
        m.stream = {stream->value.GetString(), stream->value.GetStringLength()};
        m.data = {out_.GetString(), out_.GetSize()};
        m.emitted_at = at->value.GetInt64();
        return m;
    }

private:
    std::vector<char> block_ = std::vector<char>(256 * 1024);
    rapidjson::MemoryPoolAllocator<> pool_;
    rapidjson::Document doc_;
    rapidjson::StringBuffer out_;
};

// --data-as-text: the fields found by searching the text; data's extent by matching braces outside strings.
std::size_t value_end(std::string_view s, std::size_t i) {
    int depth = 0;
    for (; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '"') {
            for (++i; i < s.size() && s[i] != '"'; ++i)
                if (s[i] == '\\') ++i;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return i + 1;
        }
    }
    return std::string_view::npos;
}

message scan_text(std::string_view line, std::uint64_t line_no) {
    message m;
    const auto bad = [&](const char* what) { die("line " + std::to_string(line_no) + ": " + what); };
    if (line.starts_with(R"({"type":"STATE")")) m.is_state = true;
    if (!line.starts_with(R"({"type":"RECORD")")) return m;
    const auto s = line.find(R"("stream":")");
    const auto d = line.find(R"("data":{)");
    if (s == std::string_view::npos || d == std::string_view::npos) bad("a RECORD without stream or data");
    const auto s_end = line.find('"', s + 10);
    const auto d_end = value_end(line, d + 7);
    if (s_end == std::string_view::npos || d_end == std::string_view::npos) bad("unterminated stream or data");
    const auto e = line.find(R"("emitted_at":)", d_end);
    if (e == std::string_view::npos) bad("a RECORD without emitted_at after data");
    char* end = nullptr;
    m.emitted_at = std::strtoll(line.data() + e + 13, &end, 10);
    if (end == line.data() + e + 13) bad("emitted_at is not an integer");
    m.is_record = true;
    m.stream = line.substr(s + 10, s_end - s - 10);
    m.data = line.substr(d + 7, d_end - d - 7);
    return m;
}

// ---------------------------------------------------------------- the connection

class connection {
public:
    explicit connection(const options& o) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(o.port));
        if (fd_ < 0 || ::inet_pton(AF_INET, o.host.c_str(), &a.sin_addr) != 1 ||
            ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
            die("cannot connect to " + o.host + ":" + std::to_string(o.port) + ": " + std::strerror(errno));
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ~connection() { ::close(fd_); }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // Set-up only (blocking): sends one request frame, returns its decoded response; an ERROR stops.
    template <class Request>
    proto::response_body request(const Request& req, const char* what) {
        std::vector<std::uint8_t> f;
        if (proto::encode_request(f, proto::protocol_version::v4, 0, req)) die(std::string("encoding ") + what);
        send_all(f);
        proto::frame fr;
        std::error_code ec;
        while (!reader_.next(fr, ec)) {
            if (ec) die(std::string("bad frame answering ") + what + ": " + ec.message());
            auto buf = reader_.prepare();
            const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
            if (n <= 0) die(std::string("connection closed answering ") + what);
            reader_.commit(static_cast<std::size_t>(n));
        }
        proto::response r;
        if (auto e = proto::decode_response(fr, r)) die(std::string("cannot decode the answer to ") + what + ": " + e.message());
        if (auto* err = std::get_if<proto::error_response>(&r.body)) die(std::string(what) + ": " + err->message);
        return std::move(r.body);
    }

    void set_nonblocking() { ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK); }
    int fd() const { return fd_; }
    proto::frame_reader& reader() { return reader_; }

private:
    void send_all(const std::vector<std::uint8_t>& f) {
        for (std::size_t at = 0; at < f.size();) {
            const ssize_t n = ::send(fd_, f.data() + at, f.size() - at, MSG_NOSIGNAL);
            if (n <= 0) die(std::string("send: ") + std::strerror(errno));
            at += static_cast<std::size_t>(n);
        }
    }

    int fd_ = -1;
    proto::frame_reader reader_;
};

// ---------------------------------------------------------------- the pipeline

// Records between two STATEs: the STATE is printed once all of them, and all before, are acknowledged.
struct segment {
    std::uint64_t outstanding = 0;
    bool closed = false;
    std::string state;
};

class pipeline {
public:
    pipeline(const options& o, connection& c, std::vector<std::uint8_t> id)
        : o_(o), c_(c), id_(std::move(id)), segment_of_(std::size_t(o.window)), busy_(std::size_t(o.window)) {
        for (int s = o.window - 1; s >= 0; --s) free_.push_back(static_cast<std::int16_t>(s));
        segments_.emplace_back();
        std::random_device rd;
        rng_ = (std::uint64_t(rd()) << 32) ^ rd();
    }

    void run() {
        c_.set_nonblocking();
        for (;;) {
            fill();
            bool progress = flush();
            progress |= receive();
            if (input_done_ && free_.size() == busy_.size() && sent_ == out_.size()) break;
            if (!progress && (input_done_ || free_.empty() || out_.size() - sent_ >= (1u << 20))) {
                pollfd p{c_.fd(), short(POLLIN | (sent_ < out_.size() ? POLLOUT : 0)), 0};
                if (::poll(&p, 1, -1) < 0 && errno != EINTR) die(std::string("poll: ") + std::strerror(errno));
            }
        }
        drain_states();
        if (!segments_.empty() && segments_.front().outstanding) die("records left unacknowledged at the end");
        std::fflush(stdout);
        std::fprintf(stderr, R"({"rows":%llu,"acked":%llu,"states":%llu,"window":%d,"mode":"%s"})" "\n",
                     static_cast<unsigned long long>(rows_), static_cast<unsigned long long>(acked_),
                     static_cast<unsigned long long>(states_), o_.window, o_.data_as_text ? "data-as-text" : "parse");
    }

private:
    void fill() {
        std::string_view line;
        while (!free_.empty() && out_.size() - sent_ < (1u << 20) && !input_done_) {
            if (!input_.next(line)) {
                input_done_ = true;
                segments_.back().closed = true;  // the tail: no STATE, nothing to print
                break;
            }
            ++line_no_;
            if (line.empty()) continue;
            const message m = o_.data_as_text ? scan_text(line, line_no_) : parser_.parse(line, line_no_);
            if (m.is_state) {
                segments_.back().closed = true;
                segments_.back().state.assign(line);
                segments_.emplace_back();
                drain_states();
            } else if (m.is_record) {
                if (m.stream != o_.stream) die("line " + std::to_string(line_no_) + ": stream " + std::string(m.stream) + " is not in the catalog");
                send_record(m);
            }
        }
    }

    void send_record(const message& m) {
        const std::int16_t s = free_.back();
        free_.pop_back();
        busy_[std::size_t(s)] = 1;
        segment_of_[std::size_t(s)] = first_segment_ + segments_.size() - 1;
        ++segments_.back().outstanding;
        ++rows_;
        std::uint8_t uuid[16], ts[8];
        for (int half = 0; half < 2; ++half) {  // splitmix64, then the version 4 / variant bits
            std::uint64_t z = (rng_ += 0x9E3779B97F4A7C15ull);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            z ^= z >> 31;
            for (int i = 0; i < 8; ++i) uuid[half * 8 + i] = std::uint8_t(z >> (8 * i));
        }
        uuid[6] = std::uint8_t((uuid[6] & 0x0F) | 0x40);
        uuid[8] = std::uint8_t((uuid[8] & 0x3F) | 0x80);
        for (int i = 0; i < 8; ++i) ts[i] = std::uint8_t(static_cast<std::uint64_t>(m.emitted_at) >> (56 - 8 * i));
        const proto::value_view values[3] = {
            proto::value_view::of({uuid, 16}),
            proto::value_view::of({reinterpret_cast<const std::uint8_t*>(m.data.data()), m.data.size()}),
            proto::value_view::of({ts, 8})};
        proto::query_parameters p;
        p.cl = proto::consistency::local_quorum;
        p.values = values;
        p.default_timestamp = std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count();
        if (auto e = proto::encode_request(out_, proto::protocol_version::v4, s, proto::execute_request{id_, p}))
            die("line " + std::to_string(line_no_) + ": encoding the EXECUTE: " + e.message());
    }

    bool flush() {
        bool progress = false;
        while (sent_ < out_.size()) {
            const ssize_t n = ::send(c_.fd(), out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
            if (n <= 0) die(std::string("send: ") + std::strerror(errno));
            sent_ += static_cast<std::size_t>(n);
            progress = true;
        }
        if (sent_ == out_.size()) out_.clear(), sent_ = 0;
        return progress;
    }

    bool receive() {
        if (free_.size() == busy_.size()) return false;  // nothing outstanding: nothing to read
        auto& rd = c_.reader();
        bool progress = false;
        for (;;) {
            auto buf = rd.prepare();
            const ssize_t n = ::recv(c_.fd(), buf.data(), buf.size(), 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
            if (n <= 0) die(n == 0 ? "the server closed the connection" : std::string("recv: ") + std::strerror(errno));
            rd.commit(static_cast<std::size_t>(n));
            progress = true;
            std::error_code ec;
            while (rd.next(frame_, ec)) on_response();
            if (ec) die("bad frame from the server: " + ec.message());
            if (std::size_t(n) < buf.size()) break;
        }
        return progress;
    }

    void on_response() {
        const auto& h = frame_.header;
        const auto s = static_cast<std::size_t>(h.stream);
        if (h.stream < 0 || s >= busy_.size() || !busy_[s])
            die("a response on stream " + std::to_string(h.stream) + ", which has no request outstanding");
        static constexpr std::uint8_t void_kind[4] = {0, 0, 0, 1};
        if (h.op != proto::opcode::result || h.flags != 0 || frame_.body.size() != 4 ||
            std::memcmp(frame_.body.data(), void_kind, 4) != 0) {
            proto::response r;
            const auto e = proto::decode_response(frame_, r);
            const auto* err = e ? nullptr : std::get_if<proto::error_response>(&r.body);
            die("stream " + std::to_string(h.stream) + ": not RESULT Void but " + proto::opcode_name(h.op) +
                (err ? ": " + err->message : std::string()));
        }
        busy_[s] = 0;
        free_.push_back(h.stream);
        ++acked_;
        --segments_[segment_of_[s] - first_segment_].outstanding;
        drain_states();
    }

    void drain_states() {
        bool printed = false;
        while (!segments_.empty() && segments_.front().closed && segments_.front().outstanding == 0) {
            if (!segments_.front().state.empty()) {
                std::fwrite(segments_.front().state.data(), 1, segments_.front().state.size(), stdout);
                std::fputc('\n', stdout);
                ++states_;
                printed = true;
            }
            segments_.pop_front();
            ++first_segment_;
        }
        if (segments_.empty()) segments_.emplace_back();  // cannot happen before the end: the tail is open
        if (printed) std::fflush(stdout);
    }

    const options& o_;
    connection& c_;
    std::vector<std::uint8_t> id_;
    line_input input_;
    full_parser parser_;
    std::vector<std::uint64_t> segment_of_;  // by stream id
    std::vector<std::uint8_t> busy_;         // by stream id
    std::vector<std::int16_t> free_;
    std::deque<segment> segments_;
    std::uint64_t first_segment_ = 0, line_no_ = 0, rows_ = 0, acked_ = 0, states_ = 0, rng_ = 0;
    std::vector<std::uint8_t> out_;
    std::size_t sent_ = 0;
    proto::frame frame_;
    bool input_done_ = false;
};

std::string quoted(const std::string& name) { return '"' + name + '"'; }

}  // namespace

int main(int argc, char** argv) {
    const options o = parse_args(argc, argv);
    connection c(o);
    proto::startup_request startup{{{"CQL_VERSION", "3.0.0"}}};
    if (!std::holds_alternative<proto::ready_response>(c.request(startup, "STARTUP")))
        die("STARTUP: the server wants authentication, which this client does not do");
    const std::string ks = quoted(o.keyspace), table = ks + "." + quoted(o.table);
    // The connector's own DDL for an append stream, so that the sink knows the columns' types.
    (void)c.request(proto::query_request{"CREATE KEYSPACE IF NOT EXISTS " + ks +
                                             " WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}",
                                         {}},
                    "CREATE KEYSPACE");
    (void)c.request(proto::query_request{"CREATE TABLE IF NOT EXISTS " + table +
                                             R"( ("_airbyte_ab_id" uuid PRIMARY KEY, "_airbyte_data" text, "_airbyte_emitted_at" timestamp))",
                                         {}},
                    "CREATE TABLE");
    const std::string insert = "INSERT INTO " + table +
                               R"( ("_airbyte_ab_id", "_airbyte_data", "_airbyte_emitted_at") VALUES (?, ?, ?))";
    auto prepared = c.request(proto::prepare_request{insert}, "PREPARE");
    const auto* res = std::get_if<proto::result>(&prepared);
    const auto* p = res ? std::get_if<proto::prepared_result>(res) : nullptr;
    if (!p) die("PREPARE: the answer is not a PREPARED result");
    pipeline(o, c, std::vector<std::uint8_t>(p->id.begin(), p->id.end())).run();
    return 0;
}
