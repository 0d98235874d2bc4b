// Consumer of the installed C++ library: builds a data set in memory with
// DatasetBuilder, then loads the CSV data set in argv[1], and prints both
// counts. Exits non-zero on any failure.
#include <iostream>

#include "churnkit/dataset.h"
#include "churnkit/io.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer_cxx DIR\n";
    return 2;
  }
  churnkit::v1::ValidationOptions validation;
  validation.set_policy(churnkit::v1::STRICT);
  churnkit::DatasetBuilder builder(validation);
  churnkit::v1::Customer customer;
  customer.set_id("c1");
  customer.set_industry("saas");
  customer.mutable_signup_time()->set_seconds(1704067200);  // 2024-01-01
  churnkit::EventInput event;
  event.customer_id = "c1";
  event.kind = churnkit::v1::ORDER;
  event.time = 1709251200;  // 2024-03-01
  event.amount = 250;
  if (absl::Status s = builder.AddCustomer(customer, {"consumer", 1});
      !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  if (absl::Status s = builder.AddEvent(event, {"consumer", 2}); !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  absl::StatusOr<churnkit::Dataset> built = builder.Build();
  if (!built.ok() || built->num_customers() != 1 || built->num_events() != 1) {
    std::cerr << "consumer_cxx: in-memory build failed: " << built.status()
              << "\n";
    return 1;
  }

  churnkit::v1::LoadOptions options;
  options.set_format(churnkit::v1::CSV);
  options.add_paths(argv[1]);
  absl::StatusOr<churnkit::LoadResult> loaded = churnkit::LoadDataset(options);
  if (!loaded.ok() || loaded->dataset.num_customers() == 0) {
    std::cerr << "consumer_cxx: load failed: " << loaded.status() << "\n";
    return 1;
  }
  std::cout << "consumer_cxx: built " << built->num_customers()
            << " customer, loaded " << loaded->dataset.num_customers()
            << " customers, " << loaded->dataset.num_events() << " events, "
            << loaded->report.total_errors() << " errors\n";
  return 0;
}
