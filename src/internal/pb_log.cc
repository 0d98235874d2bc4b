#include "internal/pb_log.h"

#include <mutex>

#include "google/protobuf/stubs/logging.h"

namespace churnkit::internal {
namespace {

thread_local ProtobufLogCapture* current = nullptr;
google::protobuf::LogHandler* previous = nullptr;

void Handle(google::protobuf::LogLevel level, const char* filename, int line,
            const std::string& message) {
  if (current != nullptr && level != google::protobuf::LOGLEVEL_FATAL) {
    current->Add(message);
  } else if (previous != nullptr) {
    previous(level, filename, line, message);
  }
}

}  // namespace

void ProtobufLogCapture::Add(const std::string& message) {
  if (!text_.empty()) text_ += "; ";
  text_ += message;
}

ProtobufLogCapture::ProtobufLogCapture() : outer_(current) {
  // Installed once, on first use: protobuf has one process-wide handler,
  // and a host's own one keeps getting every message churnkit does not
  // capture.
  static std::once_flag installed;
  std::call_once(installed,
                 [] { previous = google::protobuf::SetLogHandler(&Handle); });
  current = this;
}

ProtobufLogCapture::~ProtobufLogCapture() { current = outer_; }

}  // namespace churnkit::internal
