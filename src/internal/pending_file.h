// A file written under a temporary name and renamed when complete, so that
// no reader ever sees it half-written (io.cc, io_write.cc).
#ifndef CHURNKIT_SRC_INTERNAL_PENDING_FILE_H_
#define CHURNKIT_SRC_INTERNAL_PENDING_FILE_H_

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace churnkit::internal {

// An error for the failed file operation `what` on `path`, from errno:
// NotFound, PermissionDenied or Unavailable.
absl::Status ErrnoError(absl::string_view what, const std::string& path);

// A file written under a temporary name and renamed on Commit().
class PendingFile {
 public:
  PendingFile() = default;
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  ~PendingFile() { Abort(); }
  absl::Status Open(const std::string& path);
  void Append(absl::string_view s) {
    buffer_.append(s.data(), s.size());
    if (buffer_.size() >= (1 << 20)) Flush();
  }
  std::string* buffer() { return &buffer_; }
  void MaybeFlush() {
    if (buffer_.size() >= (1 << 20)) Flush();
  }
  absl::Status Commit();
  void Abort() {
    if (file_ != nullptr) {
      std::fclose(file_);
      file_ = nullptr;
      std::remove(temp_.c_str());
    }
  }

 private:
  void Flush() {
    if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(),
                                        file_) != buffer_.size()) {
      failed_ = true;
    }
    buffer_.clear();
  }
  std::string path_, temp_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  bool failed_ = false;
};

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_PENDING_FILE_H_
