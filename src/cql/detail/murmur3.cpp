// MurmurHash3_x64_128 as Cassandra's MurmurHash.hash3_x64_128 computes it (not as the reference C
// code does: Java bytes are signed, so tail bytes are sign-extended before being mixed in).
#include "cql/detail/murmur3.hpp"

#include <cstddef>
#include <limits>

namespace cql::detail {
namespace {

constexpr std::uint64_t c1 = 0x87c37b91114253d5ULL;
constexpr std::uint64_t c2 = 0x4cf5ad432745937fULL;

constexpr std::uint64_t rotl64(std::uint64_t v, int n) noexcept { return (v << n) | (v >> (64 - n)); }

constexpr std::uint64_t fmix(std::uint64_t k) noexcept {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

// Body blocks are read little-endian with each byte masked, as in Cassandra's getBlock.
std::uint64_t load_le64(const std::uint8_t* p) noexcept {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

// Java's (long) key.get(i): the byte as a signed value widened to 64 bits.
std::uint64_t sign_extended(std::uint8_t b) noexcept {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int8_t>(b)));
}

}  // namespace

std::int64_t murmur3_token(std::span<const std::uint8_t> key) noexcept {
    if (key.empty()) return std::numeric_limits<std::int64_t>::min();
    const std::size_t length = key.size();
    const std::size_t nblocks = length / 16;
    const std::uint8_t* data = key.data();
    std::uint64_t h1 = 0;
    std::uint64_t h2 = 0;
    for (std::size_t i = 0; i < nblocks; ++i) {
        std::uint64_t k1 = load_le64(data + i * 16);
        std::uint64_t k2 = load_le64(data + i * 16 + 8);
        k1 *= c1;
        k1 = rotl64(k1, 31);
        k1 *= c2;
        h1 ^= k1;
        h1 = rotl64(h1, 27);
        h1 += h2;
        h1 = h1 * 5 + 0x52dce729;
        k2 *= c2;
        k2 = rotl64(k2, 33);
        k2 *= c1;
        h2 ^= k2;
        h2 = rotl64(h2, 31);
        h2 += h1;
        h2 = h2 * 5 + 0x38495ab5;
    }
    const std::uint8_t* tail = data + nblocks * 16;
    const std::size_t rest = length & 15;
    std::uint64_t k1 = 0;
    std::uint64_t k2 = 0;
    // XOR of sign-extended bytes equals Java's fall-through switch: the order of XORs does not matter.
    for (std::size_t i = rest; i > 8; --i) k2 ^= sign_extended(tail[i - 1]) << (8 * (i - 9));
    for (std::size_t i = rest < 8 ? rest : 8; i > 0; --i) k1 ^= sign_extended(tail[i - 1]) << (8 * (i - 1));
    if (rest > 8) {
        k2 *= c2;
        k2 = rotl64(k2, 33);
        k2 *= c1;
        h2 ^= k2;
    }
    if (rest > 0) {
        k1 *= c1;
        k1 = rotl64(k1, 31);
        k1 *= c2;
        h1 ^= k1;
    }
    h1 ^= static_cast<std::uint64_t>(length);
    h2 ^= static_cast<std::uint64_t>(length);
    h1 += h2;
    h2 += h1;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 += h2;
    const auto token = static_cast<std::int64_t>(h1);
    return token == std::numeric_limits<std::int64_t>::min() ? std::numeric_limits<std::int64_t>::max() : token;
}

}  // namespace cql::detail
