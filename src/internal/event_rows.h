// The times of a CSV events table's rows as the loader would keep them,
// without building a data set: the partitioner finds where the whole
// data's history starts with it (LoadOptions.history_start). Defined in
// io.cc, next to the loader whose parsing it shares.
#ifndef CHURNKIT_INTERNAL_EVENT_ROWS_H_
#define CHURNKIT_INTERNAL_EVENT_ROWS_H_

#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "churnkit/dataset.h"
#include "churnkit/v1/ingest.pb.h"

namespace churnkit::internal {

class EventRowTimes {
 public:
  // Binds an EVENTS table's mapping to its header (empty for a header-less
  // file); nullptr for another table, or one the loader would refuse or
  // skip (a mapping mistake, a required column missing), whose rows then
  // never count.
  static std::unique_ptr<EventRowTimes> Bind(
      const v1::TableMapping& mapping,
      const std::vector<absl::string_view>& header,
      const v1::ValidationOptions& validation);
  ~EventRowTimes();

  // The row's time when the loader would keep it (its customer's existence
  // aside) and it is before `before` (kNoTime: no bound), else kNoTime.
  UnixSeconds KeptTime(const std::vector<absl::string_view>& record,
                       UnixSeconds before);

 private:
  struct Impl;
  explicit EventRowTimes(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace churnkit::internal

#endif  // CHURNKIT_INTERNAL_EVENT_ROWS_H_
