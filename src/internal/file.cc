#include "internal/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace churnkit::internal {
namespace {

const char* KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a named pipe (FIFO)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

absl::Status OpenError(const std::string& path, int error) {
  if (error == ENOENT) {
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      return absl::NotFoundError(absl::StrCat(
          path, ": cannot open: a symbolic link to a missing file"));
    }
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open: no such file or directory"));
  }
  if (error == ELOOP) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot open: a symbolic link loop"));
  }
  const std::string message =
      absl::StrCat(path, ": cannot open: ", std::strerror(error));
  if (error == EACCES || error == EPERM) {
    return absl::PermissionDeniedError(message);
  }
  if (error == ENOTDIR || error == ENAMETOOLONG || error == EISDIR) {
    return absl::InvalidArgumentError(message);
  }
  return absl::UnavailableError(message);
}

}  // namespace

bool StartsWithUtf16Bom(absl::string_view bytes) {
  return absl::StartsWith(bytes, "\xFF\xFE") ||
         absl::StartsWith(bytes, "\xFE\xFF");
}

absl::Status Utf16Error(absl::string_view path) {
  return absl::InvalidArgumentError(absl::StrCat(
      path, path.empty() ? "" : ": ",
      "UTF-16 text (it starts with a UTF-16 byte-order mark); save the file "
      "as UTF-8"));
}

bool PathEntryExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

absl::StatusOr<int> OpenRegularFile(const std::string& path) {
  // O_NONBLOCK: opening a FIFO for reading would wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return OpenError(path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    return OpenError(path, error);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", KindOf(st.st_mode),
                     ", not a regular file; give a file's path"));
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

absl::StatusOr<std::FILE*> OpenRegularFileStream(const std::string& path) {
  absl::StatusOr<int> fd = OpenRegularFile(path);
  if (!fd.ok()) return fd.status();
  std::FILE* f = ::fdopen(*fd, "rb");
  if (f == nullptr) {
    const int error = errno;
    ::close(*fd);
    return OpenError(path, error);
  }
  return f;
}

absl::StatusOr<std::string> ReadRegularFile(const std::string& path,
                                            size_t max_bytes) {
  absl::StatusOr<int> fd = OpenRegularFile(path);
  if (!fd.ok()) return fd.status();
  std::string bytes;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(*fd, buf, sizeof(buf));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(*fd);
      return absl::DataLossError(
          absl::StrCat(path, ": read failed: ", std::strerror(error)));
    }
    bytes.append(buf, static_cast<size_t>(n));
    if (bytes.size() > max_bytes) {
      ::close(*fd);
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": larger than ", max_bytes, " bytes"));
    }
  }
  ::close(*fd);
  return bytes;
}

}  // namespace churnkit::internal
