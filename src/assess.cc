#include "churnkit/assess.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "churnkit/careplan.h"
#include "churnkit/health.h"
#include "churnkit/labels.h"
#include "churnkit/metrics.h"
#include "churnkit/model.h"
#include "churnkit/rules.h"
#include "internal/parallel.h"
#include "internal/revenue.h"
#include "internal/template.h"
#include "internal/time.h"

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

// The rules that fired for one customer as one alert: its reasons most
// severe first (rule order among equals), and their tasks one per type:
// the most severe rule's, with the highest priority and earliest due date
// of its type.
void Consolidate(RuleOutcome& fired, v1::Alert* alert,
                 std::vector<v1::Task>* tasks) {
  std::stable_sort(fired.alerts.begin(), fired.alerts.end(),
                   [](const v1::Alert& x, const v1::Alert& y) {
                     return x.level() > y.level();
                   });
  const v1::Alert& lead = fired.alerts.front();
  alert->set_rule(lead.rule());
  alert->set_level(lead.level());
  alert->set_message(lead.message());
  *alert->mutable_first_fired() = lead.first_fired();
  absl::flat_hash_map<std::string, int> severity_order;
  for (const v1::Alert& reason : fired.alerts) {
    severity_order.try_emplace(reason.rule(), severity_order.size());
    if (reason.first_fired().seconds() < alert->first_fired().seconds()) {
      *alert->mutable_first_fired() = reason.first_fired();
    }
    alert->set_escalated(alert->escalated() || reason.escalated());
  }
  std::stable_sort(fired.tasks.begin(), fired.tasks.end(),
                   [&](const v1::Task& x, const v1::Task& y) {
                     return severity_order.at(x.source()) <
                            severity_order.at(y.source());
                   });
  absl::flat_hash_map<std::string, size_t> kept_of_type;
  for (v1::Task& task : fired.tasks) {
    auto [it, added] = kept_of_type.try_emplace(task.type(), tasks->size());
    if (added) {
      tasks->push_back(std::move(task));
      continue;
    }
    v1::Task& kept = (*tasks)[it->second];
    kept.set_priority(std::max(kept.priority(), task.priority()));
    if (task.due().seconds() < kept.due().seconds()) {
      *kept.mutable_due() = task.due();
    }
  }
  for (v1::Alert& reason : fired.alerts) {
    *alert->add_reasons() = std::move(reason);
  }
}

// One customer's outcome before owners' capacity decides where it goes.
struct Pending {
  v1::Alert alert;  // consolidated; no reasons when no rule fired
  std::vector<v1::Task> rule_tasks;
  std::vector<v1::Task> care_tasks;
};

// The colour cut-offs of a run: the scorecard's, or with `red_share` (> 0)
// RED for the totals below the one at rank floor(red_share x n) from the
// lowest of `totals` (AssessmentConfig.red_share).
v1::ColourCutoffs RunCutoffs(const v1::ColourCutoffs& card, double red_share,
                             std::vector<double> totals) {
  v1::ColourCutoffs c = card;
  if (!(red_share > 0) || totals.empty()) return c;
  const size_t k = static_cast<size_t>(
      std::floor(red_share * static_cast<double>(totals.size())));
  std::nth_element(totals.begin(), totals.begin() + static_cast<ptrdiff_t>(k),
                   totals.end());
  const double cut = totals[k];
  c.set_yellow_min(cut);
  c.set_green_min(std::max(c.green_min(), cut));
  return c;
}

}  // namespace

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

absl::StatusOr<AssessResult> Assessor::Assess(
    const Dataset& dataset, UnixSeconds as_of,
    const AssessOptions& options) const {
  const Impl& m = *impl_;
  ComputeOptions compute;
  compute.threads = options.threads;
  const std::vector<CustomerIndex> customer_of = CustomersAt(dataset, as_of);
  absl::StatusOr<FeatureMatrix> matrix =
      m.features.ComputeFor(dataset, customer_of, as_of, compute);
  if (!matrix.ok()) return matrix.status();
  absl::StatusOr<std::vector<ChurnLabel>> labels =
      m.labeler.Label(dataset, as_of, options.threads);
  if (!labels.ok()) return labels.status();

  // The model's view of each row: probability and strongest risk reasons.
  v1::Explanations explained;
  if (options.model != nullptr) {
    if (options.model_reasons < 0) {
      return absl::InvalidArgumentError("model_reasons: must be >= 0");
    }
    const std::vector<std::string> names(options.model->feature_names().begin(),
                                         options.model->feature_names().end());
    absl::StatusOr<FeatureMatrix> model_columns = SelectColumns(*matrix, names);
    if (!model_columns.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("model: the assessment's features have ",
                       model_columns.status().message()));
    }
    absl::StatusOr<v1::Explanations> why = Explain(
        *options.model, MatrixView::Of(*model_columns),
        {.top_k = options.model_reasons, .feature_set = &m.feature_set});
    if (!why.ok()) {
      return absl::Status(why.status().code(),
                          absl::StrCat("model: ", why.status().message()));
    }
    explained = *std::move(why);
  }

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

  const size_t rows = matrix->num_rows();
  std::vector<v1::CustomerAssessment> out(rows);
  std::vector<Pending> pending(rows);
  std::vector<std::vector<v1::AlertHistory::Entry>> touched(rows);
  // Churn probability of each customer not churned yet (NaN otherwise).
  std::vector<double> risk(rows, std::numeric_limits<double>::quiet_NaN());
  const double score_range = m.scorer.max_total() - m.scorer.min_total();
  // Scores first: with red_share the colours depend on the whole run.
  std::vector<HealthScore> healths(rows);
  internal::ParallelFor(rows, options.threads, [&](size_t from, size_t to) {
    for (size_t r = from; r < to; ++r)
      healths[r] = m.scorer.Score(matrix->row(r));
  });
  std::vector<double> active_totals;
  for (size_t r = 0; r < rows; ++r) {
    if (!(*labels)[customer_of[r]].churned) {
      active_totals.push_back(healths[r].total);
    }
  }
  const v1::ColourCutoffs cutoffs = RunCutoffs(
      m.scorer.scorecard().colours(), m.red_share, std::move(active_totals));
  internal::ParallelFor(rows, options.threads, [&](size_t from, size_t to) {
    for (size_t r = from; r < to; ++r) {
      const CustomerIndex c = customer_of[r];
      const absl::Span<const double> row = matrix->row(r);
      HealthScore& health = healths[r];
      health.colour = ColourUnder(cutoffs, health.total);
      v1::CustomerAssessment& a = out[r];
      a.set_customer_id(matrix->customer_ids[r]);
      a.set_score(health.total);
      a.set_colour(health.colour);
      if (options.model != nullptr) {
        const v1::Explanation& e = explained.rows(static_cast<int>(r));
        a.set_churn_probability(e.probability());
        *a.mutable_churn_reasons() = e.risk();
      } else {
        a.set_churn_probability(std::numeric_limits<double>::quiet_NaN());
      }
      for (const DimensionResult& d : health.dimensions) {
        v1::DimensionScore* ds = a.add_dimensions();
        ds->set_name(d.name);
        ds->set_points(d.points);
        ds->set_label(d.label);
        for (const auto& [feature, value] : d.values) {
          v1::FeatureValue* fv = ds->add_values();
          fv->set_feature(feature);
          fv->set_value(value);
        }
      }
      auto prev = previous_score.find(a.customer_id());
      a.set_score_change(prev == previous_score.end()
                             ? std::numeric_limits<double>::quiet_NaN()
                             : health.total - prev->second);
      const ChurnLabel& label = (*labels)[c];
      a.set_churned(label.churned);
      Pending& p = pending[r];
      if (!label.churned) {
        // The model's probability, else the health score's place in its
        // range.
        double& probability = risk[r];
        probability = a.churn_probability();
        if (std::isnan(probability)) {
          probability = score_range > 0
                            ? std::clamp((m.scorer.max_total() - health.total) /
                                             score_range,
                                         0.0, 1.0)
                            : 1.0;
        }
        RuleOutcome fired = m.rules.Evaluate(
            {&dataset, c, row, health.total, health.colour, as_of},
            options.history != nullptr ? &history_index : nullptr);
        touched[r] = std::move(fired.history);
        if (!fired.alerts.empty()) {
          Consolidate(fired, &p.alert, &p.rule_tasks);
          // Refunds or no record: nothing at stake, never NaN.
          double value = internal::RevenueOf(dataset, c, m.value, as_of);
          if (!(std::isfinite(value) && value > 0)) value = 0;
          p.alert.set_value(value);
          p.alert.set_churn_probability(probability);
          p.alert.set_expected_revenue_at_risk(value * probability);
        }
      }
      p.care_tasks = m.care.Plan(
          {&dataset, c, row, health.total, health.colour, &label, as_of}, as_of,
          as_of + m.horizon);
    }
  });

  // Low risk gets automated care whatever the value (domain.md §7). Only a
  // model's probabilities average to a churn rate; the proxy's mean is no
  // reference.
  double risk_sum = 0;
  int64_t at_risk = 0;
  for (double p : risk) {
    if (!std::isnan(p)) risk_sum += p, ++at_risk;
  }
  const double risk_floor = options.model == nullptr || at_risk == 0
                                ? 0
                                : m.min_relative_risk * risk_sum / at_risk;

  // Highest expected revenue at risk first; each owner is alerted about
  // the first `capacity` of theirs above the risk floor, the rest go to
  // automated care.
  std::vector<size_t> ranked;
  for (size_t r = 0; r < rows; ++r) {
    if (pending[r].alert.reasons_size() > 0) ranked.push_back(r);
  }
  std::sort(ranked.begin(), ranked.end(), [&](size_t x, size_t y) {
    const v1::Alert& ax = pending[x].alert;
    const v1::Alert& ay = pending[y].alert;
    if (ax.expected_revenue_at_risk() != ay.expected_revenue_at_risk()) {
      return ax.expected_revenue_at_risk() > ay.expected_revenue_at_risk();
    }
    if (ax.churn_probability() != ay.churn_probability()) {
      return ax.churn_probability() > ay.churn_probability();
    }
    return out[x].customer_id() < out[y].customer_id();
  });
  v1::AlertSummary summary;
  summary.set_capacity_per_owner(m.capacity);
  summary.set_risk_floor(risk_floor);
  std::map<std::string, v1::AlertSummary::Owner> owners;
  for (size_t i = 0; i < ranked.size(); ++i) {
    const size_t r = ranked[i];
    const CustomerIndex c = customer_of[r];
    Pending& p = pending[r];
    v1::CustomerAssessment& a = out[r];
    p.alert.set_rank(static_cast<int32_t>(i + 1));
    summary.set_reasons(summary.reasons() + p.alert.reasons_size());
    const std::string owner(dataset.str(dataset.customers().owner_id[c]));
    v1::AlertSummary::Owner& o = owners[owner];
    o.set_owner_id(owner);
    const bool below_floor = p.alert.churn_probability() < risk_floor;
    if (!below_floor && o.alerted() < m.capacity) {
      o.set_alerted(o.alerted() + 1);
      summary.set_alerts(summary.alerts() + 1);
      for (v1::Task& task : p.rule_tasks) *a.add_tasks() = std::move(task);
      *a.add_alerts() = std::move(p.alert);
    } else {
      o.set_routed_to_automated_care(o.routed_to_automated_care() + 1);
      summary.set_routed_to_automated_care(summary.routed_to_automated_care() +
                                           1);
      summary.set_routed_below_risk_floor(summary.routed_below_risk_floor() +
                                          below_floor);
      const internal::TemplateContext ctx{&dataset,       c,
                                          matrix->row(r), a.score(),
                                          a.colour(),     p.alert.rule(),
                                          p.alert.level()};
      *a.add_tasks() = m.overflow_task.Make(
          ctx, as_of + int64_t{m.overflow_task.due_in_days()} * kDay,
          p.alert.rule(), false);
      *a.mutable_routed_alert() = std::move(p.alert);
    }
  }
  for (auto& [id, o] : owners) *summary.add_owners() = std::move(o);
  for (size_t r = 0; r < rows; ++r) {
    for (v1::Task& task : pending[r].care_tasks) {
      *out[r].add_tasks() = std::move(task);
    }
  }

  AssessResult result;
  result.assessment.mutable_as_of()->set_seconds(as_of);
  *result.assessment.mutable_colours() = cutoffs;
  *result.assessment.mutable_alert_summary() = std::move(summary);
  result.assessment.mutable_customers()->Reserve(rows);
  for (v1::CustomerAssessment& a : out) {
    *result.assessment.add_customers() = std::move(a);
  }
  // History: earlier entries, replaced by this run's updates, plus new ones.
  absl::flat_hash_map<std::string, size_t> at;
  auto key = [](const v1::AlertHistory::Entry& e) {
    return absl::StrCat(e.customer_id().size(), ":", e.customer_id(), e.rule());
  };
  if (options.history != nullptr) {
    for (const v1::AlertHistory::Entry& e : options.history->entries()) {
      at[key(e)] = result.history.entries_size();
      *result.history.add_entries() = e;
    }
  }
  for (auto& entries : touched) {
    for (v1::AlertHistory::Entry& e : entries) {
      auto it = at.find(key(e));
      if (it != at.end()) {
        *result.history.mutable_entries(static_cast<int>(it->second)) =
            std::move(e);
      } else {
        at[key(e)] = result.history.entries_size();
        *result.history.add_entries() = std::move(e);
      }
    }
  }
  result.features = *std::move(matrix);
  return result;
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
    totals[i] = m.scorer.Score(panel->features.row(i)).total;
    risk[i] = -totals[i];
  }
  v1::Backtest out;
  out.mutable_from()->set_seconds(from);
  out.mutable_to()->set_seconds(to);
  out.set_horizon_days(horizon_days);
  *out.mutable_cutoffs() =
      RunCutoffs(m.scorer.scorecard().colours(), m.red_share, totals);
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
