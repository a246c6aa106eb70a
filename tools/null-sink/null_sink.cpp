// null-sink: a CQL native protocol v4 "server" that answers every request at once and stores
// nothing, to measure the ceiling of our client and connector (issue 7) without a database behind.
//
//   null-sink [--host 127.0.0.1] [--port 9042] [--stats-file PATH] [--port-file PATH] [--quiet] [--log-queries]
//
// --port 0 picks a free port; the first line on stdout is "null-sink listening on HOST:PORT".
// On SIGINT/SIGTERM it prints a summary (requests by opcode, bytes in and out, rows) to stderr,
// writes it as JSON to --stats-file if given, and exits 0. SIGUSR1 writes the stats file (and
// prints the summary) without stopping.
//
// It speaks just enough of the protocol for destination-cassandra's write, check and our client's
// set-up: OPTIONS -> SUPPORTED (CQL_VERSION 3.4.7, no compression), STARTUP and REGISTER -> READY
// (no authentication), PREPARE -> PREPARED with bind metadata taken from the CREATE TABLE
// statements it was sent, EXECUTE and BATCH -> Void, QUERY -> Rows for the system tables the client
// reads (one local node in datacenter1, no peers, one schema version), SCHEMA_CHANGE for DDL, Void
// for the rest; SELECTs of user tables answer zero rows. Single-threaded, standalone Asio,
// responses encoded by hand; frames may be pipelined and split across reads.
#include <asio.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <csignal>
#include <cstring>
#include <functional>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using asio::ip::tcp;

// ------------------------------------------------------------------ wire helpers

constexpr std::size_t header_size = 9;
constexpr std::uint32_t max_body = 256u << 20;

enum opcode : std::uint8_t {
    op_error = 0x00, op_startup = 0x01, op_ready = 0x02, op_authenticate = 0x03, op_options = 0x05,
    op_supported = 0x06, op_query = 0x07, op_result = 0x08, op_prepare = 0x09, op_execute = 0x0A,
    op_register = 0x0B, op_event = 0x0C, op_batch = 0x0D, op_auth_challenge = 0x0E, op_auth_response = 0x0F,
    op_auth_success = 0x10,
};

// CQL type option ids (spec 4.2.5.2).
enum type_id : std::uint16_t {
    t_custom = 0x00, t_ascii = 0x01, t_bigint = 0x02, t_blob = 0x03, t_boolean = 0x04, t_counter = 0x05,
    t_decimal = 0x06, t_double = 0x07, t_float = 0x08, t_int = 0x09, t_timestamp = 0x0B, t_uuid = 0x0C,
    t_varchar = 0x0D, t_varint = 0x0E, t_timeuuid = 0x0F, t_inet = 0x10, t_date = 0x11, t_time = 0x12,
    t_smallint = 0x13, t_tinyint = 0x14, t_duration = 0x15, t_list = 0x20, t_map = 0x21, t_set = 0x22,
};

// A column type: a simple id, or a collection of simple ids (enough for the system tables).
struct col_type {
    std::uint16_t id = t_blob;
    std::uint16_t a = 0, b = 0;  // element (list/set), key and value (map)
};

int fixed_size(std::uint16_t id) {
    switch (id) {
    case t_bigint: case t_counter: case t_double: case t_timestamp: case t_time: return 8;
    case t_uuid: case t_timeuuid: return 16;
    case t_int: case t_float: case t_date: return 4;
    case t_boolean: case t_tinyint: return 1;
    case t_smallint: return 2;
    default: return -1;
    }
}

col_type type_named(std::string_view name) {
    static const std::map<std::string, std::uint16_t, std::less<>> names{
        {"ascii", t_ascii}, {"bigint", t_bigint}, {"blob", t_blob}, {"boolean", t_boolean}, {"counter", t_counter},
        {"decimal", t_decimal}, {"double", t_double}, {"float", t_float}, {"int", t_int}, {"timestamp", t_timestamp},
        {"uuid", t_uuid}, {"text", t_varchar}, {"varchar", t_varchar}, {"varint", t_varint}, {"timeuuid", t_timeuuid},
        {"inet", t_inet}, {"date", t_date}, {"time", t_time}, {"smallint", t_smallint}, {"tinyint", t_tinyint},
        {"duration", t_duration}};
    auto it = names.find(name);
    return {it == names.end() ? std::uint16_t(t_blob) : it->second, 0, 0};
}

std::string type_text(std::uint16_t id) {
    switch (id) {
    case t_ascii: return "ascii"; case t_bigint: return "bigint"; case t_blob: return "blob";
    case t_boolean: return "boolean"; case t_counter: return "counter"; case t_decimal: return "decimal";
    case t_double: return "double"; case t_float: return "float"; case t_int: return "int";
    case t_timestamp: return "timestamp"; case t_uuid: return "uuid"; case t_varchar: return "text";
    case t_varint: return "varint"; case t_timeuuid: return "timeuuid"; case t_inet: return "inet";
    case t_date: return "date"; case t_time: return "time"; case t_smallint: return "smallint";
    case t_tinyint: return "tinyint"; case t_duration: return "duration";
    default: return "blob";
    }
}

class writer {
public:
    explicit writer(std::vector<std::uint8_t>& out) : b_(out) {}
    void u8(std::uint8_t v) { b_.push_back(v); }
    void u16(std::uint16_t v) { u8(std::uint8_t(v >> 8)); u8(std::uint8_t(v)); }
    void i32(std::int32_t v) {
        const auto u = static_cast<std::uint32_t>(v);
        u8(std::uint8_t(u >> 24)); u8(std::uint8_t(u >> 16)); u8(std::uint8_t(u >> 8)); u8(std::uint8_t(u));
    }
    void i64(std::int64_t v) { i32(std::int32_t(static_cast<std::uint64_t>(v) >> 32)); i32(std::int32_t(v)); }
    void raw(const void* p, std::size_t n) {
        const auto* c = static_cast<const std::uint8_t*>(p);
        b_.insert(b_.end(), c, c + n);
    }
    void string(std::string_view s) { u16(std::uint16_t(s.size())); raw(s.data(), s.size()); }
    void long_string(std::string_view s) { i32(std::int32_t(s.size())); raw(s.data(), s.size()); }
    void short_bytes(const std::vector<std::uint8_t>& v) { u16(std::uint16_t(v.size())); raw(v.data(), v.size()); }
    void bytes(const void* p, std::size_t n) { i32(std::int32_t(n)); raw(p, n); }
    void bytes(std::string_view s) { bytes(s.data(), s.size()); }
    void null_bytes() { i32(-1); }
    void type(const col_type& t) {
        u16(t.id);
        if (t.id == t_list || t.id == t_set) u16(t.a);
        if (t.id == t_map) { u16(t.a); u16(t.b); }
    }
    std::size_t size() const { return b_.size(); }
    std::vector<std::uint8_t>& buf() { return b_; }

private:
    std::vector<std::uint8_t>& b_;
};

class reader {
public:
    reader(const std::uint8_t* p, std::size_t n) : p_(p), n_(n) {}
    bool ok() const { return ok_; }
    std::size_t left() const { return n_ - at_; }
    bool need(std::size_t k) {
        if (!ok_ || left() < k) ok_ = false;
        return ok_;
    }
    std::uint8_t u8() { return need(1) ? p_[at_++] : 0; }
    std::uint16_t u16() {
        if (!need(2)) return 0;
        std::uint16_t v = std::uint16_t(p_[at_] << 8 | p_[at_ + 1]);
        at_ += 2;
        return v;
    }
    std::int32_t i32() {
        if (!need(4)) return 0;
        std::uint32_t v = std::uint32_t(p_[at_]) << 24 | std::uint32_t(p_[at_ + 1]) << 16 | std::uint32_t(p_[at_ + 2]) << 8 | p_[at_ + 3];
        at_ += 4;
        return static_cast<std::int32_t>(v);
    }
    std::string_view take(std::size_t k) {
        if (!need(k)) return {};
        std::string_view s(reinterpret_cast<const char*>(p_ + at_), k);
        at_ += k;
        return s;
    }
    std::string_view string() { return take(u16()); }
    std::string_view long_string() {
        auto n = i32();
        if (n < 0) { ok_ = false; return {}; }
        return take(std::size_t(n));
    }
    std::string_view short_bytes() { return take(u16()); }

private:
    const std::uint8_t* p_;
    std::size_t n_, at_ = 0;
    bool ok_ = true;
};

// ------------------------------------------------------------------ a tiny CQL tokenizer

struct token {
    enum kind_t { word, quoted, literal, marker, symbol } kind;
    std::string text;  // word: as written; quoted: the identifier; literal: the string's content; symbol: "=", "<=", ...
};

std::vector<token> tokenize(std::string_view q) {
    std::vector<token> out;
    std::size_t i = 0;
    while (i < q.size()) {
        const char c = q[i];
        if (std::isspace(static_cast<unsigned char>(c))) { ++i; continue; }
        if (c == '"' || c == '\'') {
            std::string s;
            ++i;
            while (i < q.size()) {
                if (q[i] == c) {
                    if (i + 1 < q.size() && q[i + 1] == c) { s += c; i += 2; continue; }
                    ++i;
                    break;
                }
                s += q[i++];
            }
            out.push_back({c == '"' ? token::quoted : token::literal, std::move(s)});
            continue;
        }
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') {
            // '.' separates keyspace and table: it is kept as its own symbol unless inside a number.
            if (c == '.') { out.push_back({token::symbol, "."}); ++i; continue; }
            std::size_t j = i;
            while (j < q.size() && (std::isalnum(static_cast<unsigned char>(q[j])) || q[j] == '_' ||
                                    (q[j] == '-' && j == i) || (q[j] == '.' && std::isdigit(static_cast<unsigned char>(q[i])))))
                ++j;
            if (j == i) { out.push_back({token::symbol, std::string(1, c)}); ++i; continue; }
            out.push_back({token::word, std::string(q.substr(i, j - i))});
            i = j;
            continue;
        }
        if (c == '?') { out.push_back({token::marker, "?"}); ++i; continue; }
        if ((c == '<' || c == '>' || c == '!') && i + 1 < q.size() && q[i + 1] == '=') {
            out.push_back({token::symbol, std::string(q.substr(i, 2))});
            i += 2;
            continue;
        }
        out.push_back({token::symbol, std::string(1, c)});
        ++i;
    }
    return out;
}

std::string lower(std::string_view s) {
    std::string o(s);
    for (auto& ch : o) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    return o;
}

bool is_kw(const std::vector<token>& t, std::size_t i, std::string_view kw) {
    return i < t.size() && t[i].kind == token::word && lower(t[i].text) == kw;
}

// An identifier: quoted keeps its case, unquoted is folded to lower case (as Cassandra does).
std::optional<std::string> ident(const std::vector<token>& t, std::size_t i) {
    if (i >= t.size()) return std::nullopt;
    if (t[i].kind == token::quoted) return t[i].text;
    if (t[i].kind == token::word) return lower(t[i].text);
    return std::nullopt;
}

// [ks .] table at i; advances i.
std::optional<std::pair<std::string, std::string>> qualified_name(const std::vector<token>& t, std::size_t& i) {
    auto a = ident(t, i);
    if (!a) return std::nullopt;
    if (i + 1 < t.size() && t[i + 1].kind == token::symbol && t[i + 1].text == ".") {
        auto b = ident(t, i + 2);
        if (!b) return std::nullopt;
        i += 3;
        return std::make_pair(*a, *b);
    }
    i += 1;
    return std::make_pair(std::string(), *a);
}

// ------------------------------------------------------------------ the fake schema

struct column {
    std::string name;
    col_type type;
};

struct table_def {
    std::vector<column> columns;
    std::vector<std::string> partition_key;
    std::vector<std::pair<std::string, std::string>> clustering;  // name, "asc" or "desc"
    std::string comment;
    const column* find(const std::string& n) const {
        for (const auto& c : columns)
            if (c.name == n) return &c;
        return nullptr;
    }
};

struct variable {
    std::string name;
    col_type type;
};

struct prepared {
    std::string query, keyspace, table;
    std::vector<variable> vars;
    std::vector<std::uint16_t> pk_indexes;
    bool is_insert = false;
    std::uint64_t executions = 0;
};

struct stats {
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::optional<std::chrono::steady_clock::time_point> first_execute, last_execute;
    std::uint64_t connections = 0, frames = 0, bytes_in = 0, bytes_out = 0, errors_sent = 0;
    std::uint64_t executes = 0, insert_executes = 0, batches = 0, value_bytes = 0, reads = 0, writes = 0;
    std::map<std::string, std::uint64_t> by_opcode;
};

const char* op_name(std::uint8_t op) {
    switch (op) {
    case op_startup: return "STARTUP"; case op_options: return "OPTIONS"; case op_query: return "QUERY";
    case op_prepare: return "PREPARE"; case op_execute: return "EXECUTE"; case op_register: return "REGISTER";
    case op_batch: return "BATCH"; case op_auth_response: return "AUTH_RESPONSE";
    default: return "OTHER";
    }
}

class server {
public:
    server(asio::io_context& io, const tcp::endpoint& ep, bool quiet, bool log_queries)
        : io_(io), acceptor_(io, ep), quiet_(quiet), log_queries_(log_queries) {
        // The system keyspaces a real node lists.
        keyspaces_["system"] = {{"class", "org.apache.cassandra.locator.LocalStrategy"}};
        keyspaces_["system_schema"] = keyspaces_["system"];
        for (const char* k : {"system_auth", "system_distributed", "system_traces"})
            keyspaces_[k] = {{"class", "org.apache.cassandra.locator.SimpleStrategy"}, {"replication_factor", "1"}};
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    void start() { accept(); }
    stats& st() { return stats_; }
    void close() {
        std::error_code ec;
        acceptor_.close(ec);
    }

    std::string summary_json() const;
    std::string summary_text() const;

    // Answers one request; appends the response frame to out.
    void handle(std::uint8_t version, std::uint8_t flags, std::int16_t stream, std::uint8_t op, const std::uint8_t* body,
                std::size_t len, std::vector<std::uint8_t>& out);

private:
    void accept();

    // Response frame helpers: begin returns the frame's start, end patches its length.
    static std::size_t begin(std::vector<std::uint8_t>& out, std::int16_t stream, std::uint8_t op) {
        const std::size_t at = out.size();
        out.resize(at + header_size);
        out[at] = 0x84;
        out[at + 1] = 0;
        out[at + 2] = std::uint8_t(std::uint16_t(stream) >> 8);
        out[at + 3] = std::uint8_t(stream);
        out[at + 4] = op;
        return at;
    }
    static void end(std::vector<std::uint8_t>& out, std::size_t at) {
        const auto n = static_cast<std::uint32_t>(out.size() - at - header_size);
        out[at + 5] = std::uint8_t(n >> 24);
        out[at + 6] = std::uint8_t(n >> 16);
        out[at + 7] = std::uint8_t(n >> 8);
        out[at + 8] = std::uint8_t(n);
    }
    void error(std::vector<std::uint8_t>& out, std::int16_t stream, std::int32_t code, std::string_view msg,
               const std::vector<std::uint8_t>* unprepared_id = nullptr) {
        ++stats_.errors_sent;
        auto at = begin(out, stream, op_error);
        writer w(out);
        w.i32(code);
        w.string(msg);
        if (unprepared_id) w.short_bytes(*unprepared_id);
        end(out, at);
        if (!quiet_) std::cerr << "null-sink: ERROR " << code << ": " << msg << "\n";
    }
    static void void_result(std::vector<std::uint8_t>& out, std::int16_t stream) {
        // Nine header bytes and kind 1, the answer to nearly every request of a run.
        static constexpr std::uint8_t tail[] = {op_result, 0, 0, 0, 4, 0, 0, 0, 1};
        const std::size_t at = out.size();
        out.resize(at + header_size + 4);
        out[at] = 0x84;
        out[at + 1] = 0;
        out[at + 2] = std::uint8_t(std::uint16_t(stream) >> 8);
        out[at + 3] = std::uint8_t(stream);
        std::memcpy(out.data() + at + 4, tail, sizeof tail);
    }
    void schema_change(std::vector<std::uint8_t>& out, std::int16_t stream, std::string_view change, std::string_view target,
                       const std::string& ks, const std::string* table) {
        auto at = begin(out, stream, op_result);
        writer w(out);
        w.i32(5);
        w.string(change);
        w.string(target);
        w.string(ks);
        if (table) w.string(*table);
        end(out, at);
    }

    struct cell {
        enum { null, raw } kind = null;
        std::string data;
    };
    struct rows_out {
        std::string ks, table;
        std::vector<column> columns;
        std::vector<std::vector<cell>> rows;
    };
    void rows(std::vector<std::uint8_t>& out, std::int16_t stream, const rows_out& r) {
        auto at = begin(out, stream, op_result);
        writer w(out);
        w.i32(2);
        w.i32(0x0001);  // global tables spec
        w.i32(std::int32_t(r.columns.size()));
        w.string(r.ks);
        w.string(r.table);
        for (const auto& c : r.columns) {
            w.string(c.name);
            w.type(c.type);
        }
        w.i32(std::int32_t(r.rows.size()));
        for (const auto& row : r.rows)
            for (const auto& c : row) {
                if (c.kind == cell::null) w.null_bytes();
                else w.bytes(c.data);
            }
        end(out, at);
    }

    void on_query(std::string_view q, std::int16_t stream, std::vector<std::uint8_t>& out);
    void on_select(const std::vector<token>& t, std::int16_t stream, std::vector<std::uint8_t>& out);
    void on_prepare(std::string_view q, std::int16_t stream, std::vector<std::uint8_t>& out);
    void on_execute(reader& r, std::int16_t stream, std::vector<std::uint8_t>& out);
    void on_create_table(const std::vector<token>& t, std::int16_t stream, std::vector<std::uint8_t>& out);

    asio::io_context& io_;
    tcp::acceptor acceptor_;
    bool quiet_, log_queries_;
    stats stats_;
    std::map<std::string, std::map<std::string, std::string>> keyspaces_;  // name -> replication
    std::map<std::pair<std::string, std::string>, table_def> tables_;
    std::vector<prepared> prepared_;
    std::map<std::string, std::size_t> prepared_by_query_;
};

// ------------------------------------------------------------------ connections

class connection : public std::enable_shared_from_this<connection> {
public:
    connection(tcp::socket s, server& srv) : sock_(std::move(s)), srv_(srv) {
        in_.resize(256 * 1024);
        std::error_code ec;
        sock_.set_option(tcp::no_delay(true), ec);
    }
    void start() { read(); }

private:
    void read() {
        if (in_.size() - end_ < 64 * 1024) in_.resize(std::max(in_.size() * 2, end_ + 64 * 1024));
        auto self = shared_from_this();
        sock_.async_read_some(asio::buffer(in_.data() + end_, in_.size() - end_), [this, self](std::error_code ec, std::size_t n) {
            if (ec) return close();
            srv_.st().bytes_in += n;
            ++srv_.st().reads;
            end_ += n;
            if (!parse()) return close();
            flush();
            read();
        });
    }

    // Answers every whole frame buffered; false when the stream cannot be understood.
    bool parse() {
        while (end_ - begin_ >= header_size) {
            const std::uint8_t* h = in_.data() + begin_;
            const std::uint32_t len = std::uint32_t(h[5]) << 24 | std::uint32_t(h[6]) << 16 | std::uint32_t(h[7]) << 8 | h[8];
            if (len > max_body) return false;
            if (end_ - begin_ < header_size + len) {
                if (in_.size() - begin_ < header_size + len) {  // make room for the whole frame
                    compact();
                    if (in_.size() < header_size + len + 64 * 1024) in_.resize(header_size + len + 64 * 1024);
                }
                break;
            }
            const auto stream = static_cast<std::int16_t>(std::uint16_t(h[2] << 8 | h[3]));
            ++srv_.st().frames;
            srv_.handle(h[0], h[1], stream, h[4], h + header_size, len, pending_);
            begin_ += header_size + len;
        }
        compact();
        return true;
    }
    void compact() {
        if (begin_ == end_) {
            begin_ = end_ = 0;
        } else if (begin_ > 0) {
            std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
    }

    // One write at a time: what is answered meanwhile waits in pending_ and goes in the next one.
    void flush() {
        if (writing_ || pending_.empty() || !sock_.is_open()) return;
        writing_ = true;
        sending_.swap(pending_);
        pending_.clear();
        srv_.st().bytes_out += sending_.size();
        ++srv_.st().writes;
        auto self = shared_from_this();
        asio::async_write(sock_, asio::buffer(sending_), [this, self](std::error_code ec, std::size_t) {
            writing_ = false;
            if (ec) return close();
            flush();
        });
    }
    void close() {
        std::error_code ignored;
        sock_.close(ignored);
    }

    tcp::socket sock_;
    server& srv_;
    std::vector<std::uint8_t> in_, pending_, sending_;
    std::size_t begin_ = 0, end_ = 0;
    bool writing_ = false;
};

void server::accept() {
    acceptor_.async_accept([this](std::error_code ec, tcp::socket s) {
        if (ec) {
            if (ec == asio::error::operation_aborted) return;
        } else {
            ++stats_.connections;
            std::make_shared<connection>(std::move(s), *this)->start();
        }
        accept();
    });
}

// ------------------------------------------------------------------ requests

void server::handle(std::uint8_t version, std::uint8_t flags, std::int16_t stream, std::uint8_t op, const std::uint8_t* body,
                    std::size_t len, std::vector<std::uint8_t>& out) {
    if (op == op_execute) {  // the hot path
        ++stats_.executes;
        reader r(body, len);
        on_execute(r, stream, out);
        return;
    }
    ++stats_.by_opcode[op_name(op)];
    if ((version & 0x7F) != 4) {
        error(out, stream, 0x000A, "Invalid or unsupported protocol version (" + std::to_string(version & 0x7F) +
                                       "); supported versions are (4/v4)");
        return;
    }
    if (flags & 0x01) {
        error(out, stream, 0x000A, "null-sink does not do compression");
        return;
    }
    reader r(body, len);
    switch (op) {
    case op_options: {
        auto at = begin(out, stream, op_supported);
        writer w(out);
        w.u16(3);
        w.string("CQL_VERSION");
        w.u16(1);
        w.string("3.4.7");
        w.string("COMPRESSION");
        w.u16(0);
        w.string("PROTOCOL_VERSIONS");
        w.u16(1);
        w.string("4/v4");
        end(out, at);
        return;
    }
    case op_startup:
    case op_register: end(out, begin(out, stream, op_ready)); return;
    case op_query: {
        auto q = r.long_string();
        if (!r.ok()) return error(out, stream, 0x000A, "malformed QUERY");
        if (log_queries_) std::cerr << "null-sink: QUERY " << q << "\n";
        on_query(q, stream, out);
        return;
    }
    case op_prepare: {
        auto q = r.long_string();
        if (!r.ok()) return error(out, stream, 0x000A, "malformed PREPARE");
        if (log_queries_) std::cerr << "null-sink: PREPARE " << q << "\n";
        on_prepare(q, stream, out);
        return;
    }
    case op_batch:
        ++stats_.batches;
        void_result(out, stream);
        return;
    default: error(out, stream, 0x000A, std::string("null-sink does not answer opcode ") + std::to_string(op)); return;
    }
}

void server::on_execute(reader& r, std::int16_t stream, std::vector<std::uint8_t>& out) {
    auto now = std::chrono::steady_clock::now();
    if (!stats_.first_execute) stats_.first_execute = now;
    stats_.last_execute = now;
    auto id = r.short_bytes();
    // Ids are "nullsink" and 8 bytes of index.
    std::size_t idx = SIZE_MAX;
    if (id.size() == 16 && id.substr(0, 8) == "nullsink") {
        idx = 0;
        for (int i = 8; i < 16; ++i) idx = idx << 8 | static_cast<std::uint8_t>(id[std::size_t(i)]);
    }
    if (!r.ok() || idx >= prepared_.size()) {
        std::vector<std::uint8_t> v(id.begin(), id.end());
        return error(out, stream, 0x2500, "unknown prepared statement", &v);
    }
    prepared& p = prepared_[idx];
    ++p.executions;
    if (p.is_insert) ++stats_.insert_executes;
    r.u16();  // consistency
    const std::uint8_t flags = r.u8();
    if (flags & 0x01) {
        if (flags & 0x40) return error(out, stream, 0x2200, "named values are not supported by null-sink");
        const std::uint16_t n = r.u16();
        if (r.ok() && n != p.vars.size())
            return error(out, stream, 0x2200, "there were " + std::to_string(n) + " markers(?) in the query but " +
                                                  std::to_string(p.vars.size()) + " values were given");
        for (std::uint16_t i = 0; i < n && r.ok(); ++i) {
            const std::int32_t vl = r.i32();
            if (vl < 0) continue;  // null or unset
            const int want = fixed_size(p.vars[i].type.id);
            if (want >= 0 && vl != want && vl != 0)
                return error(out, stream, 0x2200, "value " + std::to_string(i) + " (" + p.vars[i].name + ", " +
                                                      type_text(p.vars[i].type.id) + ") has " + std::to_string(vl) + " bytes");
            stats_.value_bytes += std::uint32_t(vl);
            r.take(std::size_t(vl));
        }
    }
    if (!r.ok()) return error(out, stream, 0x000A, "malformed EXECUTE");
    void_result(out, stream);
}

void server::on_query(std::string_view q, std::int16_t stream, std::vector<std::uint8_t>& out) {
    const auto t = tokenize(q);
    if (t.empty() || t[0].kind != token::word) return void_result(out, stream);
    const std::string verb = lower(t[0].text);
    if (verb == "select") return on_select(t, stream, out);
    if (verb == "create" && is_kw(t, 1, "keyspace")) {
        std::size_t i = 2;
        if (is_kw(t, i, "if")) i += 3;
        auto name = ident(t, i);
        if (!name) return error(out, stream, 0x2000, "cannot parse CREATE KEYSPACE");
        // The replication map: 'key': 'value' pairs between braces.
        std::map<std::string, std::string> repl;
        for (std::size_t j = i; j + 2 < t.size(); ++j)
            if ((t[j].kind == token::literal) && t[j + 1].text == ":" && (t[j + 2].kind == token::literal || t[j + 2].kind == token::word))
                repl[t[j].text] = t[j + 2].text;
        if (auto c = repl.find("class"); c != repl.end() && c->second.find('.') == std::string::npos)
            c->second = "org.apache.cassandra.locator." + c->second;
        if (keyspaces_.count(*name)) return void_result(out, stream);
        keyspaces_[*name] = repl;
        return schema_change(out, stream, "CREATED", "KEYSPACE", *name, nullptr);
    }
    if (verb == "create" && is_kw(t, 1, "table")) return on_create_table(t, stream, out);
    if ((verb == "drop" || verb == "alter" || verb == "truncate") ) {
        std::size_t i = 1;
        const bool keyspace = is_kw(t, 1, "keyspace");
        if (is_kw(t, i, "table") || keyspace) ++i;
        if (is_kw(t, i, "if")) i += 2;
        if (keyspace) {
            auto name = ident(t, i);
            if (!name || !keyspaces_.count(*name)) return void_result(out, stream);
            if (verb == "drop") {
                keyspaces_.erase(*name);
                for (auto it = tables_.begin(); it != tables_.end();) it = it->first.first == *name ? tables_.erase(it) : std::next(it);
                return schema_change(out, stream, "DROPPED", "KEYSPACE", *name, nullptr);
            }
            return schema_change(out, stream, "UPDATED", "KEYSPACE", *name, nullptr);
        }
        auto name = qualified_name(t, i);
        if (!name) return error(out, stream, 0x2000, "cannot parse " + verb);
        auto it = tables_.find(*name);
        if (verb == "truncate") {
            if (it == tables_.end()) return error(out, stream, 0x2200, "unconfigured table " + name->second);
            return void_result(out, stream);
        }
        if (it == tables_.end()) {
            if (verb == "drop") return void_result(out, stream);  // IF EXISTS
            return error(out, stream, 0x2200, "unconfigured table " + name->second);
        }
        if (verb == "drop") {
            tables_.erase(it);
            return schema_change(out, stream, "DROPPED", "TABLE", name->first, &name->second);
        }
        for (std::size_t j = i; j + 2 < t.size(); ++j)
            if (is_kw(t, j, "comment") && t[j + 1].text == "=" && t[j + 2].kind == token::literal) it->second.comment = t[j + 2].text;
        return schema_change(out, stream, "UPDATED", "TABLE", name->first, &name->second);
    }
    if (verb == "use") {
        auto name = ident(t, 1);
        auto at = begin(out, stream, op_result);
        writer w(out);
        w.i32(3);
        w.string(name.value_or(""));
        end(out, at);
        return;
    }
    void_result(out, stream);  // INSERT, UPDATE, DELETE, BEGIN BATCH, GRANT, ...
}

void server::on_create_table(const std::vector<token>& t, std::int16_t stream, std::vector<std::uint8_t>& out) {
    std::size_t i = 2;
    if (is_kw(t, i, "if")) i += 3;
    auto name = qualified_name(t, i);
    if (!name || i >= t.size() || t[i].text != "(") return error(out, stream, 0x2000, "cannot parse CREATE TABLE");
    if (!keyspaces_.count(name->first)) return error(out, stream, 0x2200, "Keyspace " + name->first + " does not exist");
    ++i;
    // Split the definitions at commas outside brackets.
    std::vector<std::vector<token>> defs(1);
    int depth = 0;
    for (; i < t.size(); ++i) {
        const auto& k = t[i];
        if (k.kind == token::symbol && (k.text == "(" || k.text == "<")) ++depth;
        if (k.kind == token::symbol && (k.text == ")" || k.text == ">")) {
            if (depth == 0) break;
            --depth;
        }
        if (depth == 0 && k.kind == token::symbol && k.text == ",") {
            defs.emplace_back();
            continue;
        }
        defs.back().push_back(k);
    }
    table_def def;
    for (const auto& d : defs) {
        if (d.empty()) continue;
        if (is_kw(d, 0, "primary") && is_kw(d, 1, "key")) {
            // PRIMARY KEY ((a, b), c) or PRIMARY KEY (a, c): the partition key is the first element.
            // The columns after the partition key are the clustering columns, ascending unless
            // WITH CLUSTERING ORDER BY says otherwise.
            std::size_t j = 2;
            if (j < d.size() && d[j].text == "(") ++j;
            if (j < d.size() && d[j].kind == token::symbol && d[j].text == "(") {
                for (++j; j < d.size() && d[j].text != ")"; ++j)
                    if (auto c = ident(d, j)) def.partition_key.push_back(*c);
                ++j;
            } else if (auto c = ident(d, j)) {
                def.partition_key.push_back(*c);
                ++j;
            }
            for (; j < d.size() && d[j].text != ")"; ++j)
                if (auto c = ident(d, j)) def.clustering.emplace_back(*c, "asc");
            continue;
        }
        auto col = ident(d, 0);
        if (!col || d.size() < 2) continue;
        column c{*col, type_named(lower(d[1].text))};
        def.columns.push_back(c);
        for (std::size_t j = 2; j + 1 < d.size(); ++j)
            if (is_kw(d, j, "primary") && is_kw(d, j + 1, "key")) def.partition_key = {*col};
    }
    // WITH CLUSTERING ORDER BY (a DESC, b ASC), after the closing bracket of the definitions.
    for (std::size_t j = i; j + 3 < t.size(); ++j) {
        if (!(is_kw(t, j, "clustering") && is_kw(t, j + 1, "order") && is_kw(t, j + 2, "by") && t[j + 3].text == "(")) continue;
        for (std::size_t k = j + 4; k < t.size() && t[k].text != ")"; ++k) {
            auto c = ident(t, k);
            if (!c) continue;
            const bool desc = is_kw(t, k + 1, "desc");
            for (auto& [n, order] : def.clustering)
                if (n == *c) order = desc ? "desc" : "asc";
        }
        break;
    }
    if (tables_.count(*name)) return void_result(out, stream);  // IF NOT EXISTS
    tables_[*name] = std::move(def);
    return schema_change(out, stream, "CREATED", "TABLE", name->first, &name->second);
}

// The literal compared with column `col` in the WHERE clause (col = 'x'), if any.
std::optional<std::string> where_literal(const std::vector<token>& t, std::string_view col) {
    for (std::size_t j = 0; j + 2 < t.size(); ++j)
        if (ident(t, j) == std::string(col) && t[j + 1].text == "=" && t[j + 2].kind == token::literal) return t[j + 2].text;
    return std::nullopt;
}

void server::on_select(const std::vector<token>& t, std::int16_t stream, std::vector<std::uint8_t>& out) {
    // The selection: names (or * or COUNT(*) or WRITETIME(x)) up to FROM.
    std::size_t i = 1;
    struct sel {
        std::string name;
        std::optional<col_type> forced;
    };
    std::vector<sel> wanted;
    bool star = false;
    for (; i < t.size() && !is_kw(t, i, "from"); ++i) {
        if (t[i].text == "," ) continue;
        if (t[i].kind == token::symbol && t[i].text == "*") { star = true; continue; }
        if (i + 1 < t.size() && t[i + 1].text == "(" && t[i].kind == token::word) {  // a function
            const std::string fn = lower(t[i].text);
            std::string arg;
            std::size_t j = i + 2;
            for (; j < t.size() && t[j].text != ")"; ++j) arg += t[j].kind == token::symbol ? t[j].text : ident(t, j).value_or("");
            if (fn == "count") wanted.push_back({"count", col_type{t_bigint}});
            else if (fn == "writetime") wanted.push_back({"writetime(" + arg + ")", col_type{t_bigint}});
            else if (fn == "ttl") wanted.push_back({"ttl(" + arg + ")", col_type{t_int}});
            else wanted.push_back({fn + "(" + arg + ")", col_type{t_blob}});
            i = j;
            continue;
        }
        if (auto n = ident(t, i)) wanted.push_back({*n, std::nullopt});
    }
    ++i;
    auto name = qualified_name(t, i);
    if (!name) return error(out, stream, 0x2000, "cannot parse SELECT");
    const auto& [ks, table] = *name;

    // The table's columns and rows (as name -> cell), then projected on the selection.
    std::vector<column> columns;
    std::vector<std::map<std::string, cell>> rows_by_name;
    auto raw = [](const std::vector<std::uint8_t>& v) { return cell{cell::raw, std::string(v.begin(), v.end())}; };
    auto text = [](std::string s) { return cell{cell::raw, std::move(s)}; };
    auto i32c = [](std::int32_t v) {
        std::vector<std::uint8_t> b;
        writer(b).i32(v);
        return cell{cell::raw, std::string(b.begin(), b.end())};
    };
    static const std::vector<std::uint8_t> localhost{127, 0, 0, 1};
    static const std::vector<std::uint8_t> schema_version{0x5c, 0x6e, 0x75, 0x11, 0x5a, 0x1e, 0x3b, 0x2c,
                                                          0x9e, 0x4d, 0x7a, 0x31, 0x0b, 0x5e, 0x11, 0x00};
    static const std::vector<std::uint8_t> host_id{0x4e, 0x11, 0x5e, 0x1c, 0x00, 0x00, 0x40, 0x00,
                                                   0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
    auto text_set = [](const std::vector<std::string>& items) {
        std::vector<std::uint8_t> b;
        writer w(b);
        w.i32(std::int32_t(items.size()));
        for (const auto& s : items) w.bytes(s);
        return cell{cell::raw, std::string(b.begin(), b.end())};
    };
    if (ks == "system" && table == "local") {
        columns = {{"key", {t_varchar}}, {"bootstrapped", {t_varchar}}, {"broadcast_address", {t_inet}},
                   {"broadcast_port", {t_int}}, {"cluster_name", {t_varchar}}, {"cql_version", {t_varchar}},
                   {"data_center", {t_varchar}}, {"gossip_generation", {t_int}}, {"host_id", {t_uuid}},
                   {"listen_address", {t_inet}}, {"listen_port", {t_int}}, {"native_protocol_version", {t_varchar}},
                   {"partitioner", {t_varchar}}, {"rack", {t_varchar}}, {"release_version", {t_varchar}},
                   {"rpc_address", {t_inet}}, {"rpc_port", {t_int}}, {"schema_version", {t_uuid}},
                   {"tokens", {t_set, t_varchar}}};
        // 16 tokens spread evenly over the Murmur3 range, as a node with num_tokens 16.
        std::vector<std::string> tokens;
        for (int k = 0; k < 16; ++k)
            tokens.push_back(std::to_string(static_cast<std::int64_t>(0x8000000000000000ULL + std::uint64_t(k) * (1ULL << 60))));
        rows_by_name.push_back({{"key", text("local")}, {"bootstrapped", text("COMPLETED")}, {"broadcast_address", raw(localhost)},
                                {"broadcast_port", i32c(7000)}, {"cluster_name", text("null-sink")}, {"cql_version", text("3.4.7")},
                                {"data_center", text("datacenter1")}, {"gossip_generation", i32c(1700000000)},
                                {"host_id", raw(host_id)}, {"listen_address", raw(localhost)}, {"listen_port", i32c(7000)},
                                {"native_protocol_version", text("5")}, {"partitioner", text("org.apache.cassandra.dht.Murmur3Partitioner")},
                                {"rack", text("rack1")}, {"release_version", text("5.0.9")}, {"rpc_address", raw(localhost)},
                                {"rpc_port", i32c(int(port()))}, {"schema_version", raw(schema_version)}, {"tokens", text_set(tokens)}});
    } else if (ks == "system" && (table == "peers" || table == "peers_v2")) {
        columns = {{"peer", {t_inet}}, {"data_center", {t_varchar}}, {"host_id", {t_uuid}}, {"rack", {t_varchar}},
                   {"release_version", {t_varchar}}, {"schema_version", {t_uuid}}, {"tokens", {t_set, t_varchar}}};
        if (table == "peers") columns.push_back({"rpc_address", {t_inet}});
        else columns.insert(columns.end(), {{"peer_port", {t_int}}, {"native_address", {t_inet}}, {"native_port", {t_int}}});
    } else if (ks == "system_schema" && table == "keyspaces") {
        columns = {{"keyspace_name", {t_varchar}}, {"durable_writes", {t_boolean}}, {"replication", {t_map, t_varchar, t_varchar}}};
        const auto only = where_literal(t, "keyspace_name");
        for (const auto& [k, repl] : keyspaces_) {
            if (only && *only != k) continue;
            std::vector<std::uint8_t> m;
            writer w(m);
            w.i32(std::int32_t(repl.size()));
            for (const auto& [a, b] : repl) {
                w.bytes(a);
                w.bytes(b);
            }
            rows_by_name.push_back({{"keyspace_name", text(k)}, {"durable_writes", text(std::string(1, '\1'))}, {"replication", raw(m)}});
        }
    } else if (ks == "system_schema" && table == "columns") {
        columns = {{"keyspace_name", {t_varchar}}, {"table_name", {t_varchar}}, {"column_name", {t_varchar}},
                   {"kind", {t_varchar}}, {"position", {t_int}}, {"type", {t_varchar}}, {"clustering_order", {t_varchar}}};
        const auto k = where_literal(t, "keyspace_name"), tb = where_literal(t, "table_name");
        for (const auto& [key, def] : tables_) {
            if ((k && *k != key.first) || (tb && *tb != key.second)) continue;
            for (const auto& c : def.columns) {
                // As Cassandra reports them: kind, position within the partition key or the clustering
                // columns (-1 for regular columns), and the clustering order ("none" off the clustering key).
                std::string kind = "regular", order = "none";
                std::int32_t pos = -1;
                for (std::size_t n = 0; n < def.partition_key.size(); ++n)
                    if (def.partition_key[n] == c.name) kind = "partition_key", pos = std::int32_t(n);
                for (std::size_t n = 0; n < def.clustering.size(); ++n)
                    if (def.clustering[n].first == c.name) kind = "clustering", pos = std::int32_t(n), order = def.clustering[n].second;
                rows_by_name.push_back({{"keyspace_name", text(key.first)}, {"table_name", text(key.second)},
                                        {"column_name", text(c.name)}, {"kind", text(kind)}, {"position", i32c(pos)},
                                        {"type", text(type_text(c.type.id))}, {"clustering_order", text(order)}});
            }
        }
    } else if (ks == "system_schema" && table == "tables") {
        columns = {{"keyspace_name", {t_varchar}}, {"table_name", {t_varchar}}, {"comment", {t_varchar}}};
        const auto k = where_literal(t, "keyspace_name"), tb = where_literal(t, "table_name");
        for (const auto& [key, def] : tables_) {
            if ((k && *k != key.first) || (tb && *tb != key.second)) continue;
            rows_by_name.push_back({{"keyspace_name", text(key.first)}, {"table_name", text(key.second)}, {"comment", text(def.comment)}});
        }
    } else if (auto it = tables_.find(*name); it != tables_.end()) {
        columns = it->second.columns;  // a user table: never any rows
    } else if (ks.rfind("system", 0) != 0) {
        return error(out, stream, 0x2200, "table " + ks + "." + table + " does not exist");
    }

    rows_out r{ks, table, {}, {}};
    if (star) {
        r.columns = columns;
    } else {
        for (const auto& w : wanted) {
            const column* found = nullptr;
            for (const auto& c : columns)
                if (c.name == w.name) found = &c;
            r.columns.push_back({w.name, w.forced ? *w.forced : found ? found->type : col_type{t_blob}});
        }
    }
    const bool count_only = wanted.size() == 1 && wanted[0].name == "count";
    if (count_only) {
        std::vector<std::uint8_t> b;
        writer(b).i64(std::int64_t(rows_by_name.size()));
        r.rows.push_back({cell{cell::raw, std::string(b.begin(), b.end())}});
    } else {
        for (const auto& row : rows_by_name) {
            std::vector<cell> cells;
            for (const auto& c : r.columns) {
                auto f = row.find(c.name);
                cells.push_back(f == row.end() ? cell{} : f->second);
            }
            r.rows.push_back(std::move(cells));
        }
    }
    rows(out, stream, r);
}

void server::on_prepare(std::string_view q, std::int16_t stream, std::vector<std::uint8_t>& out) {
    std::size_t idx;
    if (auto it = prepared_by_query_.find(std::string(q)); it != prepared_by_query_.end()) {
        idx = it->second;
    } else {
        const auto t = tokenize(q);
        prepared p;
        p.query = std::string(q);
        // The table: after INTO, FROM or UPDATE.
        for (std::size_t i = 0; i + 1 < t.size(); ++i) {
            if (is_kw(t, i, "into") || is_kw(t, i, "from") || (i == 0 && is_kw(t, i, "update"))) {
                std::size_t j = i + 1;
                if (auto n = qualified_name(t, j)) {
                    p.keyspace = n->first;
                    p.table = n->second;
                }
                break;
            }
        }
        const table_def* def = nullptr;
        if (auto it = tables_.find({p.keyspace, p.table}); it != tables_.end()) def = &it->second;
        auto var_for = [&](const std::string& col) {
            const column* c = def ? def->find(col) : nullptr;
            return variable{col, c ? c->type : col_type{t_blob}};
        };
        // INSERT's columns, in order, name the markers of VALUES.
        std::vector<std::string> insert_cols;
        std::size_t values_marker = 0;
        if (is_kw(t, 0, "insert")) {
            p.is_insert = true;
            std::size_t j = 0;
            while (j < t.size() && t[j].text != "(") ++j;
            for (++j; j < t.size() && t[j].text != ")"; ++j)
                if (auto c = ident(t, j)) insert_cols.push_back(*c);
        }
        bool in_values = false;
        for (std::size_t i = 0; i < t.size(); ++i) {
            if (is_kw(t, i, "values")) in_values = true;
            if (in_values && t[i].kind == token::symbol && t[i].text == ")") in_values = false;
            if (t[i].kind != token::marker) continue;
            if (in_values && values_marker < insert_cols.size()) {
                p.vars.push_back(var_for(insert_cols[values_marker++]));
            } else if (i > 0 && is_kw(t, i - 1, "timestamp")) {
                p.vars.push_back({"[timestamp]", {t_bigint}});
            } else if (i > 0 && (is_kw(t, i - 1, "ttl"))) {
                p.vars.push_back({"[ttl]", {t_int}});
            } else if (i > 0 && (is_kw(t, i - 1, "limit"))) {
                p.vars.push_back({"[limit]", {t_int}});
            } else if (i > 1 && t[i - 1].kind == token::symbol &&
                       (t[i - 1].text == "=" || t[i - 1].text == "<" || t[i - 1].text == ">" || t[i - 1].text == "<=" ||
                        t[i - 1].text == ">=") && ident(t, i - 2)) {
                p.vars.push_back(var_for(*ident(t, i - 2)));
            } else {
                p.vars.push_back({"[" + std::to_string(p.vars.size()) + "]", {t_blob}});
            }
        }
        // Routing: where the partition key columns sit among the markers (each key column once).
        if (def && !def->partition_key.empty()) {
            std::vector<std::uint16_t> idxs;
            for (const auto& k : def->partition_key) {
                for (std::size_t v = 0; v < p.vars.size(); ++v)
                    if (p.vars[v].name == k) {
                        idxs.push_back(std::uint16_t(v));
                        break;
                    }
            }
            if (idxs.size() == def->partition_key.size()) p.pk_indexes = idxs;
        }
        idx = prepared_.size();
        prepared_by_query_[p.query] = idx;
        prepared_.push_back(std::move(p));
    }
    const prepared& p = prepared_[idx];
    auto at = begin(out, stream, op_result);
    writer w(out);
    w.i32(4);
    std::vector<std::uint8_t> id{'n', 'u', 'l', 'l', 's', 'i', 'n', 'k'};
    for (int s = 56; s >= 0; s -= 8) id.push_back(std::uint8_t(std::uint64_t(idx) >> s));
    w.short_bytes(id);
    w.i32(0x0001);  // global tables spec
    w.i32(std::int32_t(p.vars.size()));
    w.i32(std::int32_t(p.pk_indexes.size()));
    for (auto k : p.pk_indexes) w.u16(k);
    w.string(p.keyspace);
    w.string(p.table);
    for (const auto& v : p.vars) {
        w.string(v.name);
        w.type(v.type);
    }
    w.i32(0x0004);  // result metadata: no_metadata
    w.i32(0);
    end(out, at);
}

// ------------------------------------------------------------------ stats

std::string json_escape(std::string_view s) {
    std::string o;
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        if (static_cast<unsigned char>(c) < 0x20) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", c);
            o += b;
            continue;
        }
        o += c;
    }
    return o;
}

std::string server::summary_json() const {
    const auto& s = stats_;
    std::string o = "{";
    auto num = [&](const char* k, double v, bool comma = true) {
        char b[64];
        std::snprintf(b, sizeof b, "\"%s\": %.17g", k, v);
        o += b;
        if (comma) o += ", ";
    };
    const double up = std::chrono::duration<double>(std::chrono::steady_clock::now() - s.started).count();
    double exec_span = 0;
    if (s.first_execute) exec_span = std::chrono::duration<double>(*s.last_execute - *s.first_execute).count();
    num("uptime_s", up);
    num("connections", double(s.connections));
    num("frames", double(s.frames));
    num("bytes_in", double(s.bytes_in));
    num("bytes_out", double(s.bytes_out));
    num("socket_reads", double(s.reads));
    num("socket_writes", double(s.writes));
    num("executes", double(s.executes));
    num("insert_executes", double(s.insert_executes));
    num("bound_value_bytes", double(s.value_bytes));
    num("batches", double(s.batches));
    num("errors_sent", double(s.errors_sent));
    num("execute_span_s", exec_span);
    o += "\"requests\": {";
    bool first = true;
    for (const auto& [k, v] : s.by_opcode) {
        o += (first ? "\"" : ", \"") + k + "\": " + std::to_string(v);
        first = false;
    }
    o += std::string(first ? "" : ", ") + "\"EXECUTE\": " + std::to_string(s.executes) + "}, \"prepared\": [";
    first = true;
    for (const auto& p : prepared_) {
        o += (first ? "" : ", ") + std::string("{\"query\": \"") + json_escape(p.query) + "\", \"executions\": " +
             std::to_string(p.executions) + "}";
        first = false;
    }
    o += "]}";
    return o;
}

std::string server::summary_text() const {
    const auto& s = stats_;
    std::string o = "null-sink: " + std::to_string(s.connections) + " connections, " + std::to_string(s.frames) + " requests (";
    bool first = true;
    for (const auto& [k, v] : s.by_opcode) {
        o += (first ? "" : ", ") + k + " " + std::to_string(v);
        first = false;
    }
    o += std::string(first ? "" : ", ") + "EXECUTE " + std::to_string(s.executes) + "), " + std::to_string(s.bytes_in) +
         " bytes in, " + std::to_string(s.bytes_out) + " bytes out, " + std::to_string(s.insert_executes) + " rows inserted, " +
         std::to_string(s.errors_sent) + " errors sent";
    if (s.first_execute && *s.last_execute > *s.first_execute) {
        const double span = std::chrono::duration<double>(*s.last_execute - *s.first_execute).count();
        char b[128];
        std::snprintf(b, sizeof b, "; EXECUTEs over %.3f s (%.0f/s)", span, double(s.executes) / span);
        o += b;
    }
    return o;
}

void usage(std::ostream& o) {
    o << "usage: null-sink [--host ADDR] [--port N] [--stats-file PATH] [--port-file PATH] [--quiet] [--log-queries]\n"
         "  A CQL v4 endpoint that answers every request at once and stores nothing (issue 7's ceiling).\n"
         "  --host ADDR        address to listen on (default 127.0.0.1)\n"
         "  --port N           port (default 9042; 0 picks a free one)\n"
         "  --stats-file PATH  write the request/byte counts as JSON there on SIGINT/SIGTERM/SIGUSR1\n"
         "  --port-file PATH   write the port there once listening\n"
         "  --quiet            do not log errors sent to clients\n"
         "  --log-queries      log the text of every QUERY and PREPARE to stderr\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::string host = "127.0.0.1", stats_file, port_file;
    unsigned long port = 9042;
    bool quiet = false, log_queries = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "null-sink: " << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--host") host = value();
        else if (a == "--port") port = std::stoul(value());
        else if (a == "--stats-file") stats_file = value();
        else if (a == "--port-file") port_file = value();
        else if (a == "--quiet") quiet = true;
        else if (a == "--log-queries") log_queries = true;
        else if (a == "-h" || a == "--help") { usage(std::cout); return 0; }
        else { usage(std::cerr); return 2; }
    }
    if (port > 65535) {
        std::cerr << "null-sink: bad port\n";
        return 2;
    }
    try {
        asio::io_context io(1);
        server srv(io, tcp::endpoint(asio::ip::make_address(host), static_cast<std::uint16_t>(port)), quiet, log_queries);
        srv.start();
        auto dump = [&] {
            std::cerr << srv.summary_text() << std::endl;
            if (!stats_file.empty()) {
                const std::string tmp = stats_file + ".tmp";
                std::ofstream(tmp) << srv.summary_json() << "\n";
                std::rename(tmp.c_str(), stats_file.c_str());
            }
        };
        asio::signal_set stop(io, SIGINT, SIGTERM);
        stop.async_wait([&](std::error_code ec, int) {
            if (ec) return;
            dump();
            io.stop();
        });
        asio::signal_set usr(io, SIGUSR1);
        std::function<void()> on_usr = [&] {
            usr.async_wait([&](std::error_code ec, int) {
                if (ec) return;
                dump();
                on_usr();
            });
        };
        on_usr();
        if (!port_file.empty()) {
            const std::string tmp = port_file + ".tmp";
            std::ofstream(tmp) << srv.port() << "\n";
            std::rename(tmp.c_str(), port_file.c_str());
        }
        std::cout << "null-sink listening on " << host << ":" << srv.port() << std::endl;
        io.run();
    } catch (const std::exception& e) {
        std::cerr << "null-sink: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
