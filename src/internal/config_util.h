// Helpers shared by every module that validates or ships a config.
#ifndef CHURNKIT_SRC_INTERNAL_CONFIG_UTIL_H_
#define CHURNKIT_SRC_INTERNAL_CONFIG_UTIL_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace churnkit::internal {

// InvalidArgument "<path>: <message>", naming the config field at fault
// (e.g. "features[3].window.window_days: must be > 0").
absl::Status PathError(absl::string_view path, absl::string_view message);

// Parses a config compiled into the library from configs/ (see
// embedded_configs.h). A failure is a broken build, reported as Internal
// naming `file`.
absl::Status ParseShippedConfig(const char* text, absl::string_view file,
                                google::protobuf::Message* message);

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_CONFIG_UTIL_H_
