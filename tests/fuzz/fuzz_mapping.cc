// libFuzzer target: vendor mappings, LoadOptions x CSV bytes.
//
// Input: a churnkit.v1.LoadOptions in text format, a line "----", then the
// bytes of one CSV file. Every TableMapping of the options reads that file
// (its path replaced; `paths` and `base_dir` dropped), then LoadDataset
// builds the data set, whose invariants and report counts are checked.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "churnkit/io.h"
#include "fuzz_util.h"

namespace {

namespace v1 = churnkit::v1;
using churnkit::fuzz::Check;

constexpr absl::string_view kSeparator = "\n----\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find(kSeparator);
  if (split == absl::string_view::npos) return 0;
  v1::LoadOptions options;
  if (!churnkit::ParseTextProto(input.substr(0, split), &options).ok()) {
    return 0;
  }
  if (options.tables_size() == 0 || options.tables_size() > 8) return 0;
  const absl::string_view csv = input.substr(split + kSeparator.size());
  churnkit::fuzz::MemFile file(reinterpret_cast<const uint8_t*>(csv.data()),
                               csv.size());
  options.clear_paths();
  options.clear_base_dir();
  for (v1::TableMapping& t : *options.mutable_tables()) t.set_path(file.path());
  v1::ValidationOptions& validation = *options.mutable_validation();
  if (validation.max_errors() == 0 || validation.max_errors() > 1000) {
    validation.set_max_errors(100);
  }

  absl::StatusOr<churnkit::LoadResult> r = churnkit::LoadDataset(options);
  if (!r.ok()) return 0;  // a mapping mistake, or STRICT on a bad row
  churnkit::fuzz::CheckDataset(r->dataset);
  const v1::ErrorReport& report = r->report;
  Check(report.errors_size() <= static_cast<int>(validation.max_errors()),
        "error report capped");
  Check(report.total_errors() >= report.errors_size(),
        "total errors counts kept ones");
  Check(report.total_warnings() >= report.warnings_size(),
        "total warnings counts kept ones");
  for (const auto& [table, kept] : report.rows_kept()) {
    auto read = report.rows_read().find(table);
    Check(read != report.rows_read().end() && kept <= read->second,
          "no table keeps more rows than it read");
  }
  Check(static_cast<int64_t>(r->dataset.num_customers()) ==
            report.rows_kept().at("customers") + report.implicit_customers(),
        "customers are kept rows plus implicit ones");
  return 0;
}
