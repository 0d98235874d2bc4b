#include "internal.h"

#include <climits>
#include <cstddef>
#include <memory>

#include "churnkit/io.h"

namespace churnkit::capi {

// ---- Errors -------------------------------------------------------------

namespace {

// The calling thread's last error. `fixed` is used when building the
// message itself fails for lack of memory.
struct ThreadError {
  std::string message;
  const char* fixed = nullptr;
};
thread_local ThreadError last_error;
thread_local int caller_threads = 0;

void ClearError() noexcept {
  last_error.message.clear();
  last_error.fixed = nullptr;
}

}  // namespace

ck_status SetError(const char* function, ck_status code,
                   absl::string_view detail) noexcept {
  try {
    // Messages quote caller text, which may be invalid UTF-8.
    last_error.message =
        churnkit::ToValidUtf8(absl::StrCat(function, ": ", detail));
    last_error.fixed = nullptr;
  } catch (...) {
    last_error.fixed = "churnkit: out of memory while reporting an error";
  }
  return code;
}

ck_status FromStatus(const char* function,
                     const absl::Status& status) noexcept {
  if (status.ok()) {
    ClearError();
    return CK_OK;
  }
  const int code = static_cast<int>(status.code());
  const ck_status ck = code >= CK_OK && code <= CK_UNAUTHENTICATED
                           ? static_cast<ck_status>(code)
                           : CK_UNKNOWN;
  absl::string_view detail = status.message();
  return SetError(function, ck, detail.empty() ? "(no detail)" : detail);
}

// Parses an optional textproto argument (NULL or "" keeps the defaults).
absl::Status ParseOptional(const char* text, const char* name,
                           google::protobuf::Message* message) {
  if (text == nullptr || *text == '\0') return absl::OkStatus();
  if (absl::Status s = churnkit::ParseTextProto(text, message); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument '", name, "': ", s.message()));
  }
  return absl::OkStatus();
}

absl::Status NullArgument(const char* name) {
  return absl::InvalidArgumentError(
      absl::StrCat("argument '", name, "' is NULL"));
}

// Returns InvalidArgument naming the first NULL of the (name, pointer) pairs.
absl::Status CheckNotNull(
    std::initializer_list<std::pair<const char*, const void*>> args) {
  for (const auto& [name, pointer] : args) {
    if (pointer == nullptr) return NullArgument(name);
  }
  return absl::OkStatus();
}

// The one size check of caller arrays: `count` elements of `element_size`
// bytes must fit in an object (PTRDIFF_MAX bytes), or building a view or a
// copy of them would trap or throw; protobuf bytes must also fit in an int.
absl::Status CheckCount(size_t count, size_t element_size, const char* name,
                        size_t max_bytes) {
  if (count > max_bytes / element_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument '", name, "' is ", count, "; at most ",
                     max_bytes / element_size, " are accepted"));
  }
  return absl::OkStatus();
}

// `size` bytes at `data` (NULL only when size is 0) as a view.
absl::StatusOr<absl::string_view> BytesArg(const void* data, size_t size,
                                           const char* data_name,
                                           const char* size_name,
                                           size_t max_bytes) {
  if (data == nullptr && size != 0) return NullArgument(data_name);
  if (absl::Status s = CheckCount(size, 1, size_name, max_bytes); !s.ok()) {
    return s;
  }
  if (size == 0) return absl::string_view();
  return absl::string_view(static_cast<const char*>(data), size);
}

// Parses the serialized message argument `name` (`size` bytes at `data`,
// which may be NULL only when size is 0; no bytes leave the defaults).
absl::Status ParseBytes(const void* data, size_t size, const char* name,
                        const char* size_name,
                        google::protobuf::Message* message) {
  absl::StatusOr<absl::string_view> bytes =
      BytesArg(data, size, name, size_name, INT_MAX);
  if (!bytes.ok()) return bytes.status();
  if (bytes->empty()) return absl::OkStatus();
  if (absl::Status s = churnkit::ParseBinaryProto(*bytes, message); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument '", name, "': ", s.message()));
  }
  return absl::OkStatus();
}

int Threads() { return caller_threads; }
void SetThreads(int n) { caller_threads = n; }

void UseCallerThreads(google::protobuf::Message* message) {
  const google::protobuf::FieldDescriptor* field =
      message->GetDescriptor()->FindFieldByName("threads");
  if (field == nullptr || field->is_repeated() ||
      field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_INT32) {
    return;
  }
  const google::protobuf::Reflection* r = message->GetReflection();
  if (r->GetInt32(*message, field) == 0) {
    r->SetInt32(message, field, caller_threads);
  }
}

absl::StatusOr<ChurnLabeler> LabelerOf(const void* definition, size_t size) {
  v1::ChurnDefinition parsed;
  if (size == 0) {
    absl::StatusOr<v1::ChurnDefinition> d = DefaultChurnDefinition();
    if (!d.ok()) return d.status();
    parsed = *std::move(d);
  } else if (absl::Status s = ParseBytes(definition, size, "definition",
                                         "definition_size", &parsed);
             !s.ok()) {
    return s;
  }
  return ChurnLabeler::Create(parsed);
}

absl::StatusOr<v1::FeatureSet> FeatureSetArg(const void* feature_set,
                                             size_t size) {
  if (size == 0) return DefaultFeatureSet();
  v1::FeatureSet parsed;
  if (absl::Status s = ParseBytes(feature_set, size, "feature_set",
                                  "feature_set_size", &parsed);
      !s.ok()) {
    return s;
  }
  return parsed;
}

absl::Status ToBuffer(const google::protobuf::MessageLite& message,
                      ck_buffer_t** out) {
  if (message.ByteSizeLong() > static_cast<size_t>(INT_MAX)) {
    return absl::ResourceExhaustedError(
        "message larger than 2 GiB cannot be serialized");
  }
  std::string bytes;
  if (!message.SerializeToString(&bytes)) {
    return absl::InternalError("cannot serialize the message");
  }
  return ToBuffer(std::move(bytes), out);
}

absl::Status ToBuffer(std::string bytes, ck_buffer_t** out) {
  *out = new ck_buffer_t{std::move(bytes)};
  return absl::OkStatus();
}

// Wraps a load result in a new handle stored in *out.
absl::Status ToHandle(absl::StatusOr<churnkit::LoadResult> result,
                      ck_dataset_t** out) {
  if (!result.ok()) return result.status();
  *out = new ck_dataset_t(*std::move(result));
  return absl::OkStatus();
}

// Stores names[index].c_str() in *out, or OutOfRange.
absl::Status NameAt(const std::vector<std::string>& names, size_t index,
                    const char* what, const char** out) {
  if (index >= names.size()) {
    return absl::OutOfRangeError(absl::StrCat(
        "argument '", what, "' is ", index, "; there are ", names.size()));
  }
  *out = names[index].c_str();
  return absl::OkStatus();
}

const char* LastError() noexcept {
  return last_error.fixed != nullptr ? last_error.fixed
                                     : last_error.message.c_str();
}

}  // namespace churnkit::capi
