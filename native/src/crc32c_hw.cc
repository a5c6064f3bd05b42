#include "crc32c_hw.h"

#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define SPILLWAY_CRC32C_SSE42 1
#endif

namespace spillway {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78u;  // Castagnoli, bit-reversed

struct slice_tables {
  uint32_t t[8][256];
};

// Built at compile time so there is no first-call race between worker
// threads and no startup cost.
constexpr slice_tables make_tables() {
  slice_tables out{};
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ ((c & 1u) ? kPolynomial : 0u);
    out.t[0][i] = c;
  }
  for (int s = 1; s < 8; s++) {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t prev = out.t[s - 1][i];
      out.t[s][i] = (prev >> 8) ^ out.t[0][prev & 0xffu];
    }
  }
  return out;
}

constexpr slice_tables kTables = make_tables();

inline uint32_t load_le32(const uint8_t* p) {
  // Byte assembly instead of memcpy keeps this correct on big-endian hosts;
  // compilers fold it into a single load on little-endian ones.
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

uint32_t crc32c_software(uint32_t crc, const uint8_t* p, size_t n) {
  const auto& t = kTables.t;
  uint32_t c = ~crc;
  while (n >= 8) {
    uint32_t lo = load_le32(p) ^ c;
    uint32_t hi = load_le32(p + 4);
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^
        t[4][lo >> 24] ^ t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^
        t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xff];
  return ~c;
}

#ifdef SPILLWAY_CRC32C_SSE42
// Compiled for SSE4.2 on its own so the rest of the addon needs no -msse4.2
// and still loads on CPUs without it; only called after the runtime check.
__attribute__((target("sse4.2")))
uint32_t crc32c_sse42(uint32_t crc, const uint8_t* p, size_t n) {
  uint64_t c = ~crc;
  // No alignment prologue: unaligned 8-byte loads are cheap on every CPU with
  // SSE4.2, and byte steps to reach alignment cost more on short records.
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);
    c = _mm_crc32_u64(c, word);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  if (n >= 4) {
    uint32_t word;
    std::memcpy(&word, p, sizeof word);
    c32 = _mm_crc32_u32(c32, word);
    p += 4;
    n -= 4;
  }
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}
#endif

using crc_fn = uint32_t (*)(uint32_t, const uint8_t*, size_t);

crc_fn choose() {
#ifdef SPILLWAY_CRC32C_SSE42
  // May run before libgcc's own constructor has probed the CPU.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) return crc32c_sse42;
#endif
  return crc32c_software;
}

const crc_fn kImpl = choose();

}  // namespace

uint32_t crc32c(uint32_t crc, const uint8_t* data, size_t length) {
  return kImpl(crc, data, length);
}

bool crc32c_hardware() {
#ifdef SPILLWAY_CRC32C_SSE42
  return kImpl == crc32c_sse42;
#else
  return false;
#endif
}

}  // namespace spillway
