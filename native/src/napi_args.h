// N-API argument checking and error objects shared by the addon's exported
// functions. Each check throws the JS error itself and returns false (or
// nullptr), so a caller only has to return.
#ifndef SPILLWAY_NAPI_ARGS_H_
#define SPILLWAY_NAPI_ARGS_H_

#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "posix_map.h"

namespace spillway {

// Leaves an exception that is already pending (e.g. from a getter) in place.
napi_value throw_status(napi_env env);

#define NAPI_OK_OR_THROW(call)                   \
  do {                                           \
    if ((call) != napi_ok) return throw_status(env); \
  } while (0)

// Shaped like Node's fs errors: code, negative errno, syscall.
napi_value make_system_error(napi_env env, int err, const char* syscall);
napi_value throw_system(napi_env env, int err, const char* syscall);

bool arg_error(napi_env env, const char* name, const char* problem,
               const char* code = "ERR_INVALID_ARG_TYPE");
bool range_error(napi_env env, const char* message);

// A non-negative safe integer.
bool get_index(napi_env env, napi_value value, const char* name, uint64_t* out);
bool get_fd(napi_env env, napi_value value, int* out);
bool get_bool(napi_env env, napi_value value, const char* name, bool* out);

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
// zeroes anonymous pages). With `detached` set, a detached buffer is
// reported there instead of being an error.
bool get_mapping(napi_env env, napi_value value, held* out, bool* detached = nullptr);

// [offset, offset + length) within `size` bytes.
bool get_range(napi_env env, napi_value off_v, napi_value len_v, uint64_t size,
               uint64_t* offset, uint64_t* length);

// Missing arguments arrive as undefined and fail the type checks.
#define GET_ARGS(n)                                                        \
  napi_value argv[n];                                                      \
  size_t argc = n;                                                         \
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) { \
    return throw_status(env);                                              \
  }

}  // namespace spillway

#endif  // SPILLWAY_NAPI_ARGS_H_
