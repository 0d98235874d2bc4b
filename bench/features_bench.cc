// Benchmarks of point-in-time feature extraction with the shipped default
// feature set, and of the full assessment on top of it (issue goals: >= 10M
// events/s per core, near-linear, results identical to serial; assessing
// costs <= 1.5x the features alone). See docs/performance.md.
//
//   CHURNKIT_BENCH_EVENTS=10000000 build/bench/bench/features_bench
//
// The data set is the synthetic log of bench/synthetic.h (4 years, 2021-
// 2024), loaded once from its PB file; every benchmark computes as of
// 2025-01-01 for every customer. CHURNKIT_BENCH_DATA=PATH reads a data set
// instead (e.g. a directory from `churnkit generate`), and
// CHURNKIT_BENCH_AS_OF=YYYY-MM-DD sets the date.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "benchmark/benchmark.h"
#include "churnkit/assess.h"
#include "churnkit/dataset.h"
#include "churnkit/features.h"
#include "churnkit/io.h"
#include "churnkit/labels.h"
#include "google/protobuf/arena.h"
#include "synthetic.h"

namespace churnkit::bench {
namespace {

// The default data set: bench/synthetic.h's log, written once.
std::string SyntheticPath() {
  SyntheticSpec spec;
  spec.num_events = EnvCount("CHURNKIT_BENCH_EVENTS", 2000000);
  spec.num_customers = EnvCount("CHURNKIT_BENCH_CUSTOMERS",
                                std::max<int64_t>(spec.num_events / 250, 1));
  const std::string dir =
      (std::filesystem::temp_directory_path() / "churnkit_features_bench")
          .string();
  absl::StatusOr<std::string> path =
      EnsureSynthetic(spec, v1::PB, dir, "events.pb");
  if (!path.ok()) {
    std::fprintf(stderr, "features_bench: %s\n",
                 std::string(path.status().message()).c_str());
    std::exit(1);
  }
  return *path;
}

const Dataset& Data() {
  static const Dataset* data = [] {
    v1::LoadOptions options;
    if (const char* path = std::getenv("CHURNKIT_BENCH_DATA")) {
      options.add_paths(path);
    } else {
      options.add_paths(SyntheticPath());
    }
    absl::StatusOr<LoadResult> r = LoadDataset(options);
    if (!r.ok()) {
      std::fprintf(stderr, "features_bench: %s\n",
                   std::string(r.status().message()).c_str());
      std::exit(1);
    }
    return new Dataset(std::move(r->dataset));
  }();
  return *data;
}

UnixSeconds AsOf() {
  const char* as_of = std::getenv("CHURNKIT_BENCH_AS_OF");
  return ParseTime(as_of != nullptr ? as_of : "2025-01-01").value();
}

void BM_DefaultFeatures(benchmark::State& state) {
  const Dataset& ds = Data();
  const FeatureEngine engine =
      FeatureEngine::Create(DefaultFeatureSet().value()).value();
  ComputeOptions options;
  options.threads = static_cast<int>(state.range(0));
  size_t rows = 0;
  for (auto _ : state) {
    absl::StatusOr<FeatureMatrix> m = engine.Compute(ds, AsOf(), options);
    if (!m.ok()) state.SkipWithError("compute failed");
    rows = m->num_rows();
    benchmark::DoNotOptimize(m->values.data());
  }
  state.SetItemsProcessed(state.iterations() * ds.num_events());
  state.counters["customers"] = static_cast<double>(rows);
  state.counters["features"] = static_cast<double>(engine.names().size());
  state.counters["events_per_s_per_thread"] = benchmark::Counter(
      static_cast<double>(state.iterations() * ds.num_events()) /
          state.range(0),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DefaultFeatures)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Assess(benchmark::State& state) {
  const Dataset& ds = Data();
  const Assessor assessor = Assessor::Create({}).value();
  AssessOptions options;
  options.threads = static_cast<int>(state.range(0));
  // What one run builds, per customer assessed (the messages' share of the
  // cost depends on it).
  double alerts = 0, reasons = 0, tasks = 0, entries = 0, assessed = 0;
  for (auto _ : state) {
    absl::StatusOr<AssessResult> r = assessor.Assess(ds, AsOf(), options);
    if (!r.ok()) {
      state.SkipWithError("assess failed");
      break;
    }
    const v1::Assessment& a = r->assessment();
    assessed = a.customers_size();
    alerts = static_cast<double>(a.alert_summary().alerts());
    reasons = static_cast<double>(a.alert_summary().reasons());
    tasks = 0;
    for (const v1::CustomerAssessment& c : a.customers()) {
      tasks += c.tasks_size();
    }
    entries = r->history().entries_size();
  }
  state.SetItemsProcessed(state.iterations() * ds.num_events());
  state.counters["customers"] = assessed;
  const double per = std::max(assessed, 1.0);
  state.counters["alerts_per_customer"] = alerts / per;
  state.counters["reasons_per_customer"] = reasons / per;
  state.counters["tasks_per_customer"] = tasks / per;
  state.counters["history_per_customer"] = entries / per;
}
BENCHMARK(BM_Assess)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The floor the messages set: a copy of one run's Assessment and alert
// history onto a fresh arena, then freed. The assessment builds these same
// messages (strings and all) once per run, so it cannot cost less than
// the features, the labels and this.
void BM_AssessmentMessages(benchmark::State& state) {
  const Dataset& ds = Data();
  const Assessor assessor = Assessor::Create({}).value();
  const AssessResult run = assessor.Assess(ds, AsOf(), {}).value();
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* a = google::protobuf::Arena::CreateMessage<v1::Assessment>(&arena);
    *a = run.assessment();
    auto* h = google::protobuf::Arena::CreateMessage<v1::AlertHistory>(&arena);
    *h = run.history();
    benchmark::DoNotOptimize(a->customers_size() + h->entries_size());
  }
  state.counters["customers"] =
      static_cast<double>(run.assessment().customers_size());
}
BENCHMARK(BM_AssessmentMessages)->Unit(benchmark::kMillisecond)->UseRealTime();

// The churn labels alone (active, passive and hidden churn over each
// customer's history), the assessment's largest part after the features.
void BM_Labels(benchmark::State& state) {
  const Dataset& ds = Data();
  const ChurnLabeler labeler =
      ChurnLabeler::Create(DefaultChurnDefinition().value()).value();
  for (auto _ : state) {
    absl::StatusOr<std::vector<ChurnLabel>> labels =
        labeler.Label(ds, AsOf(), static_cast<int>(state.range(0)));
    if (!labels.ok()) state.SkipWithError("label failed");
    benchmark::DoNotOptimize(labels->data());
  }
  state.SetItemsProcessed(state.iterations() * ds.num_events());
}
BENCHMARK(BM_Labels)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// The host's hot path (issue 19, goal 4: <= 50 us): one customer whose
// events just changed, assessed alone (Assessor::AssessCustomer) with
// range(0) new events (0 or 2); customers taken in turn. Compare with
// BM_Assess/1, which recomputes every customer.
void BM_AssessOneCustomer(benchmark::State& state) {
  const Dataset& ds = Data();
  const Assessor assessor = Assessor::Create({}).value();
  const UnixSeconds as_of = AsOf();
  EventInput login;
  login.kind = v1::LOGIN;
  login.time = as_of - 3600;
  EventInput ticket;
  ticket.kind = v1::TICKET;
  ticket.time = as_of - 7200;
  ticket.flags = kFlagComplaint;
  const EventInput both[] = {login, ticket};
  const absl::Span<const EventInput> added(both, state.range(0));
  size_t c = 0, events = 0;
  for (auto _ : state) {
    c = (c + 7919) % ds.num_customers();
    absl::StatusOr<CustomerAssessResult> r = assessor.AssessCustomer(
        ds, ds.customer_id(static_cast<CustomerIndex>(c)), added, as_of, {});
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      break;
    }
    events += ds.event_end(c) - ds.event_begin(c);
    benchmark::DoNotOptimize(r->assessment.score());
  }
  state.counters["events_per_customer"] = benchmark::Counter(
      static_cast<double>(events) / std::max<double>(1, state.iterations()));
}
BENCHMARK(BM_AssessOneCustomer)->Arg(0)->Arg(2)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace churnkit::bench

BENCHMARK_MAIN();
