#include "churnkit/assess.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "churnkit/careplan.h"
#include "churnkit/health.h"
#include "churnkit/labels.h"
#include "churnkit/metrics.h"
#include "churnkit/model.h"
#include "churnkit/rules.h"
#include "internal/exact_sum.h"
#include "internal/parallel.h"
#include "internal/revenue.h"
#include "internal/template.h"
#include "internal/time.h"
#include "internal/utf8.h"

namespace churnkit {
namespace {

constexpr int64_t kDay = 86400;

// One a working day: enough for an owner to act on each alert (a call, a
// plan) besides the care-plan tasks; see docs/rules.md.
constexpr int kDefaultTasksPerOwnerPerWeek = 5;
// Half again the model's average churn probability (the expected churn
// rate): §7's high-risk side; see docs/rules.md for its effect.
constexpr double kDefaultMinRelativeRisk = 1.5;

// Prefixes a config error with the part it came from.
absl::Status InPart(absl::string_view part, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(part, ".", s.message()));
}

v1::TaskTemplate DefaultOverflowTask() {
  v1::TaskTemplate t;
  t.set_type("automated_care");
  t.set_title("Automated care for {customer.name}: {rule}");
  t.set_assignee(v1::AUTOMATION);
  t.set_priority(v1::NORMAL);
  return t;
}

// A customer's yearly value: annual_value, else the orders of the last
// 365 days (the segment module's revenue sources).
v1::ValueOptions YearlyValue() {
  v1::ValueOptions v;
  v.set_window_days(365);
  v.add_revenue_sources(v1::REVENUE_ANNUAL_VALUE);
  v.add_revenue_sources(v1::REVENUE_ORDERS);
  v.set_combine(v1::FIRST_AVAILABLE);
  return v;
}

// An empty list of messages on `arena` (its elements allocated there).
template <typename Message>
google::protobuf::RepeatedPtrField<Message>* OnArena(
    google::protobuf::Arena* arena) {
  return google::protobuf::Arena::Create<
      google::protobuf::RepeatedPtrField<Message>>(arena, arena);
}

// Moves the messages of `from` to the end of `into` (both on one arena).
template <typename Message>
void MoveAll(google::protobuf::RepeatedPtrField<Message>& from,
             google::protobuf::RepeatedPtrField<Message>* into) {
  absl::InlinedVector<Message*, 8> moved(from.size());
  from.UnsafeArenaExtractSubrange(0, from.size(), moved.data());
  for (Message* m : moved) into->AddAllocated(m);
}

// The rules that fired for one customer as one alert: its reasons most
// severe first (rule order among equals), and their tasks one per type:
// the most severe rule's, with the highest priority and earliest due date
// of its type. `fired`, `alert` and `tasks` are on one arena: the messages
// move by pointer.
void Consolidate(RuleOutcome& fired, v1::Alert* alert,
                 google::protobuf::RepeatedPtrField<v1::Task>* tasks) {
  std::stable_sort(fired.alerts.pointer_begin(), fired.alerts.pointer_end(),
                   [](const v1::Alert* x, const v1::Alert* y) {
                     return x->level() > y->level();
                   });
  const v1::Alert& lead = fired.alerts[0];
  alert->set_rule(lead.rule());
  alert->set_level(lead.level());
  alert->set_message(lead.message());
  *alert->mutable_first_fired() = lead.first_fired();
  // A few rules fire for a customer: lists scanned in order are cheaper
  // than hash maps of strings.
  absl::InlinedVector<absl::string_view, 8> severity_order;  // rule names
  for (const v1::Alert& reason : fired.alerts) {
    if (absl::c_find(severity_order, reason.rule()) == severity_order.end()) {
      severity_order.push_back(reason.rule());
    }
    if (reason.first_fired().seconds() < alert->first_fired().seconds()) {
      *alert->mutable_first_fired() = reason.first_fired();
    }
    alert->set_escalated(alert->escalated() || reason.escalated());
  }
  auto severity = [&](const v1::Task* task) {
    return absl::c_find(severity_order, task->source()) -
           severity_order.begin();
  };
  std::stable_sort(fired.tasks.pointer_begin(), fired.tasks.pointer_end(),
                   [&](const v1::Task* x, const v1::Task* y) {
                     return severity(x) < severity(y);
                   });
  absl::InlinedVector<v1::Task*, 8> planned(fired.tasks.size());
  fired.tasks.UnsafeArenaExtractSubrange(0, fired.tasks.size(), planned.data());
  for (v1::Task* task : planned) {
    auto kept_it = absl::c_find_if(*tasks, [&](const v1::Task& kept) {
      return kept.type() == task->type();
    });
    if (kept_it == tasks->end()) {
      tasks->AddAllocated(task);
      continue;
    }
    v1::Task& kept = *kept_it;
    kept.set_priority(std::max(kept.priority(), task->priority()));
    if (task->due().seconds() < kept.due().seconds()) {
      *kept.mutable_due() = task->due();
    }
    if (task->GetArena() == nullptr) delete task;  // merged into `kept`
  }
  MoveAll(fired.alerts, alert->mutable_reasons());
}

// One customer's outcome before owners' capacity decides where it goes:
// on the run's arena, null when no rule fired.
struct Pending {
  v1::Alert* alert = nullptr;  // consolidated
  int reasons = 0;             // its rules that fired (read without it)
  google::protobuf::RepeatedPtrField<v1::Task>* rule_tasks = nullptr;
};

// A run's rows as far as they go without the run-wide figures: features,
// labels, the model's view and the health scores.
struct Scored {
  std::vector<CustomerIndex> customer_of;
  FeatureMatrix matrix;
  std::vector<ChurnLabel> labels;
  v1::Explanations explained;  // with a model
  std::vector<double> totals;  // health totals
};

// The rows under the run's colour cut-offs: each assessment (built in the
// result's Assessment, with its care tasks) with its alert not routed yet,
// and the candidates the routing ranks.
struct Evaluated {
  explicit Evaluated(AssessResult r)
      : result(std::move(r)), on_heap(result.arena() == nullptr) {}
  Evaluated(Evaluated&&) = default;
  Evaluated& operator=(Evaluated&&) = delete;
  // On the heap, frees what Finish did not move into the result.
  ~Evaluated();

  AssessResult result;
  bool on_heap;  // the messages below are on the heap
  std::vector<Pending> pending;
  // Per row, its history entries to record (on the arena; null for none).
  std::vector<google::protobuf::RepeatedPtrField<v1::AlertHistory::Entry>*>
      touched;
  v1::AlertCandidates candidates;
  std::vector<size_t> candidate_rows;  // the row of each candidate
};

Evaluated::~Evaluated() {
  if (!on_heap) return;
  for (Pending& p : pending) {
    delete p.alert;
    delete p.rule_tasks;
  }
  for (auto* entries : touched) delete entries;
}

// The totals RunCutoffs ranks: those of the customers not churned.
v1::HealthTotals ActiveTotals(const Scored& s);

// Each distinct value of `totals` with its count, ascending.
v1::HealthTotals TotalsOf(std::vector<double> totals) {
  std::sort(totals.begin(), totals.end());
  v1::HealthTotals out;
  for (size_t i = 0; i < totals.size(); ++i) {
    if (i == 0 || totals[i] != totals[i - 1]) {
      out.add_totals(totals[i]);
      out.add_counts(0);
    }
    out.set_counts(out.counts_size() - 1,
                   out.counts(out.counts_size() - 1) + 1);
  }
  return out;
}

// The colour cut-offs of a run: the scorecard's, or with `red_share` (> 0)
// RED for the totals below the one at rank floor(red_share x n) from the
// lowest of the n `totals` (AssessmentConfig.red_share).
v1::ColourCutoffs RunCutoffs(const v1::ColourCutoffs& card, double red_share,
                             const v1::HealthTotals& totals) {
  v1::ColourCutoffs c = card;
  int64_t n = 0;
  for (int64_t count : totals.counts()) n += count;
  if (!(red_share > 0) || n == 0) return c;
  const int64_t k = std::min<int64_t>(
      n - 1,
      static_cast<int64_t>(std::floor(red_share * static_cast<double>(n))));
  int64_t below = 0;
  int i = 0;
  while (below + totals.counts(i) <= k) below += totals.counts(i++);
  const double cut = totals.totals(i);
  c.set_yellow_min(cut);
  c.set_green_min(std::max(c.green_min(), cut));
  return c;
}

// FNV-1a 64 of a partition's candidates: what a plan is made for.
uint64_t Fingerprint(const v1::AlertCandidates& candidates) {
  uint64_t h = 14695981039346656037ull;
  auto mix = [&h](const void* data, size_t size) {
    for (size_t i = 0; i < size; ++i) {
      h ^= static_cast<const unsigned char*>(data)[i];
      h *= 1099511628211ull;
    }
  };
  for (const v1::AlertCandidates::Candidate& c : candidates.candidates()) {
    mix(c.customer_id().data(), c.customer_id().size());
    mix("", 1);
    mix(c.owner_id().data(), c.owner_id().size());
    mix("", 1);
    const double figures[] = {c.expected_revenue_at_risk(),
                              c.churn_probability()};
    mix(figures, sizeof(figures));
  }
  return h;
}

// Counts of a summary part that must not be negative.
absl::Status CheckCounts(const v1::AlertSummary& s, absl::string_view name) {
  const std::pair<const char*, int64_t> counts[] = {
      {"alerts", s.alerts()},
      {"reasons", s.reasons()},
      {"routed_to_automated_care", s.routed_to_automated_care()},
      {"routed_below_risk_floor", s.routed_below_risk_floor()}};
  for (const auto& [field, value] : counts) {
    if (value < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ".", field, ": negative (", value, ")"));
    }
  }
  for (int i = 0; i < s.owners_size(); ++i) {
    if (s.owners(i).alerted() < 0 ||
        s.owners(i).routed_to_automated_care() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ".owners[", i, "]: negative count"));
    }
  }
  return absl::OkStatus();
}

// x += y for counts, or OutOfRange naming `what`.
absl::Status AddCount(int64_t y, int64_t* x, absl::string_view what) {
  if (__builtin_add_overflow(*x, y, x)) {
    return absl::OutOfRangeError(absl::StrCat(what, ": the sum overflows"));
  }
  return absl::OkStatus();
}

}  // namespace

AssessResult::AssessResult() : AssessResult(nullptr, 0) {}

AssessResult::AssessResult(char* initial_block, size_t size) {
  google::protobuf::ArenaOptions options;
  options.initial_block = initial_block;
  options.initial_block_size = size;
  // Fewer, larger blocks: a run allocates megabytes.
  options.max_block_size = 256 << 10;
  arena_ = std::make_unique<google::protobuf::Arena>(options);
  assessment_ =
      google::protobuf::Arena::CreateMessage<v1::Assessment>(arena_.get());
  history_ =
      google::protobuf::Arena::CreateMessage<v1::AlertHistory>(arena_.get());
}

AssessResult AssessResult::OnHeap() {
  AssessResult r{Empty{}};
  r.assessment_ = new v1::Assessment;
  r.history_ = new v1::AlertHistory;
  return r;
}

AssessResult::AssessResult(AssessResult&& other) noexcept
    : arena_(std::move(other.arena_)),
      assessment_(std::exchange(other.assessment_, nullptr)),
      history_(std::exchange(other.history_, nullptr)),
      features_(std::move(other.features_)) {}

AssessResult& AssessResult::operator=(AssessResult&& other) noexcept {
  if (this != &other) {
    Free();
    arena_ = std::move(other.arena_);
    assessment_ = std::exchange(other.assessment_, nullptr);
    history_ = std::exchange(other.history_, nullptr);
    features_ = std::move(other.features_);
  }
  return *this;
}

AssessResult::~AssessResult() { Free(); }

void AssessResult::Free() {
  if (arena_ == nullptr) {  // on the heap (or moved from: both null)
    delete assessment_;
    delete history_;
  }
  assessment_ = nullptr;
  history_ = nullptr;
  arena_.reset();
}

struct Assessor::Impl {
  v1::FeatureSet feature_set;  // words the model's reasons
  FeatureEngine features;
  HealthScorer scorer;
  RuleEngine rules;
  CarePlanner care;
  ChurnLabeler labeler;
  int64_t horizon;
  int64_t capacity;  // alerts per owner per run
  double min_relative_risk;
  internal::TaskMaker overflow_task;
  v1::ValueOptions value;
  double red_share;  // 0: the scorecard's cut-offs

  // The steps of Assess, which AssessPartition and friends share. Score
  // computes the features into `buffers` (reused, see FeatureEngine).
  absl::StatusOr<Scored> Score(const Dataset& dataset, UnixSeconds as_of,
                               const AssessOptions& options,
                               FeatureMatrix buffers = {}) const;
  // Builds the rows' messages in `result`.
  Evaluated Evaluate(const Dataset& dataset, UnixSeconds as_of, const Scored& s,
                     const v1::ColourCutoffs& cutoffs,
                     const AssessOptions& options, AssessResult result) const;
  absl::StatusOr<std::vector<v1::AlertPlan>> Route(
      absl::Span<const v1::AlertCandidates> parts) const;
  absl::StatusOr<AssessResult> Finish(const Dataset& dataset, UnixSeconds as_of,
                                      Scored& s, Evaluated& e,
                                      const v1::AlertPlan& plan,
                                      const AssessOptions& options) const;
};

Assessor::Assessor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Assessor::Assessor(Assessor&&) noexcept = default;
Assessor& Assessor::operator=(Assessor&&) noexcept = default;
Assessor::~Assessor() = default;

absl::StatusOr<Assessor> Assessor::Create(const v1::AssessmentConfig& config) {
  absl::StatusOr<v1::FeatureSet> set =
      config.has_features() ? config.features() : DefaultFeatureSet();
  if (!set.ok()) return set.status();
  absl::StatusOr<FeatureEngine> features = FeatureEngine::Create(*set);
  if (!features.ok()) return InPart("features", features.status());
  const std::vector<std::string>& columns = features->names();

  absl::StatusOr<v1::Scorecard> card =
      config.has_scorecard() ? config.scorecard() : DefaultScorecard();
  if (!card.ok()) return card.status();
  absl::StatusOr<HealthScorer> scorer = HealthScorer::Create(*card, columns);
  if (!scorer.ok()) return InPart("scorecard", scorer.status());

  absl::StatusOr<v1::RuleSet> rule_set =
      config.has_rules() ? config.rules() : DefaultRuleSet();
  if (!rule_set.ok()) return rule_set.status();
  absl::StatusOr<RuleEngine> rules = RuleEngine::Create(*rule_set, columns);
  if (!rules.ok()) return InPart("rules", rules.status());

  absl::StatusOr<v1::CarePlan> plan =
      config.has_care_plan() ? config.care_plan() : DefaultCarePlan();
  if (!plan.ok()) return plan.status();
  absl::StatusOr<CarePlanner> care = CarePlanner::Create(*plan, columns);
  if (!care.ok()) return InPart("care_plan", care.status());

  absl::StatusOr<v1::ChurnDefinition> def = DefaultChurnDefinition();
  if (!def.ok()) return def.status();
  absl::StatusOr<ChurnLabeler> labeler = ChurnLabeler::Create(*def);
  if (!labeler.ok()) return labeler.status();

  if (config.horizon_days() < 0 || config.horizon_days() > 366) {
    return absl::InvalidArgumentError(absl::StrCat(
        "horizon_days: must be in [0, 366]; got ", config.horizon_days()));
  }
  const int horizon = config.horizon_days() == 0 ? 7 : config.horizon_days();

  const v1::AlertPolicy& policy = config.alerts();
  if (policy.has_tasks_per_owner_per_week() &&
      policy.tasks_per_owner_per_week() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alerts.tasks_per_owner_per_week: must be > 0 (is ",
        policy.tasks_per_owner_per_week(), "); leave it unset for the default ",
        kDefaultTasksPerOwnerPerWeek));
  }
  const int per_week = policy.has_tasks_per_owner_per_week()
                           ? policy.tasks_per_owner_per_week()
                           : kDefaultTasksPerOwnerPerWeek;
  // At least one: a daily run still alerts each owner about the top risk.
  const int64_t capacity =
      std::max<int64_t>(1, std::llround(per_week * (horizon / 7.0)));
  if (policy.has_min_relative_risk() &&
      !(std::isfinite(policy.min_relative_risk()) &&
        policy.min_relative_risk() >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("alerts.min_relative_risk: must be a finite number >= 0 "
                     "(is ",
                     policy.min_relative_risk(), ")"));
  }
  const double min_relative_risk = policy.has_min_relative_risk()
                                       ? policy.min_relative_risk()
                                       : kDefaultMinRelativeRisk;
  absl::StatusOr<internal::TaskMaker> overflow = internal::TaskMaker::Compile(
      policy.has_overflow_task() ? policy.overflow_task()
                                 : DefaultOverflowTask(),
      columns, "alerts.overflow_task");
  if (!overflow.ok()) return overflow.status();
  if (config.has_red_share() &&
      !(config.red_share() > 0 && config.red_share() < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "red_share: must be in (0, 1), the share of customers owners can "
        "treat as RED (is ",
        config.red_share(), "); leave it unset for the scorecard's cut-offs"));
  }
  return Assessor(std::make_unique<Impl>(
      Impl{*std::move(set), *std::move(features), *std::move(scorer),
           *std::move(rules), *std::move(care), *std::move(labeler),
           int64_t{horizon} * kDay, capacity, min_relative_risk,
           *std::move(overflow), YearlyValue(),
           config.has_red_share() ? config.red_share() : 0.0}));
}

namespace {

v1::HealthTotals ActiveTotals(const Scored& s) {
  std::vector<double> totals;
  for (size_t r = 0; r < s.totals.size(); ++r) {
    if (!s.labels[s.customer_of[r]].churned) {
      totals.push_back(s.totals[r]);
    }
  }
  return TotalsOf(std::move(totals));
}

}  // namespace

absl::StatusOr<Scored> Assessor::Impl::Score(const Dataset& dataset,
                                             UnixSeconds as_of,
                                             const AssessOptions& options,
                                             FeatureMatrix buffers) const {
  Scored s;
  ComputeOptions compute;
  compute.threads = options.threads;
  s.customer_of = CustomersAt(dataset, as_of);
  s.matrix = std::move(buffers);
  if (absl::Status st = features.ComputeFor(dataset, s.customer_of, as_of,
                                            compute, &s.matrix);
      !st.ok()) {
    return st;
  }
  absl::StatusOr<std::vector<ChurnLabel>> labels =
      labeler.Label(dataset, as_of, options.threads);
  if (!labels.ok()) return labels.status();
  s.labels = *std::move(labels);

  // The model's view of each row: probability and strongest risk reasons.
  if (options.model != nullptr) {
    if (options.model_reasons < 0) {
      return absl::InvalidArgumentError("model_reasons: must be >= 0");
    }
    const std::vector<std::string> names(options.model->feature_names().begin(),
                                         options.model->feature_names().end());
    absl::StatusOr<FeatureMatrix> model_columns =
        SelectColumns(s.matrix, names);
    if (!model_columns.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("model: the assessment's features have ",
                       model_columns.status().message()));
    }
    absl::StatusOr<v1::Explanations> why =
        Explain(*options.model, MatrixView::Of(*model_columns),
                {.top_k = options.model_reasons, .feature_set = &feature_set});
    if (!why.ok()) {
      return absl::Status(why.status().code(),
                          absl::StrCat("model: ", why.status().message()));
    }
    s.explained = *std::move(why);
  }
  s.totals.resize(s.matrix.num_rows());
  internal::ParallelFor(s.totals.size(), options.threads,
                        [&](size_t from, size_t to) {
                          for (size_t r = from; r < to; ++r) {
                            s.totals[r] = scorer.Total(s.matrix.row(r));
                          }
                        });
  return s;
}

Evaluated Assessor::Impl::Evaluate(const Dataset& dataset, UnixSeconds as_of,
                                   const Scored& s,
                                   const v1::ColourCutoffs& cutoffs,
                                   const AssessOptions& options,
                                   AssessResult result) const {
  absl::flat_hash_map<std::string, double> previous_score;
  if (options.previous != nullptr) {
    for (const v1::CustomerAssessment& c : options.previous->customers()) {
      previous_score[c.customer_id()] = c.score();
    }
  }
  AlertHistoryIndex history_index;
  if (options.history != nullptr) {
    history_index = AlertHistoryIndex(*options.history);
  }

  const size_t rows = s.matrix.num_rows();
  Evaluated e(std::move(result));
  google::protobuf::Arena* arena = e.result.arena();
  google::protobuf::RepeatedPtrField<v1::CustomerAssessment>& out =
      *e.result.mutable_assessment()->mutable_customers();
  out.Reserve(static_cast<int>(rows));
  for (size_t r = 0; r < rows; ++r) out.Add();
  e.pending.resize(rows);
  e.touched.resize(rows, nullptr);
  // Churn probability of each customer not churned yet (NaN otherwise).
  std::vector<double> risk(rows, std::numeric_limits<double>::quiet_NaN());
  const double score_range = scorer.max_total() - scorer.min_total();
  internal::ParallelFor(rows, options.threads, [&](size_t from, size_t to) {
    for (size_t r = from; r < to; ++r) {
      const CustomerIndex c = s.customer_of[r];
      const absl::Span<const double> row = s.matrix.row(r);
      const double total = s.totals[r];
      const v1::Colour colour = ColourUnder(cutoffs, total);
      v1::CustomerAssessment& a = *out.Mutable(static_cast<int>(r));
      a.set_customer_id(s.matrix.customer_ids[r]);
      a.set_score(total);
      a.set_colour(colour);
      if (options.model != nullptr) {
        const v1::Explanation& x = s.explained.rows(static_cast<int>(r));
        a.set_churn_probability(x.probability());
        *a.mutable_churn_reasons() = x.risk();
      } else {
        a.set_churn_probability(std::numeric_limits<double>::quiet_NaN());
      }
      scorer.ScoreInto(row, a.mutable_dimensions());
      auto prev = previous_score.find(a.customer_id());
      a.set_score_change(prev == previous_score.end()
                             ? std::numeric_limits<double>::quiet_NaN()
                             : total - prev->second);
      const ChurnLabel& label = s.labels[c];
      a.set_churned(label.churned);
      Pending& p = e.pending[r];
      if (!label.churned) {
        // The model's probability, else the health score's place in its
        // range.
        double& probability = risk[r];
        probability = a.churn_probability();
        if (std::isnan(probability)) {
          probability =
              score_range > 0
                  ? std::clamp((scorer.max_total() - total) / score_range, 0.0,
                               1.0)
                  : 1.0;
        }
        RuleOutcome fired(arena);
        rules.Evaluate({&dataset, c, row, total, colour, as_of},
                       options.history != nullptr ? &history_index : nullptr,
                       &fired, /*task_text=*/false);
        if (!fired.history.empty()) {
          e.touched[r] = OnArena<v1::AlertHistory::Entry>(arena);
          e.touched[r]->Swap(&fired.history);
        }
        if (!fired.alerts.empty()) {
          p.alert = google::protobuf::Arena::CreateMessage<v1::Alert>(arena);
          p.rule_tasks = OnArena<v1::Task>(arena);
          Consolidate(fired, p.alert, p.rule_tasks);
          p.reasons = p.alert->reasons_size();
          // Refunds or no record: nothing at stake, never NaN.
          double value = internal::RevenueOf(dataset, c, this->value, as_of);
          if (!(std::isfinite(value) && value > 0)) value = 0;
          p.alert->set_value(value);
          p.alert->set_churn_probability(probability);
          p.alert->set_expected_revenue_at_risk(value * probability);
        }
      }
      // The care tasks; Finish puts the alert's tasks before them.
      care.Plan({&dataset, c, row, total, colour, &label, as_of}, as_of,
                as_of + horizon, a.mutable_tasks());
    }
  });

  // What the run-wide routing needs: the alerts, and the probabilities'
  // exact sum for the risk floor.
  v1::AlertCandidates& candidates = e.candidates;
  *candidates.mutable_colours() = cutoffs;
  candidates.set_model(options.model != nullptr);
  internal::ExactSum risk_sum;
  int64_t at_risk = 0;
  for (double p : risk) {
    if (!std::isnan(p)) risk_sum.Add(p), ++at_risk;
  }
  for (double partial : risk_sum.partials()) {
    candidates.add_churn_probability_sum(partial);
  }
  candidates.set_at_risk(at_risk);
  for (size_t r = 0; r < rows; ++r) {
    const v1::Alert* alert = e.pending[r].alert;
    if (alert == nullptr) continue;
    e.candidate_rows.push_back(r);
    v1::AlertCandidates::Candidate* c = candidates.add_candidates();
    c->set_customer_id(out.Get(static_cast<int>(r)).customer_id());
    const absl::string_view owner =
        dataset.str(dataset.customers().owner_id[s.customer_of[r]]);
    c->set_owner_id(owner.data(), owner.size());
    c->set_expected_revenue_at_risk(alert->expected_revenue_at_risk());
    c->set_churn_probability(alert->churn_probability());
  }
  return e;
}

absl::StatusOr<std::vector<v1::AlertPlan>> Assessor::Impl::Route(
    absl::Span<const v1::AlertCandidates> parts) const {
  using Candidate = v1::AlertCandidates::Candidate;
  if (parts.empty()) {
    return absl::InvalidArgumentError(
        "candidates: none given (one AlertCandidates per partition)");
  }
  const v1::AlertCandidates& first = parts.front();
  internal::ExactSum risk_sum;
  int64_t at_risk = 0;
  struct Ref {
    const Candidate* c;
    size_t part;
    int index;
  };
  std::vector<Ref> all;
  absl::flat_hash_map<absl::string_view, size_t> part_of;
  for (size_t i = 0; i < parts.size(); ++i) {
    const v1::AlertCandidates& p = parts[i];
    const std::string name = absl::StrCat("candidates[", i, "]");
    if (p.colours().green_min() != first.colours().green_min() ||
        p.colours().yellow_min() != first.colours().yellow_min()) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ".colours: not candidates[0]'s; every partition must be ",
          "assessed under the run's colour cut-offs"));
    }
    if (p.model() != first.model()) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ".model: assessed ", p.model() ? "with" : "without",
          " a model, candidates[0] ", first.model() ? "with" : "without"));
    }
    if (p.at_risk() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ".at_risk: negative (", p.at_risk(), ")"));
    }
    if (absl::Status s = AddCount(p.at_risk(), &at_risk, name + ".at_risk");
        !s.ok()) {
      return s;
    }
    for (double partial : p.churn_probability_sum()) {
      if (!std::isfinite(partial)) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ".churn_probability_sum: not finite"));
      }
      risk_sum.Add(partial);
    }
    for (int j = 0; j < p.candidates_size(); ++j) {
      const Candidate& c = p.candidates(j);
      if (!std::isfinite(c.expected_revenue_at_risk()) ||
          !std::isfinite(c.churn_probability())) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ".candidates[", j, "]: figures must be finite"));
      }
      auto [it, added] = part_of.try_emplace(c.customer_id(), i);
      if (!added) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ".candidates[", j, "]: customer '",
                         c.customer_id(), "' is in candidates[", it->second,
                         "] too; partitions must not share customers"));
      }
      all.push_back({&c, i, j});
    }
  }
  if (all.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return absl::OutOfRangeError("candidates: more alerts than ranks fit");
  }
  // Low risk gets automated care whatever the value (domain.md §7). Only a
  // model's probabilities average to a churn rate; the proxy's mean is no
  // reference.
  const double risk_floor =
      !first.model() || at_risk == 0
          ? 0
          : min_relative_risk * risk_sum.Value() / static_cast<double>(at_risk);

  // Highest expected revenue at risk first; each owner is alerted about
  // the first `capacity` of theirs above the risk floor, the rest go to
  // automated care.
  std::sort(all.begin(), all.end(), [](const Ref& x, const Ref& y) {
    const Candidate &cx = *x.c, &cy = *y.c;
    if (cx.expected_revenue_at_risk() != cy.expected_revenue_at_risk()) {
      return cx.expected_revenue_at_risk() > cy.expected_revenue_at_risk();
    }
    if (cx.churn_probability() != cy.churn_probability()) {
      return cx.churn_probability() > cy.churn_probability();
    }
    return cx.customer_id() < cy.customer_id();
  });
  std::vector<v1::AlertPlan> plans(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    v1::AlertPlan& plan = plans[i];
    *plan.mutable_colours() = first.colours();
    plan.set_risk_floor(risk_floor);
    plan.set_capacity_per_owner(capacity);
    plan.mutable_ranks()->Resize(parts[i].candidates_size(), 0);
    plan.mutable_alerted()->Resize(parts[i].candidates_size(), false);
    plan.set_fingerprint(Fingerprint(parts[i]));
  }
  absl::flat_hash_map<absl::string_view, int64_t> alerted_of;
  for (size_t k = 0; k < all.size(); ++k) {
    const Ref& ref = all[k];
    v1::AlertPlan& plan = plans[ref.part];
    plan.set_ranks(ref.index, static_cast<int32_t>(k + 1));
    int64_t& alerted = alerted_of[ref.c->owner_id()];
    const bool below_floor = ref.c->churn_probability() < risk_floor;
    if (!below_floor && alerted < capacity) {
      ++alerted;
      plan.set_alerted(ref.index, true);
    }
  }
  return plans;
}

absl::StatusOr<AssessResult> Assessor::Impl::Finish(
    const Dataset& dataset, UnixSeconds as_of, Scored& s, Evaluated& e,
    const v1::AlertPlan& plan, const AssessOptions& options) const {
  const v1::AlertCandidates& candidates = e.candidates;
  const int n = candidates.candidates_size();
  if (plan.ranks_size() != n || plan.alerted_size() != n ||
      plan.fingerprint() != Fingerprint(candidates)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "plan: routes ", plan.ranks_size(), " other candidates than the ", n,
        " of these customers; route their own AlertCandidates (the same "
        "as_of, config, model and cut-offs)"));
  }
  if (plan.capacity_per_owner() != capacity) {
    return absl::InvalidArgumentError(absl::StrCat(
        "plan.capacity_per_owner: ", plan.capacity_per_owner(),
        ", but this config's is ", capacity, "; route with the same config"));
  }
  if (!(std::isfinite(plan.risk_floor()) && plan.risk_floor() >= 0)) {
    return absl::InvalidArgumentError(
        "plan.risk_floor: must be finite and >= 0");
  }
  v1::AlertSummary summary;
  summary.set_capacity_per_owner(capacity);
  summary.set_risk_floor(plan.risk_floor());
  std::map<std::string, v1::AlertSummary::Owner> owners;
  AssessResult& result = e.result;
  google::protobuf::RepeatedPtrField<v1::CustomerAssessment>& customers =
      *result.mutable_assessment()->mutable_customers();
  // The counts first, in candidate order; then each candidate's messages,
  // which touch only that customer's, in parallel.
  for (int k = 0; k < n; ++k) {
    const v1::AlertCandidates::Candidate& candidate = candidates.candidates(k);
    summary.set_reasons(summary.reasons() +
                        e.pending[e.candidate_rows[k]].reasons);
    const auto [at, first] = owners.try_emplace(candidate.owner_id());
    v1::AlertSummary::Owner& o = at->second;
    if (first) o.set_owner_id(candidate.owner_id());
    if (plan.alerted(k)) {
      o.set_alerted(o.alerted() + 1);
      summary.set_alerts(summary.alerts() + 1);
    } else {
      o.set_routed_to_automated_care(o.routed_to_automated_care() + 1);
      summary.set_routed_to_automated_care(summary.routed_to_automated_care() +
                                           1);
      summary.set_routed_below_risk_floor(
          summary.routed_below_risk_floor() +
          (candidate.churn_probability() < plan.risk_floor()));
    }
  }
  std::vector<absl::Status> failed(n);
  internal::ParallelFor(n, options.threads, [&](size_t from, size_t to) {
    for (size_t k = from; k < to; ++k) {
      const size_t r = e.candidate_rows[k];
      const CustomerIndex c = s.customer_of[r];
      v1::Alert& alert = *e.pending[r].alert;
      v1::CustomerAssessment& a = *customers.Mutable(static_cast<int>(r));
      google::protobuf::RepeatedPtrField<v1::Task>& tasks = *a.mutable_tasks();
      const int care_tasks = tasks.size();
      alert.set_rank(plan.ranks(static_cast<int>(k)));
      if (plan.alerted(static_cast<int>(k))) {
        // The text of the alert's tasks, written only now that they are
        // kept: most alerts of a large run go to automated care instead.
        google::protobuf::RepeatedPtrField<v1::Task>& rule_tasks =
            *e.pending[r].rule_tasks;
        for (v1::Task& task : rule_tasks) {
          const auto reason = absl::c_find_if(
              alert.reasons(),
              [&](const v1::Alert& x) { return x.rule() == task.source(); });
          failed[k] = rules.WriteTaskText(
              {&dataset, c, s.matrix.row(r), a.score(), a.colour(), as_of},
              reason->level(), &task);
          if (!failed[k].ok()) break;  // a task these rules did not make
        }
        if (!failed[k].ok()) continue;
        MoveAll(rule_tasks, &tasks);
        a.mutable_alerts()->AddAllocated(&alert);
      } else {
        const internal::TemplateContext ctx{&dataset,        c,
                                            s.matrix.row(r), a.score(),
                                            a.colour(),      alert.rule(),
                                            alert.level()};
        overflow_task.Make(ctx,
                           as_of + int64_t{overflow_task.due_in_days()} * kDay,
                           alert.rule(), false, tasks.Add());
        a.set_allocated_routed_alert(&alert);
      }
      e.pending[r].alert = nullptr;  // the customer's now
      // The alert's tasks first, then the care tasks.
      std::rotate(tasks.pointer_begin(), tasks.pointer_begin() + care_tasks,
                  tasks.pointer_end());
    }
  });
  for (const absl::Status& st : failed) {
    if (!st.ok()) return st;
  }
  for (auto& [id, o] : owners) *summary.add_owners() = std::move(o);

  v1::Assessment& assessment = *result.mutable_assessment();
  assessment.mutable_as_of()->set_seconds(as_of);
  *assessment.mutable_colours() = plan.colours();
  *assessment.mutable_alert_summary() = std::move(summary);
  // History: earlier entries, replaced by this run's updates, plus new ones.
  // Without earlier entries, each of this run's is new: one per customer
  // and rule.
  google::protobuf::RepeatedPtrField<v1::AlertHistory::Entry>& history =
      *result.mutable_history()->mutable_entries();
  if (options.history == nullptr) {
    for (auto* entries : e.touched) {
      if (entries != nullptr) MoveAll(*entries, &history);
    }
  } else {
    absl::flat_hash_map<std::string, size_t> at;
    auto key = [](const v1::AlertHistory::Entry& entry) {
      return absl::StrCat(entry.customer_id().size(), ":", entry.customer_id(),
                          entry.rule());
    };
    for (const v1::AlertHistory::Entry& entry : options.history->entries()) {
      at[key(entry)] = history.size();
      *history.Add() = entry;
    }
    for (auto* entries : e.touched) {
      if (entries == nullptr) continue;
      for (v1::AlertHistory::Entry& entry : *entries) {
        auto it = at.find(key(entry));
        if (it != at.end()) {
          history.Mutable(static_cast<int>(it->second))->Swap(&entry);
        } else {
          at[key(entry)] = history.size();
          history.Add()->Swap(&entry);
        }
      }
    }
  }
  *result.mutable_features() = std::move(s.matrix);
  return std::move(result);
}

absl::StatusOr<AssessResult> Assessor::Assess(
    const Dataset& dataset, UnixSeconds as_of,
    const AssessOptions& options) const {
  const Impl& m = *impl_;
  absl::StatusOr<Scored> s = m.Score(dataset, as_of, options);
  if (!s.ok()) return s.status();
  Evaluated e = m.Evaluate(
      dataset, as_of, *s,
      RunCutoffs(m.scorer.scorecard().colours(), m.red_share, ActiveTotals(*s)),
      options, options.arena ? AssessResult() : AssessResult::OnHeap());
  absl::StatusOr<std::vector<v1::AlertPlan>> plans =
      m.Route(absl::MakeConstSpan(&e.candidates, 1));
  if (!plans.ok()) return plans.status();
  return m.Finish(dataset, as_of, *s, e, plans->front(), options);
}

absl::StatusOr<CustomerAssessResult> Assessor::AssessCustomer(
    const Dataset& dataset, absl::string_view customer_id,
    absl::Span<const EventInput> added, UnixSeconds as_of,
    const v1::ColourCutoffs& colours, const AssessOptions& options) const {
  const Impl& m = *impl_;
  const std::optional<CustomerIndex> c = dataset.FindCustomer(customer_id);
  if (!c.has_value()) {
    return absl::NotFoundError(absl::StrCat("customer_id: no customer '",
                                            internal::ToValidUtf8(customer_id),
                                            "' in the data set"));
  }
  const bool run_colours = colours.ByteSizeLong() > 0;
  if (!run_colours && m.red_share > 0) {
    return absl::InvalidArgumentError(
        "colours: required under red_share (the cut-offs depend on every "
        "customer): pass the last run's Assessment.colours");
  }
  // Each thread keeps the slice and the feature matrix of its last call,
  // so that their columns (and the ~100 column names) are not allocated
  // again per customer. The slice is cleared on return so that it does not
  // keep the data set's strings alive.
  thread_local Dataset slice_buffers;
  thread_local FeatureMatrix buffers;
  Dataset* slice = &slice_buffers;
  absl::Cleanup clear_slice = [slice] { slice->Clear(); };
  if (absl::Status st = dataset.CustomerSlice(*c, added, {}, slice); !st.ok()) {
    return st;
  }
  AssessOptions one = options;
  one.threads = 1;
  absl::StatusOr<Scored> s = m.Score(*slice, as_of, one, std::move(buffers));
  if (!s.ok()) return s.status();
  if (s->customer_of.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("customer_id: '", internal::ToValidUtf8(customer_id),
                     "' signed up on or after as_of ", FormatTime(as_of)));
  }
  const v1::ColourCutoffs& cutoffs =
      run_colours ? colours : m.scorer.scorecard().colours();
  // One customer's messages fit in a block each thread keeps: the arena
  // allocates nothing (the result is gone before the thread's next call).
  alignas(std::max_align_t) thread_local char block[16 << 10];
  Evaluated e = m.Evaluate(*slice, as_of, *s, cutoffs, one,
                           AssessResult(block, sizeof block));
  v1::AlertPlan plan;
  *plan.mutable_colours() = cutoffs;
  plan.set_capacity_per_owner(m.capacity);
  for (int k = 0; k < e.candidates.candidates_size(); ++k) {
    plan.add_ranks(0);
    plan.add_alerted(true);
  }
  plan.set_fingerprint(Fingerprint(e.candidates));
  absl::StatusOr<AssessResult> r = m.Finish(*slice, as_of, *s, e, plan, one);
  if (!r.ok()) return r.status();
  CustomerAssessResult out;
  out.assessment = r->assessment().customers(0);
  out.history = r->history();
  buffers = std::move(*r->mutable_features());
  return out;
}

absl::StatusOr<v1::HealthTotals> Assessor::Totals(const Dataset& dataset,
                                                  UnixSeconds as_of,
                                                  int threads) const {
  AssessOptions options;
  options.threads = threads;
  absl::StatusOr<Scored> s = impl_->Score(dataset, as_of, options);
  if (!s.ok()) return s.status();
  return ActiveTotals(*s);
}

absl::StatusOr<v1::ColourCutoffs> Assessor::Cutoffs(
    absl::Span<const v1::HealthTotals> totals) const {
  std::map<double, int64_t> merged;
  int64_t customers = 0;
  for (size_t i = 0; i < totals.size(); ++i) {
    const v1::HealthTotals& t = totals[i];
    const std::string name = absl::StrCat("totals[", i, "]");
    if (t.totals_size() != t.counts_size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": ", t.totals_size(), " totals but ",
                       t.counts_size(), " counts"));
    }
    for (int j = 0; j < t.totals_size(); ++j) {
      if (!std::isfinite(t.totals(j)) ||
          (j > 0 && !(t.totals(j - 1) < t.totals(j))) || t.counts(j) <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ".totals[", j,
                         "]: totals must be finite and ascending, counts > 0"));
      }
      if (absl::Status s = AddCount(t.counts(j), &customers, name); !s.ok()) {
        return s;
      }
      merged[t.totals(j)] += t.counts(j);
    }
  }
  v1::HealthTotals all;
  for (const auto& [total, count] : merged) {
    all.add_totals(total);
    all.add_counts(count);
  }
  return RunCutoffs(impl_->scorer.scorecard().colours(), impl_->red_share, all);
}

absl::StatusOr<v1::AlertCandidates> Assessor::Candidates(
    const Dataset& dataset, UnixSeconds as_of, const v1::ColourCutoffs& colours,
    const AssessOptions& options) const {
  absl::StatusOr<Scored> s = impl_->Score(dataset, as_of, options);
  if (!s.ok()) return s.status();
  return std::move(
      impl_->Evaluate(dataset, as_of, *s, colours, options, AssessResult())
          .candidates);
}

absl::StatusOr<std::vector<v1::AlertPlan>> Assessor::Route(
    absl::Span<const v1::AlertCandidates> candidates) const {
  return impl_->Route(candidates);
}

absl::StatusOr<AssessResult> Assessor::AssessPartition(
    const Dataset& dataset, UnixSeconds as_of, const v1::AlertPlan& plan,
    const AssessOptions& options) const {
  absl::StatusOr<Scored> s = impl_->Score(dataset, as_of, options);
  if (!s.ok()) return s.status();
  Evaluated e =
      impl_->Evaluate(dataset, as_of, *s, plan.colours(), options,
                      options.arena ? AssessResult() : AssessResult::OnHeap());
  return impl_->Finish(dataset, as_of, *s, e, plan, options);
}

absl::StatusOr<v1::AlertSummary> MergeAlertSummaries(
    absl::Span<const v1::AlertSummary> parts) {
  if (parts.empty()) {
    return absl::InvalidArgumentError("summaries: none given");
  }
  const v1::AlertSummary& first = parts.front();
  v1::AlertSummary out;
  out.set_capacity_per_owner(first.capacity_per_owner());
  out.set_risk_floor(first.risk_floor());
  std::map<std::string, v1::AlertSummary::Owner> owners;
  for (size_t i = 0; i < parts.size(); ++i) {
    const v1::AlertSummary& p = parts[i];
    const std::string name = absl::StrCat("summaries[", i, "]");
    if (absl::Status s = CheckCounts(p, name); !s.ok()) return s;
    if (p.capacity_per_owner() != first.capacity_per_owner() ||
        p.risk_floor() != first.risk_floor()) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": of another run (capacity_per_owner ", p.capacity_per_owner(),
          ", risk_floor ", p.risk_floor(), "; summaries[0]: ",
          first.capacity_per_owner(), ", ", first.risk_floor(), ")"));
    }
    int64_t alerts = out.alerts(), reasons = out.reasons(),
            routed = out.routed_to_automated_care(),
            below = out.routed_below_risk_floor();
    for (absl::Status s : {AddCount(p.alerts(), &alerts, name + ".alerts"),
                           AddCount(p.reasons(), &reasons, name + ".reasons"),
                           AddCount(p.routed_to_automated_care(), &routed,
                                    name + ".routed_to_automated_care"),
                           AddCount(p.routed_below_risk_floor(), &below,
                                    name + ".routed_below_risk_floor")}) {
      if (!s.ok()) return s;
    }
    out.set_alerts(alerts);
    out.set_reasons(reasons);
    out.set_routed_to_automated_care(routed);
    out.set_routed_below_risk_floor(below);
    for (const v1::AlertSummary::Owner& o : p.owners()) {
      v1::AlertSummary::Owner& m = owners[o.owner_id()];
      m.set_owner_id(o.owner_id());
      int64_t alerted = m.alerted(),
              owner_routed = m.routed_to_automated_care();
      for (absl::Status s : {AddCount(o.alerted(), &alerted, name + ".owners"),
                             AddCount(o.routed_to_automated_care(),
                                      &owner_routed, name + ".owners")}) {
        if (!s.ok()) return s;
      }
      m.set_alerted(alerted);
      m.set_routed_to_automated_care(owner_routed);
    }
  }
  for (auto& [id, o] : owners) *out.add_owners() = std::move(o);
  return out;
}

absl::StatusOr<v1::Backtest> Assessor::Backtest(const Dataset& dataset,
                                                UnixSeconds as_of,
                                                int horizon_days,
                                                int threads) const {
  const Impl& m = *impl_;
  if (horizon_days <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "backtest horizon_days: must be > 0 (is ", horizon_days, ")"));
  }
  if (dataset.last_event_time() == kNoTime) {
    return absl::InvalidArgumentError(
        "backtest: the data set has no events, so no history to test on");
  }
  // Churn is known up to the day after the last event.
  const UnixSeconds to =
      std::min(as_of, internal::NextMidnight(dataset.last_event_time()));
  const UnixSeconds from = to - int64_t{horizon_days} * kDay;
  const UnixSeconds first = dataset.first_event_time();
  if (from < first) {
    return absl::InvalidArgumentError(absl::StrCat(
        "backtest horizon_days: ", horizon_days,
        " days is longer than the history (the window would start at ",
        FormatTime(from), ", before the first event on ", FormatTime(first),
        "); at most ", (to - first) / kDay, " days up to ", FormatTime(to)));
  }
  ComputeOptions compute;
  compute.threads = threads;
  const UnixSeconds dates[] = {from};
  absl::StatusOr<TrainingPanel> panel = BuildTrainingPanel(
      dataset, m.features, m.labeler, dates, horizon_days, compute);
  if (!panel.ok()) {
    return absl::Status(panel.status().code(),
                        absl::StrCat("backtest: ", panel.status().message()));
  }
  const size_t n = panel->features.num_rows();
  std::vector<double> totals(n), risk(n);
  for (size_t i = 0; i < n; ++i) {
    totals[i] = m.scorer.Total(panel->features.row(i));
    risk[i] = -totals[i];
  }
  v1::Backtest out;
  out.mutable_from()->set_seconds(from);
  out.mutable_to()->set_seconds(to);
  out.set_horizon_days(horizon_days);
  *out.mutable_cutoffs() =
      RunCutoffs(m.scorer.scorecard().colours(), m.red_share, TotalsOf(totals));
  int64_t churned = 0;
  int64_t rows[4] = {0, 0, 0, 0}, events[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < n; ++i) {
    const v1::Colour c = ColourUnder(out.cutoffs(), totals[i]);
    ++rows[c];
    events[c] += panel->labels[i];
    churned += panel->labels[i];
  }
  out.set_customers(static_cast<int64_t>(n));
  out.set_churned(churned);
  for (v1::Colour c : {v1::GREEN, v1::YELLOW, v1::RED}) {
    v1::Backtest::ByColour* b = out.add_colours();
    b->set_colour(c);
    b->set_customers(rows[c]);
    b->set_churned(events[c]);
    b->set_churn_rate(rows[c] > 0 ? static_cast<double>(events[c]) /
                                        static_cast<double>(rows[c])
                                  : 0.0);
  }
  if (churned == 0 || churned == static_cast<int64_t>(n)) {
    out.set_note(
        absl::StrCat(n == 0 ? "no customer was active at the window's start"
                     : churned == 0 ? "no customer churned in the window"
                                    : "every customer churned in the window",
                     ", so the score's AUC is undefined (left unset)"));
  } else {
    absl::StatusOr<double> auc = RocAuc(panel->labels, risk);
    if (!auc.ok()) return auc.status();
    out.set_auc(*auc);
  }
  return out;
}

}  // namespace churnkit
