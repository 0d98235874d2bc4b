// Routes what protobuf logs (e.g. "String field 'churnkit.v1.Customer.name'
// contains invalid UTF-8 data") into churnkit's statuses instead of the
// host's stderr.
#ifndef CHURNKIT_SRC_INTERNAL_PB_LOG_H_
#define CHURNKIT_SRC_INTERNAL_PB_LOG_H_

#include <string>

namespace churnkit::internal {

// While alive, collects the messages protobuf logs on this thread; other
// threads' messages go to the handler that was installed before churnkit's.
class ProtobufLogCapture {
 public:
  ProtobufLogCapture();
  ~ProtobufLogCapture();
  ProtobufLogCapture(const ProtobufLogCapture&) = delete;
  ProtobufLogCapture& operator=(const ProtobufLogCapture&) = delete;

  // The messages so far, joined by "; ".
  const std::string& text() const { return text_; }
  // Called by churnkit's protobuf log handler.
  void Add(const std::string& message);

 private:
  std::string text_;
  ProtobufLogCapture* outer_;
};

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_PB_LOG_H_
