#include "posix_map.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <new>
#include <unordered_map>

namespace spillway {
namespace {

// Process-global because every worker thread loads the same shared object,
// and deliberately leaked: a worker may still unmap while static destructors
// run at process exit.
std::mutex& registry_mutex() {
  static std::mutex* mu = new std::mutex;
  return *mu;
}

std::unordered_map<const void*, mapping*>& registry() {
  static auto* map = new std::unordered_map<const void*, mapping*>;
  return *map;
}

// Caller holds registry_mutex().
void unregister_locked(mapping* m) {
  auto it = registry().find(m->addr_);
  // The address may already belong to a newer mapping; only erase our own.
  if (it != registry().end() && it->second == m) registry().erase(it);
}

}  // namespace

size_t page_size() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

int map_file(int fd, uint64_t length, bool writable, mapping** out) {
  struct stat st;
  if (fstat(fd, &st) != 0) return errno;
  // Touching a page wholly past EOF raises SIGBUS, which would kill the
  // process, so refuse up front rather than hand out a landmine.
  if (length == 0 || st.st_size < 0 || length > static_cast<uint64_t>(st.st_size) ||
      length > SIZE_MAX) {
    return EINVAL;
  }
  int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* addr = mmap(nullptr, static_cast<size_t>(length), prot, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return errno;

  mapping* m = new (std::nothrow) mapping;
  if (m == nullptr) {
    munmap(addr, static_cast<size_t>(length));
    return ENOMEM;
  }
  m->addr_ = addr;
  m->length_ = static_cast<size_t>(length);
  m->mapped_ = true;
  {
    std::lock_guard<std::mutex> hold(registry_mutex());
    registry()[addr] = m;
  }
  *out = m;
  return 0;
}

mapping* find_mapping(const void* addr, size_t length) {
  if (addr == nullptr) return nullptr;
  std::lock_guard<std::mutex> hold(registry_mutex());
  auto it = registry().find(addr);
  if (it == registry().end() || it->second->length_ != length) return nullptr;
  retain(it->second);
  return it->second;
}

int unmap_mapping(mapping* m) {
  {
    std::lock_guard<std::mutex> hold(registry_mutex());
    if (!m->mapped_ || m->unmap_pending_) return 0;
    // Unregister before munmap: once the range is released, another thread's
    // mmap may receive the same address and register it.
    unregister_locked(m);
    if (m->busy_ > 0) {
      // An msync is running on the threadpool over this range; munmapping now
      // would fail it (or flush a stranger's mapping at that address).
      m->unmap_pending_ = true;
      return 0;
    }
    m->mapped_ = false;
  }
  return munmap(m->addr_, m->length_) == 0 ? 0 : errno;
}

void begin_async(mapping* m) {
  retain(m);
  std::lock_guard<std::mutex> hold(registry_mutex());
  m->busy_++;
}

int end_async(mapping* m) {
  bool claimed = false;
  {
    std::lock_guard<std::mutex> hold(registry_mutex());
    if (--m->busy_ == 0 && m->unmap_pending_ && m->mapped_) {
      m->mapped_ = false;
      m->unmap_pending_ = false;
      claimed = true;
    }
  }
  int err = claimed && munmap(m->addr_, m->length_) != 0 ? errno : 0;
  release(m);
  return err;
}

void retain(mapping* m) { m->refs_.fetch_add(1, std::memory_order_relaxed); }

void release(mapping* m) {
  if (m->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete m;
}

void aligned_range(const mapping* m, uint64_t offset, uint64_t length,
                   void** addr, size_t* len) {
  uint64_t start = offset & ~static_cast<uint64_t>(page_size() - 1);
  *addr = static_cast<char*>(m->addr_) + start;
  *len = static_cast<size_t>(length + (offset - start));
}

int sync_range(const mapping* m, uint64_t offset, uint64_t length, bool wait) {
  void* addr;
  size_t len;
  aligned_range(m, offset, length, &addr, &len);
  return msync(addr, len, wait ? MS_SYNC : MS_ASYNC) == 0 ? 0 : errno;
}

int sync_raw(void* addr, size_t length) {
  return msync(addr, length, MS_SYNC) == 0 ? 0 : errno;
}

int advise_range(const mapping* m, uint64_t offset, uint64_t length, advice a) {
  int flag = MADV_NORMAL;
  switch (a) {
    case advice::normal: flag = MADV_NORMAL; break;
    case advice::random: flag = MADV_RANDOM; break;
    case advice::sequential: flag = MADV_SEQUENTIAL; break;
    case advice::willneed: flag = MADV_WILLNEED; break;
    case advice::dontneed: flag = MADV_DONTNEED; break;
  }
  void* addr;
  size_t len;
  aligned_range(m, offset, length, &addr, &len);
  return madvise(addr, len, flag) == 0 ? 0 : errno;
}

int resident_fraction(const mapping* m, double* out) {
  const size_t page = page_size();
  const size_t pages = (m->length_ + page - 1) / page;
  // A fixed stack window keeps this allocation-free for any mapping size.
  constexpr size_t kWindow = 4096;
#ifdef __APPLE__
  char vec[kWindow];
#else
  unsigned char vec[kWindow];
#endif
  size_t resident = 0;
  for (size_t first = 0; first < pages; first += kWindow) {
    size_t count = pages - first < kWindow ? pages - first : kWindow;
    size_t bytes = count * page;
    if (first * page + bytes > m->length_) bytes = m->length_ - first * page;
    char* addr = static_cast<char*>(m->addr_) + first * page;
    if (mincore(addr, bytes, vec) != 0) return errno;
    for (size_t i = 0; i < count; i++) resident += vec[i] & 1;
  }
  *out = pages == 0 ? 0.0 : static_cast<double>(resident) / static_cast<double>(pages);
  return 0;
}

int allocate_file(int fd, int64_t offset, int64_t length) {
#ifdef __APPLE__
  // No posix_fallocate on macOS: reserve with F_PREALLOCATE, then extend.
  struct stat st;
  if (fstat(fd, &st) != 0) return errno;
  if (offset < 0 || length <= 0) return EINVAL;
  off_t end = offset + length;
  if (end <= st.st_size) return 0;
  fstore_t store = {F_ALLOCATECONTIG, F_PEOFPOSMODE, 0, end - st.st_size, 0};
  if (fcntl(fd, F_PREALLOCATE, &store) == -1) {
    store.fst_flags = F_ALLOCATEALL;
    if (fcntl(fd, F_PREALLOCATE, &store) == -1) return errno;
  }
  return ftruncate(fd, end) == 0 ? 0 : errno;
#else
  int err;
  // posix_fallocate reports failure through its return value, not errno.
  do {
    err = posix_fallocate(fd, static_cast<off_t>(offset), static_cast<off_t>(length));
  } while (err == EINTR);
  return err;
#endif
}

int lock_file(int fd, lock_mode mode, bool* acquired) {
  int op = mode == lock_mode::exclusive ? LOCK_EX
         : mode == lock_mode::shared    ? LOCK_SH
                                        : LOCK_UN;
  int rc;
  do {
    rc = flock(fd, op | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) {
    *acquired = true;
    return 0;
  }
  if (errno == EWOULDBLOCK || errno == EAGAIN) {
    *acquired = false;
    return 0;
  }
  return errno;
}

const char* errno_name(int err) {
  // An if-chain, not a switch: several names share a value on some systems
  // (EAGAIN/EWOULDBLOCK, ENOTSUP/EOPNOTSUPP) and the first listed wins.
#define SPILLWAY_ERRNO_NAME(e) \
  if (err == e) return #e;
  SPILLWAY_ERRNO_NAME(EPERM) SPILLWAY_ERRNO_NAME(ENOENT) SPILLWAY_ERRNO_NAME(EINTR)
  SPILLWAY_ERRNO_NAME(EIO) SPILLWAY_ERRNO_NAME(ENXIO) SPILLWAY_ERRNO_NAME(EBADF)
  SPILLWAY_ERRNO_NAME(EAGAIN) SPILLWAY_ERRNO_NAME(EWOULDBLOCK) SPILLWAY_ERRNO_NAME(ENOMEM)
  SPILLWAY_ERRNO_NAME(EACCES) SPILLWAY_ERRNO_NAME(EFAULT) SPILLWAY_ERRNO_NAME(EBUSY)
  SPILLWAY_ERRNO_NAME(EEXIST) SPILLWAY_ERRNO_NAME(ENODEV) SPILLWAY_ERRNO_NAME(ENOTDIR)
  SPILLWAY_ERRNO_NAME(EISDIR) SPILLWAY_ERRNO_NAME(EINVAL) SPILLWAY_ERRNO_NAME(ENFILE)
  SPILLWAY_ERRNO_NAME(EMFILE) SPILLWAY_ERRNO_NAME(ETXTBSY) SPILLWAY_ERRNO_NAME(EFBIG)
  SPILLWAY_ERRNO_NAME(ENOSPC) SPILLWAY_ERRNO_NAME(ESPIPE) SPILLWAY_ERRNO_NAME(EROFS)
  SPILLWAY_ERRNO_NAME(ERANGE) SPILLWAY_ERRNO_NAME(EDEADLK) SPILLWAY_ERRNO_NAME(ENOLCK)
  SPILLWAY_ERRNO_NAME(ENOSYS) SPILLWAY_ERRNO_NAME(EOVERFLOW) SPILLWAY_ERRNO_NAME(ENOTSUP)
  SPILLWAY_ERRNO_NAME(EOPNOTSUPP) SPILLWAY_ERRNO_NAME(EDQUOT) SPILLWAY_ERRNO_NAME(ESTALE)
#undef SPILLWAY_ERRNO_NAME
  return "UNKNOWN";
}

namespace {
// strerror_r is the XSI variant (int) or the GNU one (char*) depending on
// feature macros; overloads pick whichever this libc provides.
[[maybe_unused]] const char* strerror_result(int rc, char* buf) {
  return rc == 0 ? buf : "unknown error";
}
[[maybe_unused]] const char* strerror_result(const char* msg, char*) { return msg; }
}  // namespace

std::string describe_errno(int err, const char* syscall) {
  char buf[256];
  buf[0] = '\0';
  // strerror_r, not strerror: worker threads may fail concurrently.
  std::string text = strerror_result(strerror_r(err, buf, sizeof buf), buf);
  // strerror capitalises ("No space left"); Node's messages do not.
  if (text.size() > 1 && isupper(static_cast<unsigned char>(text[0])) &&
      islower(static_cast<unsigned char>(text[1]))) {
    text[0] = static_cast<char>(tolower(static_cast<unsigned char>(text[0])));
  }
  return std::string(errno_name(err)) + ": " + text + ", " + syscall;
}

}  // namespace spillway
