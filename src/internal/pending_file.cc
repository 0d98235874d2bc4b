#include "internal/pending_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace churnkit::internal {

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  const std::string message =
      absl::StrCat(path, ": ", what, ": ", std::strerror(errno));
  if (errno == ENOENT) return absl::NotFoundError(message);
  if (errno == EACCES || errno == EROFS) {
    return absl::PermissionDeniedError(message);
  }
  return absl::UnavailableError(message);
}

absl::Status PendingFile::Open(const std::string& path) {
  path_ = path;
  temp_ = absl::StrCat(path, ".tmp-", ::getpid());
  file_ = std::fopen(temp_.c_str(), "wb");
  if (file_ == nullptr) return ErrnoError("cannot create", temp_);
  return absl::OkStatus();
}

absl::Status PendingFile::Commit() {
  Flush();
  if (failed_ || std::fclose(file_) != 0) {
    file_ = nullptr;
    const absl::Status s = ErrnoError("write failed", temp_);
    std::remove(temp_.c_str());
    return s;
  }
  file_ = nullptr;
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    const absl::Status s = ErrnoError("cannot rename to final name", path_);
    std::remove(temp_.c_str());
    return s;
  }
  return absl::OkStatus();
}

}  // namespace churnkit::internal
