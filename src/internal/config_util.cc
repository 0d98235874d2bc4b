#include "internal/config_util.h"

#include "absl/strings/str_cat.h"
#include "churnkit/io.h"

namespace churnkit::internal {

absl::Status PathError(absl::string_view path, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
}

absl::Status ParseShippedConfig(const char* text, absl::string_view file,
                                google::protobuf::Message* message) {
  if (absl::Status s = ParseTextProto(text, message); !s.ok()) {
    return absl::InternalError(
        absl::StrCat("shipped ", file, ": ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace churnkit::internal
