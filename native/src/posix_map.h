// Plain POSIX side of the addon: mappings, file allocation and locking.
// Nothing here knows about N-API, so it can be reasoned about without a JS
// engine. Every fallible function returns 0 or an errno value.
#ifndef SPILLWAY_POSIX_MAP_H_
#define SPILLWAY_POSIX_MAP_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace spillway {

// One live (or formerly live) mmap. Heap-allocated so its identity outlives
// the address range: after munmap the kernel may hand the same address to a
// new mapping, and the old ArrayBuffer's finalizer must then leave it alone.
//
// Lifetime: refs_ starts at 1 (owned by the ArrayBuffer's finalizer); every
// find_mapping() result and in-flight async sync holds another; the struct is
// freed at zero. mapped_/busy_/unmap_pending_ are guarded by the registry
// mutex, so whichever of unmap(), the finalizer or the last async completion
// claims the munmap does it exactly once, even if they race across threads.
struct mapping {
  void* addr_ = nullptr;
  size_t length_ = 0;
  bool mapped_ = false;
  int busy_ = 0;
  bool unmap_pending_ = false;
  std::atomic<int> refs_{1};
};

size_t page_size();

// mmap(MAP_SHARED) of [0, length) of fd and registration in the
// process-global address registry. EINVAL when length is 0 or beyond EOF.
int map_file(int fd, uint64_t length, bool writable, mapping** out);

// The live mapping whose base address and length are exactly these,
// retained (call release() when done), or nullptr. Used to reject
// ArrayBuffers that did not come from map_file (so a stray
// madvise(DONTNEED) can never zero ordinary heap memory).
mapping* find_mapping(const void* addr, size_t length);

// Removes m from the registry and munmaps it, or defers the munmap until the
// last in-flight async sync finishes. Idempotent.
int unmap_mapping(mapping* m);

// Async bookkeeping: begin pins the range, end unpins it and performs a
// deferred munmap if one was requested meanwhile.
void begin_async(mapping* m);
int end_async(mapping* m);

void retain(mapping* m);
void release(mapping* m);

// [offset, offset + length) must lie inside the mapping (caller-checked);
// offset is rounded down to a page boundary as msync/madvise require.
int sync_range(const mapping* m, uint64_t offset, uint64_t length, bool wait);
int sync_raw(void* addr, size_t length);  // MS_SYNC; safe off the JS thread
void aligned_range(const mapping* m, uint64_t offset, uint64_t length,
                   void** addr, size_t* len);

// Order matches the JS names table in addon.cc.
enum class advice { normal, random, sequential, willneed, dontneed };
int advise_range(const mapping* m, uint64_t offset, uint64_t length, advice a);

int resident_fraction(const mapping* m, double* out);

int allocate_file(int fd, int64_t offset, int64_t length);

// Order matches the JS names table in addon.cc.
enum class lock_mode { exclusive, shared, unlock };
// 0 with *acquired=false when another holder blocks the lock.
int lock_file(int fd, lock_mode mode, bool* acquired);

// "ENOSPC" for ENOSPC, ...; "UNKNOWN" for errnos missing from the table.
const char* errno_name(int err);
// Node's style: "ENOSPC: no space left on device, posix_fallocate".
std::string describe_errno(int err, const char* syscall);

}  // namespace spillway

#endif  // SPILLWAY_POSIX_MAP_H_
