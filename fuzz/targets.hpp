// The fuzz entry points, one per decoder. Each takes arbitrary bytes and must neither crash, leak,
// read out of bounds, allocate without bound, nor loop. libFuzzer drives them through the
// fuzz_<name>.cpp wrappers (clang build, meson option -Dfuzz=true); the unit suite replays the
// kept regression inputs and seeds through the same functions with the gcc build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fuzz {

using target_fn = int (*)(const std::uint8_t* data, std::size_t size);

struct target {
    std::string_view name;
    target_fn fn;
};

// Every target, by name (the fuzz/corpus and fuzz/regressions directory names).
const target* targets(std::size_t& count);

int frame_header(const std::uint8_t* data, std::size_t size);
int frame_reader(const std::uint8_t* data, std::size_t size);  // split points chosen by the input
int segment_reader(const std::uint8_t* data, std::size_t size);  // v5 segments, plain or LZ4, then a round trip
int error(const std::uint8_t* data, std::size_t size);
int supported(const std::uint8_t* data, std::size_t size);
int authenticate(const std::uint8_t* data, std::size_t size);  // AUTHENTICATE and AUTH_CHALLENGE/SUCCESS
int event(const std::uint8_t* data, std::size_t size);
int result(const std::uint8_t* data, std::size_t size);         // any RESULT kind
int result_rows(const std::uint8_t* data, std::size_t size);    // Rows: metadata and rows
int result_prepared(const std::uint8_t* data, std::size_t size);
int result_schema_change(const std::uint8_t* data, std::size_t size);
int value(const std::uint8_t* data, std::size_t size);          // a type option, then a cell of that type
int lz4(const std::uint8_t* data, std::size_t size);
int airbyte_message(const std::uint8_t* data, std::size_t size);
int airbyte_catalog(const std::uint8_t* data, std::size_t size);
int airbyte_config(const std::uint8_t* data, std::size_t size);

}  // namespace fuzz
