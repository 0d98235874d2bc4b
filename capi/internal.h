// capi/internal.h: what every file of the C ABI shares -- the handles
// behind the opaque C types, the one guard that turns an absl::Status (or
// an exception) into a ck_status plus ck_last_error(), and the argument
// checks. Not installed; only capi/*.cc include it.
#ifndef CHURNKIT_CAPI_INTERNAL_H_
#define CHURNKIT_CAPI_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "churnkit/assess.h"
#include "churnkit/c_api.h"
#include "churnkit/dataset.h"
#include "churnkit/features.h"
#include "churnkit/io.h"
#include "churnkit/labels.h"
#include "churnkit/model.h"
#include "churnkit/v1/health.pb.h"
#include "churnkit/v1/ingest.pb.h"
#include "churnkit/v1/model.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/message_lite.h"

// ---- Handles ------------------------------------------------------------

struct ck_buffer_t {
  std::string bytes;
};

struct ck_dataset_t {
  explicit ck_dataset_t(churnkit::LoadResult result) : rep(std::move(result)) {
    // The pool's strings are not NUL-terminated; keep a terminated copy of
    // every customer id so ck_dataset_customer_id can hand out C strings
    // without mutating a (possibly shared) const handle.
    const churnkit::Dataset& ds = rep.dataset;
    id_offsets.reserve(ds.num_customers());
    for (size_t c = 0; c < ds.num_customers(); ++c) {
      id_offsets.push_back(ids.size());
      const absl::string_view id =
          ds.customer_id(static_cast<churnkit::CustomerIndex>(c));
      ids.append(id.data(), id.size());
      ids.push_back('\0');
    }
  }

  churnkit::LoadResult rep;
  std::string ids;                 // customer ids, each NUL-terminated
  std::vector<size_t> id_offsets;  // start of customer c's id in `ids`
};

struct ck_features_t {
  explicit ck_features_t(churnkit::FeatureEngine e) : engine(std::move(e)) {}
  churnkit::FeatureEngine engine;
};

struct ck_matrix_t {
  churnkit::FeatureMatrix matrix;
  // A training panel's 0/1 labels, one per row (empty otherwise).
  std::vector<uint8_t> labels;
};

struct ck_assessor_t {
  explicit ck_assessor_t(churnkit::Assessor a) : assessor(std::move(a)) {}
  churnkit::Assessor assessor;
};

struct ck_assessment_t {
  churnkit::AssessResult result;
};

struct ck_model_t {
  churnkit::v1::LogisticModel model;
};

struct ck_fit_session_t {
  churnkit::PartitionedFit fit;
};

namespace churnkit::capi {

// The C header copies some constants of the protobuf enums and of absl so
// that C hosts need neither; the copies must never drift.
static_assert(CK_POLICY_STRICT == v1::STRICT);
static_assert(CK_POLICY_LENIENT == v1::LENIENT);
static_assert(CK_COLOUR_GREEN == v1::GREEN);
static_assert(CK_COLOUR_YELLOW == v1::YELLOW);
static_assert(CK_COLOUR_RED == v1::RED);
// FromStatus passes absl's codes through, so every ck_status equals its
// absl::StatusCode.
constexpr bool StatusCodesMatch() {
  using C = absl::StatusCode;
  constexpr std::pair<ck_status, C> kPairs[] = {
      {CK_OK, C::kOk},
      {CK_CANCELLED, C::kCancelled},
      {CK_UNKNOWN, C::kUnknown},
      {CK_INVALID_ARGUMENT, C::kInvalidArgument},
      {CK_DEADLINE_EXCEEDED, C::kDeadlineExceeded},
      {CK_NOT_FOUND, C::kNotFound},
      {CK_ALREADY_EXISTS, C::kAlreadyExists},
      {CK_PERMISSION_DENIED, C::kPermissionDenied},
      {CK_RESOURCE_EXHAUSTED, C::kResourceExhausted},
      {CK_FAILED_PRECONDITION, C::kFailedPrecondition},
      {CK_ABORTED, C::kAborted},
      {CK_OUT_OF_RANGE, C::kOutOfRange},
      {CK_UNIMPLEMENTED, C::kUnimplemented},
      {CK_INTERNAL, C::kInternal},
      {CK_UNAVAILABLE, C::kUnavailable},
      {CK_DATA_LOSS, C::kDataLoss},
      {CK_UNAUTHENTICATED, C::kUnauthenticated}};
  for (const auto& [ck, code] : kPairs) {
    if (static_cast<int>(ck) != static_cast<int>(code)) return false;
  }
  return true;
}
static_assert(StatusCodesMatch());

// ---- Errors -------------------------------------------------------------

// Sets the calling thread's last error to "<function>: <detail>" and
// returns `code`.
ck_status SetError(const char* function, ck_status code,
                   absl::string_view detail) noexcept;

// The one adapter from absl::Status to ck_status + message (OK clears the
// last error).
ck_status FromStatus(const char* function, const absl::Status& status) noexcept;

// The calling thread's last error message ("" when none).
const char* LastError() noexcept;

// The one guard. `body` returns absl::Status for fallible functions (the
// guard then returns ck_status) or a plain value / void for infallible ones
// (which leave the last error untouched unless an exception escapes; the
// value-initialised result, e.g. NULL or 0, is then returned).
template <typename Body>
auto Guard(const char* function, Body&& body) noexcept {
  using R = std::invoke_result_t<Body>;
  constexpr bool kFallible = std::is_same_v<R, absl::Status>;
  using Result = std::conditional_t<kFallible, ck_status, R>;
  auto fail = [&](ck_status code, absl::string_view detail) -> Result {
    SetError(function, code, detail);
    if constexpr (kFallible) {
      return code;
    } else if constexpr (!std::is_void_v<R>) {
      return R{};
    }
  };
  try {
    if constexpr (kFallible) {
      return FromStatus(function, body());
    } else {
      return body();
    }
  } catch (const std::bad_alloc&) {
    return fail(CK_RESOURCE_EXHAUSTED, "out of memory");
  } catch (const std::exception& e) {
    return fail(CK_INTERNAL, absl::StrCat("internal error: ", e.what()));
  } catch (...) {
    return fail(CK_INTERNAL, "internal error: unknown exception");
  }
}

// ---- Threads ------------------------------------------------------------

// The worker threads of the calling thread's compute calls (ck_threads_set;
// 0: one per core).
int Threads();
void SetThreads(int n);
// A `threads` option as given, or the calling thread's setting when 0.
inline int ThreadsOr(int threads) { return threads != 0 ? threads : Threads(); }
// Sets the int32 field `threads` of `message`, when it has one left at 0,
// to the calling thread's setting.
void UseCallerThreads(google::protobuf::Message* message);

// ---- Arguments ----------------------------------------------------------

// Parses the text argument of ck_proto_from_text (NULL or "" keeps the
// defaults).
absl::Status ParseOptional(const char* text, const char* name,
                           google::protobuf::Message* message);

absl::Status NullArgument(const char* name);

// Returns InvalidArgument naming the first NULL of the (name, pointer) pairs.
absl::Status CheckNotNull(
    std::initializer_list<std::pair<const char*, const void*>> args);

// The one size check of caller arrays: `count` elements of `element_size`
// bytes must fit in an object (PTRDIFF_MAX bytes), or building a view or a
// copy of them would trap or throw; protobuf bytes must also fit in an int.
absl::Status CheckCount(size_t count, size_t element_size, const char* name,
                        size_t max_bytes = PTRDIFF_MAX);

// `size` bytes at `data` (NULL only when size is 0) as a view.
absl::StatusOr<absl::string_view> BytesArg(const void* data, size_t size,
                                           const char* data_name,
                                           const char* size_name,
                                           size_t max_bytes = PTRDIFF_MAX);

// Parses the serialized message argument `name` (`size` bytes at `data`,
// which may be NULL only when size is 0; no bytes leave the defaults).
absl::Status ParseBytes(const void* data, size_t size, const char* name,
                        const char* size_name,
                        google::protobuf::Message* message);

// Parses `count` serialized messages of type M (`data[i]`, `sizes[i]`
// bytes), each named "<name>[i]" in errors; the arrays may be NULL when
// count is 0.
template <typename M>
absl::StatusOr<std::vector<M>> ParseArray(const void* const* data,
                                          const size_t* sizes, size_t count,
                                          const char* name,
                                          const char* sizes_name,
                                          const char* count_name) {
  if (absl::Status s = CheckCount(count, sizeof(void*), count_name); !s.ok()) {
    return s;
  }
  if (count != 0) {
    if (absl::Status s = CheckNotNull({{name, data}, {sizes_name, sizes}});
        !s.ok()) {
      return s;
    }
  }
  std::vector<M> out(count);
  for (size_t i = 0; i < count; ++i) {
    const std::string item = absl::StrCat(name, "[", i, "]");
    const std::string size = absl::StrCat(sizes_name, "[", i, "]");
    if (absl::Status s =
            ParseBytes(data[i], sizes[i], item.c_str(), size.c_str(), &out[i]);
        !s.ok()) {
      return s;
    }
  }
  return out;
}

// The labeler of a serialized ChurnDefinition argument `definition`; no
// bytes: the shipped default.
absl::StatusOr<ChurnLabeler> LabelerOf(const void* definition, size_t size);

// A serialized FeatureSet argument `feature_set`; no bytes: the shipped
// default set.
absl::StatusOr<v1::FeatureSet> FeatureSetArg(const void* feature_set,
                                             size_t size);

// Serializes `message` into a new buffer stored in *out.
absl::Status ToBuffer(const google::protobuf::MessageLite& message,
                      ck_buffer_t** out);
// Moves `bytes` into a new buffer stored in *out.
absl::Status ToBuffer(std::string bytes, ck_buffer_t** out);

// Wraps a load result in a new handle stored in *out.
absl::Status ToHandle(absl::StatusOr<LoadResult> result, ck_dataset_t** out);

// Stores count(dataset) in *out.
template <typename Count>
absl::Status GetCount(const ck_dataset_t* dataset, size_t* out, Count count) {
  if (absl::Status s = CheckNotNull({{"dataset", dataset}, {"out", out}});
      !s.ok()) {
    return s;
  }
  *out = count(*dataset);
  return absl::OkStatus();
}

// One request-taking entry point: `precheck` (the other arguments), then
// the request bytes parsed (none: every default), `job` run on them and
// its result serialized into *out.
template <typename Request, typename Precheck, typename Job>
ck_status RunRequest(const char* function, const void* request,
                     size_t request_size, ck_buffer_t** out, Precheck precheck,
                     Job job) {
  return Guard(function, [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (absl::Status s = precheck(); !s.ok()) return s;
    Request parsed;
    if (absl::Status s = ParseBytes(request, request_size, "request",
                                    "request_size", &parsed);
        !s.ok()) {
      return s;
    }
    churnkit::capi::UseCallerThreads(&parsed);
    auto result = job(parsed);
    if (!result.ok()) return result.status();
    return ToBuffer(*result, out);
  });
}

// One job over a data set.
template <typename Request, typename Job>
ck_status RunJob(const char* function, const ck_dataset_t* dataset,
                 const void* request, size_t request_size, ck_buffer_t** out,
                 Job job) {
  return RunRequest<Request>(
      function, request, request_size, out,
      [&] {
        return dataset == nullptr ? NullArgument("dataset") : absl::OkStatus();
      },
      [&](const Request& r) { return job(dataset->rep.dataset, r); });
}

// Stores names[index].c_str() in *out, or OutOfRange.
absl::Status NameAt(const std::vector<std::string>& names, size_t index,
                    const char* what, const char** out);

}  // namespace churnkit::capi

#endif  // CHURNKIT_CAPI_INTERNAL_H_
