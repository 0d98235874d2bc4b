#include "churnkit/assess.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "churnkit/careplan.h"
#include "churnkit/health.h"
#include "churnkit/labels.h"
#include "churnkit/model.h"
#include "churnkit/rules.h"
#include "internal/parallel.h"

namespace churnkit {
namespace {

constexpr int64_t kDay = 86400;

// Prefixes a config error with the part it came from.
absl::Status InPart(absl::string_view part, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(part, ".", s.message()));
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
  return Assessor(std::make_unique<Impl>(
      Impl{*std::move(set), *std::move(features), *std::move(scorer),
           *std::move(rules), *std::move(care), *std::move(labeler),
           int64_t{horizon} * kDay}));
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
  std::vector<std::vector<v1::AlertHistory::Entry>> touched(rows);
  internal::ParallelFor(rows, options.threads, [&](size_t from, size_t to) {
    for (size_t r = from; r < to; ++r) {
      const CustomerIndex c = customer_of[r];
      const absl::Span<const double> row = matrix->row(r);
      const HealthScore health = m.scorer.Score(row);
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
      if (!label.churned) {
        RuleOutcome rules = m.rules.Evaluate(
            {&dataset, c, row, health.total, health.colour, as_of},
            options.history != nullptr ? &history_index : nullptr);
        for (v1::Alert& alert : rules.alerts)
          *a.add_alerts() = std::move(alert);
        for (v1::Task& task : rules.tasks) *a.add_tasks() = std::move(task);
        touched[r] = std::move(rules.history);
      }
      for (v1::Task& task : m.care.Plan(
               {&dataset, c, row, health.total, health.colour, &label, as_of},
               as_of, as_of + m.horizon)) {
        *a.add_tasks() = std::move(task);
      }
    }
  });

  AssessResult result;
  result.assessment.mutable_as_of()->set_seconds(as_of);
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

}  // namespace churnkit
