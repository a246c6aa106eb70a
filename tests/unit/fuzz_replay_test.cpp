// Replays inputs through the fuzz entry points (fuzz/targets.hpp) with the gcc build: every kept
// regression input under fuzz/regressions/<target>/, every frame captured from a real node, and
// every line of the e2e message files. An entry point aborts when a decoder breaks one of its
// invariants, so a crash here is a regression.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "hex.hpp"
#include "targets.hpp"

namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int run(std::string_view name, const std::vector<std::uint8_t>& input) {
    std::size_t n = 0;
    const auto* all = fuzz::targets(n);
    for (std::size_t i = 0; i < n; ++i)
        if (all[i].name == name) return all[i].fn(input.data(), input.size());
    ADD_FAILURE() << "no fuzz target " << name;
    return -1;
}

TEST(FuzzReplay, EveryTargetIsListedOnce) {
    std::size_t n = 0;
    const auto* all = fuzz::targets(n);
    EXPECT_EQ(n, 16u);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) EXPECT_NE(all[i].name, all[j].name);
}

TEST(FuzzReplay, KeptRegressionInputs) {
    const fs::path root = FUZZ_DIR "/regressions";
    std::size_t replayed = 0;
    for (const auto& dir : fs::directory_iterator(root)) {
        if (!dir.is_directory()) continue;
        for (const auto& f : fs::directory_iterator(dir.path())) {
            SCOPED_TRACE(f.path().string());
            EXPECT_EQ(run(dir.path().filename().string(), read_all(f.path())), 0);
            ++replayed;
        }
    }
    EXPECT_GE(replayed, 2u) << "fuzz/regressions holds the inputs fuzzing found";
}

TEST(FuzzReplay, CapturedFramesThroughTheFrameReaderAndDecoders) {
    std::ifstream in(CQL_TEST_DATA_DIR "/captured_frames.txt");
    ASSERT_TRUE(in) << "captured_frames.txt";
    std::string line;
    std::size_t frames = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ss(line);
        std::string name, version, hex;
        ss >> name >> version >> hex;
        auto bytes = cql::test::from_hex(hex);
        ASSERT_GE(bytes.size(), 9u) << name;
        std::vector<std::uint8_t> stream{3};
        stream.insert(stream.end(), bytes.begin(), bytes.end());
        EXPECT_EQ(run("frame_reader", stream), 0) << name;
        EXPECT_EQ(run("frame_header", bytes), 0) << name;
        // The body alone, with the version in front, through the decoder of its opcode.
        std::vector<std::uint8_t> body{static_cast<std::uint8_t>((bytes[0] & 0x7F) == 3 ? 1 : 0)};
        body.insert(body.end(), bytes.begin() + 9, bytes.end());
        EXPECT_EQ(run("result", body), 0) << name;
        EXPECT_EQ(run("error", body), 0) << name;
        ++frames;
    }
    EXPECT_GE(frames, 20u);
}

TEST(FuzzReplay, CapturedSegmentsThroughTheSegmentReader) {
    std::ifstream in(CQL_TEST_DATA_DIR "/captured_segments.txt");
    ASSERT_TRUE(in) << "captured_segments.txt";
    std::string line;
    std::size_t runs = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ss(line);
        std::string name, kind, hex;
        ss >> name >> kind >> hex;
        auto bytes = cql::test::from_hex(hex);
        for (std::uint8_t seed : {0, 2, 40, 254}) {
            std::vector<std::uint8_t> stream{static_cast<std::uint8_t>(seed | (kind == "lz4" ? 1 : 0))};
            stream.insert(stream.end(), bytes.begin(), bytes.end());
            EXPECT_EQ(run("segment_reader", stream), 0) << name;
        }
        ++runs;
    }
    EXPECT_GE(runs, 7u);
}

TEST(FuzzReplay, E2eMessageLines) {
    std::size_t lines = 0;
    for (const auto& f : fs::directory_iterator(E2E_DATA_DIR)) {
        if (f.path().extension() != ".jsonl") continue;
        std::ifstream in(f.path(), std::ios::binary);
        std::string line;
        while (std::getline(in, line)) {
            EXPECT_EQ(run("airbyte_message", std::vector<std::uint8_t>(line.begin(), line.end())), 0) << f.path();
            ++lines;
        }
    }
    EXPECT_GT(lines, 0u);
}

}  // namespace
