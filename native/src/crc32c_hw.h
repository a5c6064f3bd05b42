// CRC32C (Castagnoli, reflected polynomial 0x82F63B78). The public value is
// the finalized CRC (init and final xor 0xFFFFFFFF applied), so results chain:
// crc32c(crc32c(0, a), b) == crc32c(0, a + b).
#ifndef SPILLWAY_CRC32C_HW_H_
#define SPILLWAY_CRC32C_HW_H_

#include <cstddef>
#include <cstdint>

namespace spillway {

uint32_t crc32c(uint32_t crc, const uint8_t* data, size_t length);

// True when the SSE4.2 crc32 instruction is in use (diagnostics, benches).
bool crc32c_hardware();

}  // namespace spillway

#endif  // SPILLWAY_CRC32C_HW_H_
