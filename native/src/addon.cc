// N-API glue: the exported functions and buffer lifetimes. Argument checks
// and error objects live in napi_args.cc; all system work in posix_map.cc
// and crc32c_hw.cc.
#include <node_api.h>

#include <cerrno>

#include "crc32c_hw.h"
#include "napi_args.h"
#include "posix_map.h"

namespace spillway {
namespace {

const char* const kAdvice[] = {"normal", "random", "sequential", "willneed", "dontneed"};
const char* const kLockModes[] = {"exclusive", "shared", "unlock"};

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
