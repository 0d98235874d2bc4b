// The one way io opens an input file: regular files only, so that a
// directory, a FIFO, a device or a broken symbolic link is an error naming
// what it is, never an empty file, a hang or a silently absent table.
#ifndef CHURNKIT_SRC_INTERNAL_FILE_H_
#define CHURNKIT_SRC_INTERNAL_FILE_H_

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace churnkit::internal {

// Whether anything, even a dangling symbolic link, exists at `path`.
bool PathEntryExists(const std::string& path);

// Opens `path` for reading. NotFound (missing, or a dangling symbolic
// link), PermissionDenied, or InvalidArgument for what is not a regular
// file (a directory, FIFO, socket, device, symbolic link loop). Never
// blocks: a FIFO is refused before anything waits for a writer.
absl::StatusOr<int> OpenRegularFile(const std::string& path);
// The same as a stdio stream.
absl::StatusOr<std::FILE*> OpenRegularFileStream(const std::string& path);

// The whole of `path`, at most `max_bytes` (InvalidArgument above that);
// DataLoss when a read fails half-way.
absl::StatusOr<std::string> ReadRegularFile(const std::string& path,
                                            size_t max_bytes);

// Whether `bytes` start with a UTF-16 byte-order mark: churnkit reads
// UTF-8 only, and UTF-16 read as UTF-8 gives garbled errors.
bool StartsWithUtf16Bom(absl::string_view bytes);
// The error for such a file.
absl::Status Utf16Error(absl::string_view path);

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_FILE_H_
