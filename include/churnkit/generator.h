// churnkit/generator.h: a synthetic CRM history generator, the project's
// default data, test bed and benchmark load (docs/generator.md).
//
// Customers of several industries and tiers live through a simulated
// period: owners' interactions, logins and feature use with weekly and
// yearly seasonality, orders, tickets, surveys, payments, contacts and
// contracts with renewals, marketing, web signals, opportunities, training
// requests and retention interventions on A/B arms. A latent hazard driven
// by the churn causes of domain.md §8 decides who churns (active, passive
// or hidden) and when; churners show the warning signals of domain.md §3
// beforehand, partially and noisily, and some healthy customers show them
// too. The ground truth goes to a separate file, never into the events.
//
// Output is bit-for-bit deterministic for a given config (seed included),
// whatever the number of threads: every customer draws from its own random
// stream derived from (seed, customer index).
//
// Example:
//   churnkit::v1::GeneratorConfig config;
//   config.set_customers(20000);
//   config.set_seed(7);
//   absl::StatusOr<churnkit::v1::GeneratorSummary> s =
//       churnkit::Generate(config, churnkit::v1::CSV, "build/data");
#ifndef CHURNKIT_GENERATOR_H_
#define CHURNKIT_GENERATOR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "churnkit/dataset.h"
#include "churnkit/v1/generator.pb.h"
#include "churnkit/v1/ingest.pb.h"

namespace churnkit {

// Names of the files Generate() writes into its output directory, besides
// the data itself (the five CSV tables, or kGeneratorRecordsStem + ".jsonl"
// / ".pb").
inline constexpr char kGeneratorTruthFile[] = "truth.csv";
inline constexpr char kGeneratorConfigFile[] = "generator_config.textproto";
inline constexpr char kGeneratorRecordsStem[] = "records";

// How a run is executed; nothing here changes the output.
struct GenerateOptions {
  // Threads used, the calling thread included: with 1 it simulates and
  // writes; with n > 1, n - 1 workers simulate ahead while it writes. 0
  // means one per hardware thread.
  int threads = 0;
  // Called on the calling thread after each block of customers is written,
  // with the customers done so far and the total. Optional.
  std::function<void(int64_t done, int64_t total)> progress;
};

// Returns `config` with every unset field filled from the shipped defaults
// (configs/generator/default.textproto), as Generate() uses it. Does not
// validate.
v1::GeneratorConfig ResolveGeneratorConfig(const v1::GeneratorConfig& config);

// Checks a config (after filling defaults). Returns InvalidArgument naming
// the first bad field by its path, e.g. "industries[2].share: must be in
// [0, 1], got 1.5" or "churn.type_mix: shares sum to 1.2, must be 1".
// Checks: counts >= 0, probabilities and shares in [0, 1], mixes summing to
// 1 within 1e-6, rates >= 0, dates valid with end_date after start_date,
// unique names, known reason keys, the lists an enabled rate needs.
absl::Status ValidateGeneratorConfig(const v1::GeneratorConfig& config);

// Generates the data set described by `config` into the directory
// `out_dir` (created if missing), streaming customer by customer, so memory
// stays bounded whatever the number of customers:
//   CSV    out_dir/{owners,customers,contacts,contracts,events}.csv
//   JSONL  out_dir/records.jsonl     PB  out_dir/records.pb
// plus out_dir/truth.csv (one GroundTruth row per customer) and, last,
// out_dir/generator_config.textproto (the resolved config), whose presence
// marks a complete run. Every file is written under a temporary name and
// renamed when complete; a stale generator_config.textproto is removed
// first, and on failure the files of this run are removed, so no partial
// output looks complete.
// Errors: InvalidArgument (bad config or format), PermissionDenied /
// NotFound / Unavailable (cannot write out_dir).
absl::StatusOr<v1::GeneratorSummary> Generate(
    const v1::GeneratorConfig& config, v1::Format format,
    const std::string& out_dir, const GenerateOptions& options = {});

// A generated data set held in memory (for tests and experiments).
struct GeneratedData {
  Dataset dataset;
  // One entry per customer, in customer order.
  std::vector<v1::GroundTruth> truth;
};

// Generates the same data as Generate() into a Dataset (events of the same
// customers, same times and values). Errors: InvalidArgument for a bad
// config. Memory grows with the data set (about 40 bytes per event).
absl::StatusOr<GeneratedData> GenerateInMemory(
    const v1::GeneratorConfig& config, const GenerateOptions& options = {});

}  // namespace churnkit

#endif  // CHURNKIT_GENERATOR_H_
