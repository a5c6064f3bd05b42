// N-API glue: argument checking, error objects and buffer lifetimes. All
// system work lives in posix_map.cc / crc32c_hw.cc.
#include <node_api.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>

#include "crc32c_hw.h"
#include "posix_map.h"

namespace spillway {
namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;
const char* const kAdvice[] = {"normal", "random", "sequential", "willneed", "dontneed"};
const char* const kLockModes[] = {"exclusive", "shared", "unlock"};

// Leaves an exception that is already pending (e.g. from a getter) in place.
napi_value throw_status(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return nullptr;
  const napi_extended_error_info* info = nullptr;
  napi_get_last_error_info(env, &info);
  napi_throw_error(env, "ERR_SPILLWAY_NAPI",
                   info != nullptr && info->error_message != nullptr ? info->error_message
                                                                     : "N-API call failed");
  return nullptr;
}

#define NAPI_OK_OR_THROW(call)                   \
  do {                                           \
    if ((call) != napi_ok) return throw_status(env); \
  } while (0)

// Shaped like Node's fs errors: code, negative errno, syscall.
napi_value make_system_error(napi_env env, int err, const char* syscall) {
  const char* name = errno_name(err);
  std::string message = describe_errno(err, syscall);
  napi_value code, msg, error, errno_value, syscall_value;
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, message.c_str(), message.size(), &msg) != napi_ok ||
      napi_create_error(env, code, msg, &error) != napi_ok ||
      napi_create_int32(env, -err, &errno_value) != napi_ok ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value) != napi_ok ||
      napi_set_named_property(env, error, "errno", errno_value) != napi_ok ||
      napi_set_named_property(env, error, "syscall", syscall_value) != napi_ok) {
    return nullptr;
  }
  return error;
}

napi_value throw_system(napi_env env, int err, const char* syscall) {
  napi_value error = make_system_error(env, err, syscall);
  if (error != nullptr) napi_throw(env, error);
  return nullptr;
}

bool arg_error(napi_env env, const char* name, const char* problem,
               const char* code = "ERR_INVALID_ARG_TYPE") {
  std::string message = std::string("The \"") + name + "\" argument " + problem;
  napi_throw_type_error(env, code, message.c_str());
  return false;
}

bool range_error(napi_env env, const char* message) {
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message);
  return false;
}

// The getters' own status codes (napi_number_expected, ...) double as the
// type checks: fewer N-API round trips per call.
bool get_index(napi_env env, napi_value value, const char* name, uint64_t* out) {
  double number;
  if (napi_get_value_double(env, value, &number) != napi_ok) {
    return arg_error(env, name, "must be of type number");
  }
  if (!(number >= 0) || number > kMaxSafeInteger || std::trunc(number) != number) {
    std::string message = std::string("The value of \"") + name +
                          "\" is out of range. It must be a non-negative safe integer.";
    return range_error(env, message.c_str());
  }
  *out = static_cast<uint64_t>(number);
  return true;
}

bool get_fd(napi_env env, napi_value value, int* out) {
  uint64_t fd;
  if (!get_index(env, value, "fd", &fd)) return false;
  if (fd > 2147483647u) return range_error(env, "The value of \"fd\" is out of range.");
  *out = static_cast<int>(fd);
  return true;
}

bool get_bool(napi_env env, napi_value value, const char* name, bool* out) {
  if (napi_get_value_bool(env, value, out) != napi_ok) {
    return arg_error(env, name, "must be of type boolean");
  }
  return true;
}

// Index of the string argument in `words`.
template <size_t N>
bool get_choice(napi_env env, napi_value value, const char* name, const char* const (&words)[N],
                const char* problem, int* out) {
  char buf[16];  // longer than every word, so truncation can never match one
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, buf, sizeof buf, &len) != napi_ok) {
    return arg_error(env, name, "must be of type string");
  }
  for (size_t i = 0; i < N; i++) {
    if (std::strcmp(buf, words[i]) == 0) {
      *out = static_cast<int>(i);
      return true;
    }
  }
  return arg_error(env, name, problem, "ERR_INVALID_ARG_VALUE");
}

// A find_mapping() reference, dropped at scope exit.
struct held {
  mapping* m_ = nullptr;
  held() = default;
  held(const held&) = delete;
  held& operator=(const held&) = delete;
  ~held() {
    if (m_ != nullptr) release(m_);
  }
};

// Only ArrayBuffers returned by map() and not yet unmapped are accepted:
// msync/madvise on arbitrary heap memory could corrupt it (MADV_DONTNEED
// zeroes anonymous pages).
bool get_mapping(napi_env env, napi_value value, held* out, bool* detached = nullptr) {
  void* data = nullptr;
  size_t length = 0;
  if (napi_get_arraybuffer_info(env, value, &data, &length) != napi_ok) {
    return arg_error(env, "buffer", "must be an ArrayBuffer returned by map()");
  }
  if (detached != nullptr) {
    *detached = data == nullptr || length == 0;
    if (*detached) return true;
  }
  out->m_ = find_mapping(data, length);
  if (out->m_ == nullptr) {
    return arg_error(env, "buffer", "is not a live mapping (unmapped, or not returned by map())",
                     "ERR_INVALID_ARG_VALUE");
  }
  return true;
}

bool get_range(napi_env env, napi_value off_v, napi_value len_v, uint64_t size,
               uint64_t* offset, uint64_t* length) {
  if (!get_index(env, off_v, "offset", offset) || !get_index(env, len_v, "length", length)) {
    return false;
  }
  if (*offset > size || *length > size - *offset) {
    return range_error(env, "The range [offset, offset + length) is outside the buffer");
  }
  return true;
}

// Missing arguments arrive as undefined and fail the type checks.
#define GET_ARGS(n)                                                        \
  napi_value argv[n];                                                      \
  size_t argc = n;                                                         \
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) { \
    return throw_status(env);                                              \
  }

void finalize_mapping(napi_env, void*, void* hint) {
  auto* m = static_cast<mapping*>(hint);
  unmap_mapping(m);  // no-op when unmap() already ran
  release(m);
}

napi_value js_map(napi_env env, napi_callback_info info) {
  GET_ARGS(3)
  int fd;
  uint64_t length;
  bool writable;
  if (!get_fd(env, argv[0], &fd) || !get_index(env, argv[1], "length", &length) ||
      !get_bool(env, argv[2], "writable", &writable)) {
    return nullptr;
  }
  mapping* m = nullptr;
  int err = map_file(fd, length, writable, &m);
  if (err != 0) return throw_system(env, err, "mmap");
  napi_value buffer;
  if (napi_create_external_arraybuffer(env, m->addr_, m->length_, finalize_mapping, m, &buffer) !=
      napi_ok) {
    unmap_mapping(m);
    release(m);
    return throw_status(env);
  }
  return buffer;
}

napi_value js_unmap(napi_env env, napi_callback_info info) {
  GET_ARGS(1)
  held m;
  bool detached = false;
  if (!get_mapping(env, argv[0], &m, &detached) || detached) return nullptr;
  // Detach before munmap so no JS view can ever reach the released pages; if
  // detaching fails the pages must stay mapped.
  NAPI_OK_OR_THROW(napi_detach_arraybuffer(env, argv[0]));
  int err = unmap_mapping(m.m_);
  return err != 0 ? throw_system(env, err, "munmap") : nullptr;
}

napi_value js_sync(napi_env env, napi_callback_info info) {
  GET_ARGS(4)
  held m;
  uint64_t offset, length;
  bool wait;
  if (!get_mapping(env, argv[0], &m) ||
      !get_range(env, argv[1], argv[2], m.m_->length_, &offset, &length) ||
      !get_bool(env, argv[3], "wait", &wait)) {
    return nullptr;
  }
  int err = sync_range(m.m_, offset, length, wait);
  return err != 0 ? throw_system(env, err, "msync") : nullptr;
}

struct sync_work {
  napi_async_work work_ = nullptr;
  napi_deferred deferred_ = nullptr;
  napi_ref buffer_ref_ = nullptr;
  mapping* mapping_ = nullptr;
  void* addr_ = nullptr;
  size_t length_ = 0;
  int err_ = 0;
};

void execute_sync(napi_env, void* data) {  // threadpool: no N-API calls here
  auto* w = static_cast<sync_work*>(data);
  w->err_ = sync_raw(w->addr_, w->length_);
}

void complete_sync(napi_env env, napi_status status, void* data) {
  auto* w = static_cast<sync_work*>(data);
  end_async(w->mapping_);  // a deferred munmap failing has nobody to tell
  napi_value result = nullptr;
  if (status == napi_ok && w->err_ == 0) {
    napi_get_undefined(env, &result);
    napi_resolve_deferred(env, w->deferred_, result);
  } else if ((result = make_system_error(env, w->err_ != 0 ? w->err_ : ECANCELED, "msync"))) {
    napi_reject_deferred(env, w->deferred_, result);
  }
  napi_delete_reference(env, w->buffer_ref_);
  napi_delete_async_work(env, w->work_);
  delete w;
}

napi_value js_sync_async(napi_env env, napi_callback_info info) {
  GET_ARGS(3)
  held m;
  uint64_t offset, length;
  if (!get_mapping(env, argv[0], &m) ||
      !get_range(env, argv[1], argv[2], m.m_->length_, &offset, &length)) {
    return nullptr;
  }
  auto* w = new sync_work;
  w->mapping_ = m.m_;
  aligned_range(m.m_, offset, length, &w->addr_, &w->length_);
  napi_value promise, name;
  // The reference keeps the ArrayBuffer (so its finalizer) away until we
  // complete; begin_async keeps the pages mapped even if unmap() is called.
  if (napi_create_reference(env, argv[0], 1, &w->buffer_ref_) != napi_ok ||
      napi_create_string_utf8(env, "spillway:msync", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, nullptr, name, execute_sync, complete_sync, w, &w->work_) !=
          napi_ok ||
      napi_create_promise(env, &w->deferred_, &promise) != napi_ok ||
      (begin_async(m.m_), napi_queue_async_work(env, w->work_) != napi_ok)) {
    if (w->deferred_ != nullptr) end_async(m.m_);  // the promise is left unsettled; we throw
    if (w->work_ != nullptr) napi_delete_async_work(env, w->work_);
    if (w->buffer_ref_ != nullptr) napi_delete_reference(env, w->buffer_ref_);
    delete w;
    return throw_status(env);
  }
  return promise;
}

napi_value js_advise(napi_env env, napi_callback_info info) {
  GET_ARGS(4)
  held m;
  uint64_t offset, length;
  int choice = 0;
  if (!get_mapping(env, argv[0], &m) ||
      !get_range(env, argv[1], argv[2], m.m_->length_, &offset, &length) ||
      !get_choice(env, argv[3], "advice", kAdvice,
                  "must be one of normal, random, sequential, willneed, dontneed", &choice)) {
    return nullptr;
  }
  int err = advise_range(m.m_, offset, length, static_cast<advice>(choice));
  return err != 0 ? throw_system(env, err, "madvise") : nullptr;
}

napi_value js_resident_fraction(napi_env env, napi_callback_info info) {
  GET_ARGS(1)
  held m;
  if (!get_mapping(env, argv[0], &m)) return nullptr;
  double fraction = 0;
  int err = resident_fraction(m.m_, &fraction);
  if (err != 0) return throw_system(env, err, "mincore");
  napi_value result;
  NAPI_OK_OR_THROW(napi_create_double(env, fraction, &result));
  return result;
}

napi_value js_allocate(napi_env env, napi_callback_info info) {
  GET_ARGS(3)
  int fd;
  uint64_t offset, length;
  if (!get_fd(env, argv[0], &fd) || !get_index(env, argv[1], "offset", &offset) ||
      !get_index(env, argv[2], "length", &length)) {
    return nullptr;
  }
  int err = allocate_file(fd, static_cast<int64_t>(offset), static_cast<int64_t>(length));
  return err != 0 ? throw_system(env, err, "posix_fallocate") : nullptr;
}

napi_value js_lock(napi_env env, napi_callback_info info) {
  GET_ARGS(2)
  int fd = -1, choice = 0;
  if (!get_fd(env, argv[0], &fd) ||
      !get_choice(env, argv[1], "mode", kLockModes, "must be one of exclusive, shared, unlock",
                  &choice)) {
    return nullptr;
  }
  bool acquired = false;
  int err = lock_file(fd, static_cast<lock_mode>(choice), &acquired);
  if (err != 0) return throw_system(env, err, "flock");
  napi_value result;
  NAPI_OK_OR_THROW(napi_get_boolean(env, acquired, &result));
  return result;
}

// The hot path for small journal records: getters double as type checks, so
// a valid call costs the fewest N-API round trips.
napi_value js_crc32c(napi_env env, napi_callback_info info) {
  GET_ARGS(4)
  uint32_t crc;
  napi_typedarray_type kind;
  size_t size = 0;
  void* data = nullptr;
  uint64_t offset, length;
  if (napi_get_value_uint32(env, argv[0], &crc) != napi_ok) {
    arg_error(env, "crc", "must be of type number");
    return nullptr;
  }
  if (napi_get_typedarray_info(env, argv[1], &kind, &size, &data, nullptr, nullptr) != napi_ok ||
      (kind != napi_uint8_array && kind != napi_uint8_clamped_array)) {
    arg_error(env, "bytes", "must be a Uint8Array");
    return nullptr;
  }
  if (!get_range(env, argv[2], argv[3], size, &offset, &length)) return nullptr;
  uint32_t value = length == 0 ? crc
                               : crc32c(crc, static_cast<const uint8_t*>(data) + offset,
                                        static_cast<size_t>(length));
  napi_value result;
  NAPI_OK_OR_THROW(napi_create_uint32(env, value, &result));
  return result;
}

}  // namespace
}  // namespace spillway

#define METHOD(name, fn) {name, nullptr, fn, nullptr, nullptr, nullptr, napi_enumerable, nullptr}
#define VALUE(name, v) {name, nullptr, nullptr, nullptr, nullptr, v, napi_enumerable, nullptr}

// NAPI_MODULE_INIT makes the addon context-aware: it is initialised once per
// environment, so worker threads can load it alongside the main thread.
NAPI_MODULE_INIT() {
  using namespace spillway;
  napi_value page, hardware;
  NAPI_OK_OR_THROW(napi_create_double(env, static_cast<double>(page_size()), &page));
  NAPI_OK_OR_THROW(napi_get_boolean(env, crc32c_hardware(), &hardware));
  const napi_property_descriptor props[] = {
      METHOD("map", js_map),
      METHOD("unmap", js_unmap),
      METHOD("sync", js_sync),
      METHOD("syncAsync", js_sync_async),
      METHOD("advise", js_advise),
      METHOD("residentFraction", js_resident_fraction),
      METHOD("allocate", js_allocate),
      METHOD("lock", js_lock),
      METHOD("crc32c", js_crc32c),
      VALUE("pageSize", page),
      VALUE("crc32cHardware", hardware),
  };
  NAPI_OK_OR_THROW(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}
