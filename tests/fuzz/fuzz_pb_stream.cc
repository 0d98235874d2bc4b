// libFuzzer target: the length-delimited binary Record stream, both from
// memory (LoadRecordStream, the C ABI's path; LENIENT) and from a file
// (ReadPbStream; STRICT), each built and the Dataset walked.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "churnkit/dataset.h"
#include "churnkit/io.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace v1 = churnkit::v1;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);

  v1::ValidationOptions lenient;
  lenient.set_policy(v1::LENIENT);
  absl::StatusOr<churnkit::LoadResult> r =
      churnkit::LoadRecordStream(bytes, lenient, "fuzz");
  churnkit::fuzz::Check(r.ok(), "lenient PB stream load never fails");
  churnkit::fuzz::CheckDataset(r->dataset);

  v1::ValidationOptions strict;
  strict.set_policy(v1::STRICT);
  churnkit::fuzz::MemFile file(data, size);
  churnkit::DatasetBuilder builder(strict);
  if (churnkit::ReadPbStream(file.path(), builder).ok()) {
    absl::StatusOr<churnkit::Dataset> ds = builder.Build();
    if (ds.ok()) {
      churnkit::fuzz::CheckDataset(*ds);
      // A clean strict read keeps what the lenient one kept.
      churnkit::fuzz::Check(
          ds->num_events() == r->dataset.num_events() &&
              ds->num_customers() == r->dataset.num_customers(),
          "strict and lenient agree on clean input");
    }
  }
  return 0;
}
