// examples/load_dataset.cc: load a churnkit CSV export with the C++ API and
// print the counts, the event-kind mix and the ingestion error report.
//
// Usage: load_dataset_cxx [DIR]   (default: examples/data)
#include <iostream>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "churnkit/dataset.h"
#include "churnkit/io.h"

int main(int argc, char** argv) {
  churnkit::v1::LoadOptions options;
  options.set_format(churnkit::v1::CSV);
  options.add_paths(argc > 1 ? argv[1] : "examples/data");
  // LENIENT: keep every valid row and report the bad ones.
  options.mutable_validation()->set_policy(churnkit::v1::LENIENT);

  absl::StatusOr<churnkit::LoadResult> result = churnkit::LoadDataset(options);
  if (!result.ok()) {
    std::cerr << "load_dataset: error: " << result.status() << "\n";
    return 1;
  }
  const churnkit::Dataset& ds = result->dataset;
  const churnkit::v1::ErrorReport& report = result->report;

  std::cout << "customers: " << ds.num_customers() << "\n"
            << "events: " << ds.num_events() << "\n"
            << "contacts: " << ds.num_contacts() << "\n"
            << "contracts: " << ds.num_contracts() << "\n"
            << "owners: " << ds.num_owners() << "\n";

  const churnkit::v1::DatasetSummary summary = ds.Summary();
  std::cout << "events from " << summary.first_event_time() << " to "
            << summary.last_event_time() << "\n";
  // Sorted for stable output (proto maps have no order).
  const std::map<std::string, int64_t> kinds(summary.events_by_kind().begin(),
                                             summary.events_by_kind().end());
  for (const auto& [kind, n] : kinds) {
    std::cout << "  " << kind << ": " << n << "\n";
  }

  std::cout << "errors: " << report.total_errors() << "\n";
  for (const churnkit::v1::DataError& e : report.errors()) {
    std::cout << "  " << e.source() << ":" << e.row() << " ["
              << (e.field().empty() ? "row" : e.field()) << "] " << e.reason()
              << "\n";
  }
  return 0;
}
