// Definitions for napi_args.h.
#include "napi_args.h"

#include <cmath>
#include <string>

namespace spillway {
namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

}  // namespace

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

bool arg_error(napi_env env, const char* name, const char* problem, const char* code) {
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

bool get_mapping(napi_env env, napi_value value, held* out, bool* detached) {
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

}  // namespace spillway
