// UTF-8 checks for text that ends up in protobuf string fields, which a
// reader refuses to parse when they hold invalid UTF-8: every text input
// (CSV cells and headers, column names from callers) is checked once, on
// the way in, and rejected with an error naming where it came from.
#ifndef CHURNKIT_SRC_INTERNAL_UTF8_H_
#define CHURNKIT_SRC_INTERNAL_UTF8_H_

#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace churnkit::internal {

// Whether `text` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool IsValidUtf8(absl::string_view text);

// `text` with each byte that is not part of a well-formed sequence, and
// each NUL (which would cut a C string short), replaced by U+FFFD, for
// quoting bad input in error reports.
std::string ToValidUtf8(absl::string_view text);

// The path of the first string field of `message` (including map keys and
// values, as "attributes[key]") that is not valid UTF-8; "" when all are.
std::string FirstInvalidUtf8Field(const google::protobuf::Message& message);

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_UTF8_H_
