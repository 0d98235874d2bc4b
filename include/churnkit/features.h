// churnkit/features.h: declarative point-in-time features.
//
// A FeatureSet (proto/churnkit/v1/features.proto) declares named features;
// a FeatureEngine compiles and validates it once, then computes a
// FeatureMatrix for every customer as of a date, strictly from events
// before that date (windows are half-open: [as_of - N days, as_of)).
//
// Example:
//   absl::StatusOr<v1::FeatureSet> set = churnkit::DefaultFeatureSet();
//   absl::StatusOr<churnkit::FeatureEngine> engine =
//       churnkit::FeatureEngine::Create(*set);
//   absl::StatusOr<churnkit::FeatureMatrix> m =
//       engine->Compute(dataset, *churnkit::ParseTime("2025-01-01"));
//   double logins = m->at(row, *m->ColumnIndex("logins_30d"));
#ifndef CHURNKIT_FEATURES_H_
#define CHURNKIT_FEATURES_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "churnkit/dataset.h"
#include "churnkit/v1/features.pb.h"

namespace churnkit {

// Feature values, one row per (customer, as-of date), row-major.
// NaN marks a value that is not defined for the row; each operator
// documents when (features.proto).
struct FeatureMatrix {
  std::vector<std::string> columns;       // feature names
  std::vector<std::string> customer_ids;  // per row
  std::vector<UnixSeconds> as_of;         // per row
  std::vector<double> values;             // num_rows() * num_cols()

  size_t num_rows() const { return customer_ids.size(); }
  size_t num_cols() const { return columns.size(); }
  double at(size_t row, size_t col) const {
    return values[row * columns.size() + col];
  }
  absl::Span<const double> row(size_t r) const {
    return absl::MakeConstSpan(values.data() + r * columns.size(),
                               columns.size());
  }
  // Index of a column by name.
  std::optional<size_t> ColumnIndex(absl::string_view name) const;
};

struct ComputeOptions {
  // Worker threads; 0 means std::thread::hardware_concurrency(). Results
  // are identical for every thread count.
  int threads = 0;
  // Customers whose signup is at or after as_of are left out (they did not
  // exist yet), unless this is set.
  bool include_future_customers = false;
};

// A validated, compiled FeatureSet. Immutable and thread-safe.
class FeatureEngine {
 public:
  // Validates `config`: unique well-formed names, an operator per feature,
  // positive windows, known enum values, derived inputs that exist and form
  // no cycle. Errors name the config path, e.g.
  // "features[3].window.window_days: must be > 0".
  static absl::StatusOr<FeatureEngine> Create(const v1::FeatureSet& config);

  FeatureEngine(FeatureEngine&&) noexcept;
  FeatureEngine& operator=(FeatureEngine&&) noexcept;
  ~FeatureEngine();

  // Feature names in declaration order (the matrix columns).
  const std::vector<std::string>& names() const;
  const v1::FeatureSet& config() const;

  // Computes every feature for every customer existing at `as_of`.
  absl::StatusOr<FeatureMatrix> Compute(
      const Dataset& dataset, UnixSeconds as_of,
      const ComputeOptions& options = {}) const;

  // Computes the features of selected customers (rows in that order).
  absl::StatusOr<FeatureMatrix> ComputeFor(
      const Dataset& dataset, absl::Span<const CustomerIndex> customers,
      UnixSeconds as_of, const ComputeOptions& options = {}) const;
  // The same into `*out`, reusing its buffers (its column names above
  // all): for a caller computing a few rows often, as
  // Assessor::AssessCustomer does.
  absl::Status ComputeFor(const Dataset& dataset,
                          absl::Span<const CustomerIndex> customers,
                          UnixSeconds as_of, const ComputeOptions& options,
                          FeatureMatrix* out) const;

 private:
  struct Impl;
  explicit FeatureEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Customers that exist at `as_of`: signed up before it, or with an unknown
// signup time; in data-set order. The rows of FeatureEngine::Compute.
std::vector<CustomerIndex> CustomersAt(const Dataset& dataset,
                                       UnixSeconds as_of);

// The shipped default feature set (configs/features/default.textproto,
// compiled into the library): every warning signal of domain.md §3.
absl::StatusOr<v1::FeatureSet> DefaultFeatureSet();

}  // namespace churnkit

#endif  // CHURNKIT_FEATURES_H_
