// One libFuzzer binary per target: meson compiles this file once per name with -DFUZZ_TARGET=name.
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { return fuzz::FUZZ_TARGET(data, size); }
