#include "targets.hpp"

#include <rapidjson/document.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "airbyte/catalog.hpp"
#include "airbyte/config.hpp"
#include "airbyte/json.hpp"
#include "airbyte/message_scanner.hpp"
#include "protocol/compression.hpp"
#include "protocol/frame.hpp"
#include "protocol/responses.hpp"
#include "protocol/segment.hpp"
#include "protocol/value.hpp"

namespace fuzz {

namespace {

using namespace cql::protocol;

// A property the decoder promised does not hold: crash loudly so the fuzzer keeps the input.
void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
        std::abort();
    }
}

// Large enough for real frames, small enough that a lying length cannot exhaust memory.
constexpr std::size_t fuzz_max_body = 1 << 20;

// Bit 0: v3; else bit 4: v5; else v4 (seeds written before v5 keep their meaning).
protocol_version version_of(std::uint8_t b) {
    if (b & 1) return protocol_version::v3;
    return (b & 0x10) ? protocol_version::v5 : protocol_version::v4;
}

// First byte: protocol version; the rest: the body of a frame with this opcode (and, for the
// result_* targets, a RESULT kind put in front of it).
int decode_body(const std::uint8_t* data, std::size_t size, opcode op, int result_kind = -1) {
    if (size < 1) return 0;
    frame f;
    f.header.version = version_of(data[0]);
    f.header.is_response = true;
    // Bits 1-3 of the first byte: the tracing, custom payload and warning flags.
    f.header.flags = static_cast<std::uint8_t>(data[0] & 0x0E);
    f.header.op = op;
    const std::size_t prefix = result_kind >= 0 ? 4 : 0;
    f.body.assign(prefix + size - 1, 0);
    if (prefix) f.body[3] = static_cast<std::uint8_t>(result_kind);
    if (size > 1) std::memcpy(f.body.data() + prefix, data + 1, size - 1);
    f.header.length = static_cast<std::uint32_t>(f.body.size());
    response r;
    (void)decode_response(f, r);
    return 0;
}

}  // namespace

int frame_header(const std::uint8_t* data, std::size_t size) {
    if (size < 9) return 0;
    cql::protocol::frame_header h;
    if (!decode_frame_header({data, 9}, h, fuzz_max_body)) {
        require(h.length <= fuzz_max_body, "a decoded header's length is within the limit");
        std::uint8_t again[9];
        encode_frame_header(h, again);
        cql::protocol::frame_header h2;
        require(!decode_frame_header({again, 9}, h2, fuzz_max_body) && h2 == h, "a decoded header encodes back to itself");
    }
    return 0;
}

int frame_reader(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    // First byte: chunk size pattern seed; the rest is the byte stream.
    const std::uint8_t seed = data[0];
    cql::protocol::frame_reader reader(fuzz_max_body);
    std::size_t at = 1, n = 0;
    std::vector<std::uint8_t> scratch;
    while (at < size) {
        const std::size_t chunk = std::min<std::size_t>(size - at, 1 + ((seed + n * 7) % 64));
        ++n;
        reader.feed({data + at, chunk});
        at += chunk;
        frame f;
        std::error_code ec;
        while (reader.next(f, ec)) {
            require(f.body.size() == f.header.length, "a frame's body has its declared length");
            if (!decompress_frame(f, scratch, fuzz_max_body)) {
                response r;
                (void)decode_response(f, r);
            }
        }
        if (ec) break;
    }
    return 0;
}

int segment_reader(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    // First byte: bit 0 LZ4 segments, the other bits the chunk size pattern; the rest is the stream.
    const bool lz4 = (data[0] & 1) != 0;
    const std::uint8_t seed = data[0] >> 1;
    cql::protocol::segment_reader reader(lz4, fuzz_max_body);
    std::size_t at = 1, n = 0;
    while (at < size) {
        const std::size_t chunk = std::min<std::size_t>(size - at, 1 + ((seed + n * 13) % 200));
        ++n;
        reader.feed({data + at, chunk});
        at += chunk;
        frame f;
        std::error_code ec;
        while (reader.next(f, ec)) {
            require(f.body.size() == f.header.length, "a frame's body has its declared length");
            response r;
            (void)decode_response(f, r);
        }
        if (ec) break;
    }
    // The input as the body of one frame: encoded as segments, it reads back unchanged.
    std::vector<std::uint8_t> envelope;
    cql::protocol::frame_header h;
    h.version = protocol_version::v5;
    h.op = opcode::result;
    append_frame_header(envelope, h);
    envelope.insert(envelope.end(), data + 1, data + size);
    finish_frame(envelope, 0);
    std::vector<std::uint8_t> wire;
    require(!encode_segments(envelope, wire, lz4), "a whole frame can always be encoded");
    cql::protocol::segment_reader back(lz4, fuzz_max_body);
    back.feed(wire);
    frame f;
    std::error_code ec;
    require(back.next(f, ec), "encoded segments read back");
    require(f.body.size() == size - 1 && std::memcmp(f.body.data(), data + 1, size - 1) == 0,
            "a frame read back from segments is the frame encoded");
    return 0;
}

int error(const std::uint8_t* d, std::size_t s) { return decode_body(d, s, opcode::error); }
int supported(const std::uint8_t* d, std::size_t s) { return decode_body(d, s, opcode::supported); }
int authenticate(const std::uint8_t* d, std::size_t s) {
    if (s < 1) return 0;
    const opcode ops[] = {opcode::authenticate, opcode::auth_challenge, opcode::auth_success, opcode::ready};
    return decode_body(d + 1, s - 1, ops[d[0] % 4]);
}
int event(const std::uint8_t* d, std::size_t s) { return decode_body(d, s, opcode::event); }
int result(const std::uint8_t* d, std::size_t s) { return decode_body(d, s, opcode::result); }
int result_rows(const std::uint8_t* d, std::size_t s) { return decode_body(d, s, opcode::result, 2); }
int result_prepared(const std::uint8_t* d, std::size_t s) { return decode_body(d, s, opcode::result, 4); }
int result_schema_change(const std::uint8_t* d, std::size_t s) { return decode_body(d, s, opcode::result, 5); }

int value(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const auto v = version_of(data[0]);
    byte_reader r({data + 1, size - 1});
    const data_type t = read_type(r, v);
    if (r.error()) return 0;
    {   // A type that decodes writes back to the same type (vectors: through their class name).
        std::vector<std::uint8_t> tb;
        byte_writer tw(tb);
        write_type(tw, t);
        byte_reader tr(tb);
        require(read_type(tr, v) == t && !tr.finish(), "a type option survives write and read");
    }
    const cql_value val = read_value(r, t, v);
    if (r.error()) return 0;
    (void)to_string(t, val);
    // What decodes must encode again, and decode to an equal value.
    std::vector<std::uint8_t> out;
    byte_writer w(out);
    if (!encode_value(w, t, val, v)) {
        byte_reader again(out);
        const cql_value back = read_value(again, t, v);
        require(!again.error(), "an encoded value decodes");
        require(back == val, "a value survives encode and decode");
    }
    return 0;
}

int lz4(const std::uint8_t* data, std::size_t size) {
    std::vector<std::uint8_t> out;
    if (!lz4_decompress_body({data, size}, out, fuzz_max_body)) {
        require(out.size() <= fuzz_max_body, "decompressed size within the limit");
        std::vector<std::uint8_t> again, back;
        lz4_compress_body(out, again);
        require(!lz4_decompress_body(again, back, fuzz_max_body) && back == out, "lz4 round trip");
    }
    return 0;
}

int airbyte_message(const std::uint8_t* data, std::size_t size) {
    static airbyte::message_scanner scanner;  // reused, as the connector does
    airbyte::scanned_message m;
    std::string error;
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    if (!scanner.scan(line, m, error)) {
        require(!error.empty(), "a refused line has a message");
        return 0;
    }
    // What the scanner re-serialises is a JSON object that scans again to the same text (numbers
    // beyond a double's range included, which a plain JSON parse would refuse).
    const std::string data_text(m.data_json), state_text(m.state_json);
    static airbyte::message_scanner again;
    airbyte::scanned_message m2;
    if (!data_text.empty()) {
        require(data_text.front() == '{' && data_text.back() == '}', "data is an object");
        const std::string line2 = R"({"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":)" + data_text + "}}";
        require(again.scan(line2, m2, error) && m2.data_is_object && m2.data_json == data_text, "data scans again to itself");
    }
    if (!state_text.empty()) {
        require(state_text.front() == '{' && state_text.back() == '}', "state is an object");
        const std::string line2 = R"({"type":"STATE","state":)" + state_text + "}";
        require(again.scan(line2, m2, error) && m2.state_json == state_text, "state scans again to itself");
    }
    require(!m.data_is_object || !data_text.empty(), "object data is kept");
    return 0;
}

int airbyte_catalog(const std::uint8_t* data, std::size_t size) {
    std::vector<airbyte::configured_stream> streams;
    std::string error;
    if (!airbyte::parse_catalog(std::string_view(reinterpret_cast<const char*>(data), size), streams, error))
        require(!error.empty(), "a refused catalog has a message");
    else
        for (const auto& s : streams) require(!s.name.empty(), "every stream has a name");
    return 0;
}

int airbyte_config(const std::uint8_t* data, std::size_t size) {
    airbyte::connector_config c;
    std::string error;
    if (!airbyte::parse_config(std::string_view(reinterpret_cast<const char*>(data), size), c, error)) {
        require(!error.empty(), "a refused config has a message");
    } else {
        require(!c.contact_points.empty() && !c.keyspace.empty() && c.keyspace.size() <= 48, "an accepted config is usable");
    }
    return 0;
}

const target* targets(std::size_t& count) {
    static const target all[] = {
        {"frame_header", frame_header},
        {"frame_reader", frame_reader},
        {"segment_reader", segment_reader},
        {"error", error},
        {"supported", supported},
        {"authenticate", authenticate},
        {"event", event},
        {"result", result},
        {"result_rows", result_rows},
        {"result_prepared", result_prepared},
        {"result_schema_change", result_schema_change},
        {"value", value},
        {"lz4", lz4},
        {"airbyte_message", airbyte_message},
        {"airbyte_catalog", airbyte_catalog},
        {"airbyte_config", airbyte_config},
    };
    count = std::size(all);
    return all;
}

}  // namespace fuzz
