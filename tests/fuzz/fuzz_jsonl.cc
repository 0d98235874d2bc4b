// libFuzzer target: the JSON-lines reader (ReadJsonl, protobuf's JSON
// parser) and the builder. The input is the file's bytes; it is read under
// the LENIENT policy, built, and the Dataset walked; then again under STRICT
// when it is small.
#include <cstddef>
#include <cstdint>

#include "absl/strings/match.h"
#include "churnkit/dataset.h"
#include "churnkit/io.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace v1 = churnkit::v1;
  churnkit::fuzz::MemFile file(data, size);
  for (v1::ErrorPolicy policy : {v1::LENIENT, v1::STRICT}) {
    if (policy == v1::STRICT && size > 4096) break;
    v1::ValidationOptions validation;
    validation.set_policy(policy);
    churnkit::DatasetBuilder builder(validation);
    const absl::Status read = churnkit::ReadJsonl(file.path(), builder);
    if (policy == v1::LENIENT) {
      // UTF-16 text is refused whole: every line of it would be garbage.
      churnkit::fuzz::Check(
          read.ok() || absl::StrContains(read.message(), "UTF-16 text"),
          "lenient JSONL read fails only on I/O or UTF-16");
    }
    absl::StatusOr<churnkit::Dataset> ds = builder.Build();
    if (ds.ok()) churnkit::fuzz::CheckDataset(*ds);
  }
  return 0;
}
