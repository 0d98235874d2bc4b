// capi/c_api.cc: the C ABI's versions, errors, buffers and time parsing.
//
// The C ABI of churnkit over the public C++ API, one file per object
// (dataset.cc, features.cc, model.cc, assess.cc, analytics.cc, jobs.cc,
// proto.cc) over capi/internal.h. Every entry point runs its whole body,
// argument checks included, inside Guard(), which turns an absl::Status
// into a ck_status plus the thread-local message of ck_last_error(), and
// any C++ exception into CK_RESOURCE_EXHAUSTED (std::bad_alloc) or
// CK_INTERNAL, so nothing ever unwinds into C. Only the public headers
// (include/churnkit/*.h and the generated churnkit/v1/*.pb.h) and
// internal.h are used.
#include "churnkit/c_api.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "churnkit/dataset.h"
#include "churnkit/labels.h"
#include "internal.h"

using churnkit::capi::CheckNotNull;
using churnkit::capi::Guard;
using churnkit::capi::NullArgument;

namespace {

#define CK_STRINGIFY_(x) #x
#define CK_STRINGIFY(x) CK_STRINGIFY_(x)
constexpr char kVersionString[] =
    CK_STRINGIFY(CK_VERSION_MAJOR) "." CK_STRINGIFY(
        CK_VERSION_MINOR) "." CK_STRINGIFY(CK_VERSION_PATCH);
#undef CK_STRINGIFY
#undef CK_STRINGIFY_

constexpr int kMaxThreads = 4096;

}  // namespace

// ---- Versions -----------------------------------------------------------

extern "C" {

const char* ck_version(void) {
  return Guard("ck_version",
               [] { return static_cast<const char*>(kVersionString); });
}

unsigned ck_version_number(void) {
  return Guard("ck_version_number",
               [] { return static_cast<unsigned>(CK_VERSION_NUMBER); });
}

unsigned ck_abi_version(void) {
  return Guard("ck_abi_version",
               [] { return static_cast<unsigned>(CK_ABI_VERSION); });
}

// ---- Status and errors --------------------------------------------------

const char* ck_status_name(ck_status status) {
  return Guard("ck_status_name", [&status] {
    // A C caller may pass any int; read the value without an enum-typed
    // load so out-of-range values are well defined.
    std::underlying_type_t<ck_status> value;
    std::memcpy(&value, &status, sizeof value);
    static constexpr const char* kNames[] = {
        "CK_OK",
        "CK_CANCELLED",
        "CK_UNKNOWN",
        "CK_INVALID_ARGUMENT",
        "CK_DEADLINE_EXCEEDED",
        "CK_NOT_FOUND",
        "CK_ALREADY_EXISTS",
        "CK_PERMISSION_DENIED",
        "CK_RESOURCE_EXHAUSTED",
        "CK_FAILED_PRECONDITION",
        "CK_ABORTED",
        "CK_OUT_OF_RANGE",
        "CK_UNIMPLEMENTED",
        "CK_INTERNAL",
        "CK_UNAVAILABLE",
        "CK_DATA_LOSS",
        "CK_UNAUTHENTICATED",
    };
    static_assert(std::size(kNames) == CK_UNAUTHENTICATED + 1);
    // Negative values wrap to huge indices.
    const auto index =
        static_cast<std::make_unsigned_t<decltype(value)>>(value);
    if (index >= std::size(kNames)) return "CK_UNKNOWN_STATUS";
    return kNames[index];
  });
}

const char* ck_last_error(void) {
  // Not guarded: reading the error must not reset it, and nothing here can
  // throw.
  return churnkit::capi::LastError();
}

// ---- Threads ------------------------------------------------------------

ck_status ck_threads_set(int n) {
  return Guard("ck_threads_set", [n]() -> absl::Status {
    if (n < 0 || n > kMaxThreads) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'n' is ", n, "; expected 0 (one per core) to ",
                       kMaxThreads));
    }
    churnkit::capi::SetThreads(n);
    return absl::OkStatus();
  });
}

int ck_threads_get(void) {
  return Guard("ck_threads_get", [] { return churnkit::capi::Threads(); });
}

// ---- Buffers ------------------------------------------------------------

const void* ck_buffer_data(const ck_buffer_t* buffer) {
  return Guard("ck_buffer_data", [buffer]() -> const void* {
    return buffer == nullptr ? nullptr : buffer->bytes.data();
  });
}

size_t ck_buffer_size(const ck_buffer_t* buffer) {
  return Guard("ck_buffer_size", [buffer]() -> size_t {
    return buffer == nullptr ? 0 : buffer->bytes.size();
  });
}

void ck_buffer_free(ck_buffer_t* buffer) {
  Guard("ck_buffer_free", [buffer] { delete buffer; });
}

// ---- Time ---------------------------------------------------------------

ck_status ck_time_parse(const char* text, int64_t* out) {
  return Guard("ck_time_parse", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull({{"text", text}, {"out", out}});
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::UnixSeconds> t = churnkit::ParseTime(text);
    if (!t.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'text': ", t.status().message()));
    }
    *out = *t;
    return absl::OkStatus();
  });
}

}  // extern "C"
