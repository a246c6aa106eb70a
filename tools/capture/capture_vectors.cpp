// Captures real response frames from a running Cassandra node into a vector file
// (tests/data/captured_frames.txt), which the unit suite decodes and the fuzzers use as seeds.
// Usage: capture_vectors HOST PORT USER PASSWORD OUT_FILE
// Speaks the protocol by hand over one blocking socket (no compression), v4 then v3.
#include <asio.hpp>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "protocol/frame.hpp"
#include "protocol/requests.hpp"

using namespace cql::protocol;

namespace {

std::string hex(const std::vector<std::uint8_t>& b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (auto c : b) {
        s += d[c >> 4];
        s += d[c & 15];
    }
    return s;
}

class capturer {
public:
    capturer(asio::io_context& io, const std::string& host, unsigned short port, protocol_version v, std::ofstream& out)
        : sock_(io), v_(v), out_(out) {
        sock_.connect({asio::ip::make_address(host), port});
    }

    template <class Request>
    frame exchange(const std::string& name, const Request& req) {
        std::vector<std::uint8_t> bytes;
        if (auto ec = encode_request(bytes, v_, 1, req)) throw std::system_error(ec);
        asio::write(sock_, asio::buffer(bytes));
        frame f;
        std::error_code ec;
        while (!reader_.next(f, ec)) {
            if (ec) throw std::system_error(ec);
            auto buf = reader_.prepare(65536);
            reader_.commit(sock_.read_some(asio::buffer(buf.data(), buf.size())));
        }
        if (!name.empty()) {
            std::vector<std::uint8_t> whole(frame_header_size);
            encode_frame_header(f.header, whole.data());
            whole.insert(whole.end(), f.body.begin(), f.body.end());
            out_ << name << " v" << static_cast<int>(v_) << " " << hex(whole) << "\n";
        }
        return f;
    }

    frame query(const std::string& name, const std::string& cql) {
        query_request q{cql, {}};
        q.params.cl = consistency::one;
        return exchange(name, q);
    }

private:
    asio::ip::tcp::socket sock_;
    protocol_version v_;
    std::ofstream& out_;
    frame_reader reader_;
};

void login(capturer& c, const std::string& user, const std::string& password, const std::string& prefix) {
    c.exchange(prefix + "supported", options_request{});
    std::vector<std::pair<std::string_view, std::string_view>> opts{{"CQL_VERSION", "3.0.0"}};
    c.exchange(prefix + "authenticate", startup_request{opts});
    std::string token = std::string(1, '\0') + user + std::string(1, '\0') + password;
    auto view = value_view::of({reinterpret_cast<const std::uint8_t*>(token.data()), token.size()});
    c.exchange(prefix + "auth_success", auth_response_request{view});
}

const char* all_types_table =
    "CREATE TABLE capture_vectors.all_types (k int PRIMARY KEY, c_ascii ascii, c_bigint bigint, c_blob blob, "
    "c_boolean boolean, c_counterless int, c_date date, c_decimal decimal, c_double double, c_duration duration, "
    "c_float float, c_inet inet, c_smallint smallint, c_text text, c_time time, c_timestamp timestamp, "
    "c_timeuuid timeuuid, c_tinyint tinyint, c_uuid uuid, c_varint varint, c_list list<int>, c_set set<text>, "
    "c_map map<text, bigint>, c_tuple tuple<int, text>, c_udt frozen<point>, c_nested map<text, frozen<list<int>>>)";

const char* all_types_row =
    "INSERT INTO capture_vectors.all_types (k, c_ascii, c_bigint, c_blob, c_boolean, c_counterless, c_date, c_decimal, "
    "c_double, c_duration, c_float, c_inet, c_smallint, c_text, c_time, c_timestamp, c_timeuuid, c_tinyint, c_uuid, "
    "c_varint, c_list, c_set, c_map, c_tuple, c_udt, c_nested) VALUES (1, 'abc', -42, 0xcafe, true, 7, '2024-02-29', "
    "123.456, 2.5, 1mo2d3h, 1.25, '10.0.0.1', -3, 'Grüße', '13:14:15.123456789', '2024-01-02 03:04:05.678+0000', "
    "8e2f0060-1d11-11ef-8000-000000000001, 5, 550e8400-e29b-41d4-a716-446655440000, 123456789012345678901234567890, "
    "[1, 2, 3], {'a', 'b'}, {'x': 1, 'y': -1}, (9, 'nine'), {x: 1, y: 2}, {'k': [4, 5]})";

}  // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::cerr << "usage: capture_vectors HOST PORT USER PASSWORD OUT_FILE\n";
        return 2;
    }
    const std::string host = argv[1], user = argv[3], password = argv[4];
    const auto port = static_cast<unsigned short>(std::stoi(argv[2]));
    std::ofstream out(argv[5]);
    out << "# Response frames captured from a real Cassandra node by tools/capture/capture_vectors.\n"
        << "# Each line: NAME VERSION HEX-OF-WHOLE-FRAME (header and body). The name's first word is the message kind.\n";
    try {
        asio::io_context io;
        capturer c(io, host, port, protocol_version::v4, out);
        login(c, user, password, "");
        c.query("error_syntax", "SELEKT * FROM nowhere");
        c.query("error_invalid_unknown_keyspace", "SELECT * FROM no_such_keyspace.t");
        c.query("", "DROP KEYSPACE IF EXISTS capture_vectors");
        c.query("schema_change_keyspace",
                "CREATE KEYSPACE capture_vectors WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
        c.query("error_already_exists",
                "CREATE KEYSPACE capture_vectors WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
        c.query("schema_change_type", "CREATE TYPE capture_vectors.point (x int, y int)");
        c.query("schema_change_table", all_types_table);
        c.query("void_insert", all_types_row);
        c.query("rows_all_types", "SELECT * FROM capture_vectors.all_types");
        c.query("rows_system_local", "SELECT * FROM system.local");
        c.query("rows_system_peers_v2", "SELECT * FROM system.peers_v2");
        c.query("rows_system_schema_keyspaces", "SELECT keyspace_name, replication FROM system_schema.keyspaces");
        {
            query_request paged{"SELECT keyspace_name, table_name FROM system_schema.tables", {}};
            paged.params.page_size = 3;
            c.exchange("rows_paged", paged);
        }
        c.query("set_keyspace", "USE capture_vectors");
        c.exchange("prepared_insert", prepare_request{"INSERT INTO capture_vectors.all_types (k, c_text, c_list) VALUES (?, ?, ?)"});
        c.exchange("prepared_select", prepare_request{"SELECT * FROM capture_vectors.all_types WHERE k = ?"});
        {
            std::uint8_t bogus_id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
            c.exchange("error_unprepared", execute_request{bytes_view(bogus_id), {}});
        }
        c.query("schema_change_drop", "DROP KEYSPACE capture_vectors");

        capturer v3(io, host, port, protocol_version::v3, out);
        login(v3, user, password, "v3_");
        v3.exchange("v3_prepared_select", prepare_request{"SELECT release_version FROM system.local WHERE key = ?"});
        v3.query("v3_rows_system_local", "SELECT * FROM system.local");
        v3.query("v3_error_syntax", "SELEKT 1");
    } catch (const std::exception& e) {
        std::cerr << "capture failed: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
