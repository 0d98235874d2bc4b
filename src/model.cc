#include "churnkit/model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "churnkit/io.h"
#include "churnkit/metrics.h"
#include "internal/fit_stats.h"
#include "internal/logistic.h"
#include "internal/parallel.h"
#include "internal/status_macros.h"
#include "internal/table_encoding.h"
#include "internal/utf8.h"

namespace churnkit {
namespace {

// Rows scored per unit of parallel work; fixed, so that results do not
// depend on the thread count.
constexpr size_t kScoreChunk = 1024;
// The default solver switches from Newton to L-BFGS above this many
// features.
constexpr size_t kAutoNewtonMaxFeatures = 64;
constexpr double kDefaultTolerance = 1e-8;

double Sigmoid(double eta) { return 1.0 / (1.0 + std::exp(-eta)); }

// ---- Options ----------------------------------------------------------------

v1::Penalty PenaltyOf(const v1::FitOptions& o) {
  return o.penalty() == v1::PENALTY_UNSPECIFIED ? v1::PENALTY_L2 : o.penalty();
}

// The matrix columns against the model's, naming the first difference.
absl::Status CheckColumns(const v1::LogisticModel& model, MatrixView x) {
  const auto& names = model.feature_names();
  const size_t common = std::min<size_t>(names.size(), x.num_cols());
  for (size_t j = 0; j < common; ++j) {
    if (x.columns[j] != names[static_cast<int>(j)]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "column ", j, " is '", x.columns[j], "'; the model expects '",
          names[static_cast<int>(j)], "'"));
    }
  }
  if (x.num_cols() > common) {
    return absl::InvalidArgumentError(
        absl::StrCat("the matrix has ", x.num_cols(),
                     " columns; the model expects ", names.size(), " (column ",
                     common, " '", x.columns[common], "' is extra)"));
  }
  if (static_cast<size_t>(names.size()) > common) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the matrix has ", x.num_cols(), " columns; the model expects ",
        names.size(), " (column ", common, " '",
        names[static_cast<int>(common)], "' is missing)"));
  }
  return absl::OkStatus();
}

// ---- Texts of reasons
// ---------------------------------------------------------

// "12", "12.5", "0.33": at most two decimals, trailing zeros dropped.
std::string FormatNumber(double v) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::abs(v) >= 1e15) return absl::StrFormat("%.4g", v);
  std::string s = absl::StrFormat("%.2f", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

// A fraction as a percentage: 0.452 -> "45%", 0.045 -> "4.5%".
std::string FormatPercent(double v) {
  if (std::isnan(v)) return "n/a";
  const double pct = 100 * v;
  std::string s = std::abs(pct) >= 10 ? absl::StrFormat("%.0f", pct)
                                      : absl::StrFormat("%.1f", pct);
  if (absl::EndsWith(s, ".0")) s.resize(s.size() - 2);
  if (s == "-0") s = "0";
  return absl::StrCat(s, "%");
}

// Fills {value} and {value:%} in a FeatureSpec description.
std::string FillDescription(absl::string_view text, double value) {
  std::string out;
  while (!text.empty()) {
    const size_t open = text.find("{value");
    if (open == absl::string_view::npos) break;
    const size_t close = text.find('}', open);
    if (close == absl::string_view::npos) break;
    const absl::string_view spec = text.substr(open + 6, close - open - 6);
    absl::StrAppend(&out, text.substr(0, open));
    if (spec == ":%") {
      absl::StrAppend(&out, FormatPercent(value));
    } else {
      absl::StrAppend(&out, FormatNumber(value));
    }
    text.remove_prefix(close + 1);
  }
  absl::StrAppend(&out, text);
  return out;
}

// Whether a description reads as a level: a plain {value} placeholder
// (not a change, {value:%}, and not a flag without a value).
bool IsLevel(absl::string_view description) {
  return absl::StrContains(description, "{value}");
}

// Per feature of a model: how its reason reads.
struct ReasonText {
  std::string description;  // FeatureSpec template, or empty
  // For a categorical indicator: its column and level.
  std::string column, level;
  bool indicator = false;
  // The model column of FeatureSpec.change_feature (with a description),
  // for a level; -1 when there is none.
  int change = -1;
};

std::vector<ReasonText> ReasonTexts(const v1::LogisticModel& model,
                                    const v1::FeatureSet* set) {
  std::vector<ReasonText> texts(model.feature_names_size());
  absl::flat_hash_map<std::string, size_t> index;
  for (int j = 0; j < model.feature_names_size(); ++j) {
    index[model.feature_names(j)] = j;
  }
  for (const v1::ColumnEncoding& c : model.encoding().columns()) {
    if (!c.categorical()) continue;
    for (int k = c.drop_first() ? 1 : 0; k < c.levels_size(); ++k) {
      auto it = index.find(absl::StrCat(c.column(), "=", c.levels(k)));
      if (it == index.end()) continue;
      texts[it->second].indicator = true;
      texts[it->second].column = c.column();
      texts[it->second].level = c.levels(k);
    }
  }
  if (set != nullptr) {
    for (const v1::FeatureSpec& spec : set->features()) {
      auto it = index.find(spec.name());
      if (it != index.end() && !spec.description().empty()) {
        texts[it->second].description = spec.description();
      }
    }
    for (const v1::FeatureSpec& spec : set->features()) {
      auto it = index.find(spec.name());
      auto change = index.find(spec.change_feature());
      if (it == index.end() || change == index.end() ||
          change->second == it->second ||
          texts[change->second].description.empty() ||
          !IsLevel(texts[it->second].description)) {
        continue;
      }
      texts[it->second].change = static_cast<int>(change->second);
    }
  }
  return texts;
}

// A level against the training mean: "75% below the average 8.1", "40%
// above the average 8.1", "4.7x the average 12402.5", "the average 8.1";
// "average 0.0012" when the value is 10 times the mean or more (a rare
// event's count, where a multiple says little), and "average -3" when the
// mean or the value is negative (no ratio). Means under 0.01 keep two
// significant digits.
std::string AgainstAverage(double value, double mean) {
  const std::string average = mean != 0 && std::abs(mean) < 0.01
                                  ? absl::StrFormat("%.2g", mean)
                                  : FormatNumber(mean);
  if (!(mean > 0) || value < 0) return absl::StrCat("average ", average);
  const double ratio = value / mean;
  if (ratio >= 10) return absl::StrCat("average ", average);
  if (ratio >= 1.995) {  // "2x", never "100% above"
    std::string times = absl::StrFormat("%.1f", ratio);
    if (absl::EndsWith(times, ".0")) times.resize(times.size() - 2);
    return absl::StrCat(times, "x the average ", average);
  }
  const std::string pct = FormatPercent(std::abs(ratio - 1));
  if (pct == "0%") return absl::StrCat("the average ", average);
  return absl::StrCat(pct, ratio > 1 ? " above" : " below", " the average ",
                      average);
}

// A level ("58158.78 ordered in 90 days", "tenure = 1") is no cause by
// itself: the reason says it against the reference the contribution is
// measured from, the training mean ("... (4.7x the average 12402.5)").
// Changes ({value:%}), flags and indicators already read as one.
std::string ReasonString(const std::string& name, const ReasonText& t,
                         double value, double mean) {
  if (!t.description.empty()) {
    std::string text = FillDescription(t.description, value);
    if (IsLevel(t.description) && !std::isnan(value)) {
      absl::StrAppend(&text, " (", AgainstAverage(value, mean), ")");
    }
    return text;
  }
  if (t.indicator) {
    if (std::isnan(value)) return absl::StrCat(t.column, " is missing");
    return value != 0 ? absl::StrCat(t.column, " is ", t.level)
                      : absl::StrCat(t.column, " is not ", t.level);
  }
  // An undescribed numeric column (a table's "tenure") is a level too.
  if (std::isnan(value)) return absl::StrCat(name, " = ", FormatNumber(value));
  return absl::StrCat(name, " = ", FormatNumber(value), " (",
                      AgainstAverage(value, mean), ")");
}

// ---- Persistence
// -----------------------------------------------------------------

uint64_t Fnv1a(absl::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Tag of LogisticModel.checksum: field 15, wire type 1 (fixed64).
constexpr unsigned char kChecksumTag = (15 << 3) | 1;
constexpr size_t kChecksumBytes = 9;

}  // namespace

// ---- Fitting
// --------------------------------------------------------------------

absl::Status ValidateFitOptions(const v1::FitOptions& o) {
  if (!v1::Penalty_IsValid(o.penalty())) {
    return absl::InvalidArgumentError(
        absl::StrCat("penalty: unknown value ", o.penalty()));
  }
  if (!v1::Solver_IsValid(o.solver())) {
    return absl::InvalidArgumentError(
        absl::StrCat("solver: unknown value ", o.solver()));
  }
  if (!v1::MissingValues_IsValid(o.missing_values())) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing_values: unknown value ", o.missing_values()));
  }
  if (o.has_c() && !(o.c() > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("c: must be > 0 (+inf for no penalty); got ", o.c()));
  }
  if (o.has_lambda() && !(o.lambda() > 0 && std::isfinite(o.lambda()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("lambda: must be finite and > 0; got ", o.lambda()));
  }
  if (o.has_l1_ratio() && !(o.l1_ratio() >= 0 && o.l1_ratio() <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("l1_ratio: must be in [0, 1]; got ", o.l1_ratio()));
  }
  if (o.tolerance() != 0 && !(o.tolerance() > 0 && o.tolerance() < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tolerance: must be in (0, 1); got ", o.tolerance()));
  }
  if (o.max_iterations() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_iterations: must be >= 0; got ", o.max_iterations()));
  }
  for (const auto& [name, v] :
       {std::pair{"class_weights.negative", o.class_weights().negative()},
        std::pair{"class_weights.positive", o.class_weights().positive()}}) {
    if (!(v >= 0 && std::isfinite(v))) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": must be finite and >= 0; got ", v));
    }
  }
  if (!(o.winsorize() >= 0 && o.winsorize() < 0.5)) {
    return absl::InvalidArgumentError(
        absl::StrCat("winsorize: must be in [0, 0.5); got ", o.winsorize()));
  }
  const v1::Penalty penalty = PenaltyOf(o);
  const bool sparse =
      penalty == v1::PENALTY_L1 || penalty == v1::PENALTY_ELASTIC_NET;
  if (sparse && (o.solver() == v1::SOLVER_LBFGS ||
                 o.solver() == v1::SOLVER_NEWTON_CHOLESKY)) {
    return absl::InvalidArgumentError(
        absl::StrCat("solver: ", v1::Solver_Name(o.solver()), " cannot fit ",
                     v1::Penalty_Name(penalty),
                     "; use SOLVER_COORDINATE_DESCENT or SOLVER_AUTO"));
  }
  return absl::OkStatus();
}

namespace {

// The [q, 1 - q] nearest-rank quantiles of each column (values that occur
// in the data; missing values left out; a column with none gets no bound:
// -inf / +inf), kept only where they keep the signal (KeepSignal).
void WinsorBounds(MatrixView x, double q, std::vector<double>* lower,
                  std::vector<double>* upper) {
  const size_t n = x.num_rows(), d = x.num_cols();
  lower->assign(d, -std::numeric_limits<double>::infinity());
  upper->assign(d, std::numeric_limits<double>::infinity());
  std::vector<double> column;
  for (size_t j = 0; j < d; ++j) {
    column.clear();
    for (size_t i = 0; i < n; ++i) {
      const double v = x.values[i * d + j];
      if (!std::isnan(v)) column.push_back(v);
    }
    if (column.empty()) continue;
    const auto [min, max] = std::minmax_element(column.begin(), column.end());
    const bool varies = *min < *max;
    const size_t lo = internal::WinsorLowRank(column.size(), q);
    const size_t hi = column.size() - 1 - lo;
    std::nth_element(column.begin(), column.begin() + lo, column.end());
    (*lower)[j] = column[lo];
    std::nth_element(column.begin(), column.begin() + hi, column.end());
    (*upper)[j] = column[hi];
    internal::KeepSignal(varies, &(*lower)[j], &(*upper)[j]);
  }
}

// `v` (of feature j) clamped to the model's clip bounds; NaN stays NaN.
double ClipValue(const v1::LogisticModel& model, int j, double v) {
  // An infinite value is bad input, reported by the caller, not an extreme
  // to clip into range.
  if (model.clip_lower_size() == 0 || std::isinf(v)) return v;
  if (v < model.clip_lower(j)) return model.clip_lower(j);
  if (v > model.clip_upper(j)) return model.clip_upper(j);
  return v;
}

// `x` with each column clamped to the model's clip bounds, stored in
// `storage`; `x` itself when the model has no bounds.
MatrixView Clipped(const v1::LogisticModel& model, MatrixView x,
                   std::vector<double>* storage) {
  if (model.clip_lower_size() == 0) return x;
  const size_t d = x.num_cols();
  storage->assign(x.values.begin(), x.values.end());
  for (size_t i = 0; i < storage->size(); ++i) {
    double& v = (*storage)[i];
    v = ClipValue(model, static_cast<int>(i % d), v);
  }
  x.values = *storage;
  return x;
}

}  // namespace

absl::StatusOr<v1::LogisticModel> FitLogistic(
    MatrixView x, absl::Span<const uint8_t> labels,
    const v1::FitOptions& options, absl::Span<const double> sample_weights) {
  CK_RETURN_IF_ERROR(ValidateFitOptions(options));
  CK_RETURN_IF_ERROR(internal::CheckShape(x));
  const size_t n = x.num_rows(), d = x.num_cols();
  if (n == 0) return absl::InvalidArgumentError("the matrix has no rows");
  absl::flat_hash_set<absl::string_view> names;
  for (size_t j = 0; j < d; ++j) {
    const std::string& c = x.columns[j];
    if (!internal::IsValidUtf8(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("column ", j, ": the name is not valid UTF-8"));
    }
    if (!names.insert(c).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate column name '", c, "'"));
    }
  }
  if (labels.size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("labels: ", labels.size(), " values for ", n, " rows"));
  }
  if (!sample_weights.empty() && sample_weights.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sample_weights: ", sample_weights.size(), " values for ", n, " rows"));
  }
  for (size_t i = 0; i < n; ++i) {
    if (labels[i] > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "labels[", i, "] is ", labels[i], "; labels must be 0 or 1"));
    }
    if (!sample_weights.empty() &&
        !(sample_weights[i] >= 0 && std::isfinite(sample_weights[i]))) {
      return absl::InvalidArgumentError(
          absl::StrCat("sample_weights[", i, "] is ", sample_weights[i],
                       "; weights must be finite and >= 0"));
    }
  }
  internal::LogisticProblem problem;
  problem.y = labels.data();
  problem.sample_weights =
      sample_weights.empty() ? nullptr : sample_weights.data();
  const size_t positives =
      static_cast<size_t>(std::count(labels.begin(), labels.end(), 1));
  const std::array<double, 2> class_weight =
      internal::ClassWeights(options, n, positives);
  std::copy(class_weight.begin(), class_weight.end(), problem.class_weight);
  double pos = 0, neg = 0;
  for (size_t i = 0; i < n; ++i) (labels[i] ? pos : neg) += problem.Weight(i);
  if (!(pos > 0) || !(neg > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a single class: every row with positive weight is labelled ",
        pos > 0 ? 1 : 0, "; fitting needs churned and retained customers"));
  }
  std::vector<double> clip_lower, clip_upper, clipped;
  if (options.winsorize() > 0) {
    WinsorBounds(x, options.winsorize(), &clip_lower, &clip_upper);
    v1::LogisticModel bounds;
    bounds.mutable_clip_lower()->Add(clip_lower.begin(), clip_lower.end());
    bounds.mutable_clip_upper()->Add(clip_upper.begin(), clip_upper.end());
    x = Clipped(bounds, x, &clipped);
  }
  const bool impute = options.missing_values() == v1::MISSING_IMPUTE_MEAN;
  const bool standardize = !options.has_standardize() || options.standardize();
  // Squared deviations also without standardizing: the correlations use
  // them.
  const internal::ColumnSums sums =
      internal::SumColumns(x, sample_weights, labels, impute,
                           /*squares=*/true, options.threads());
  if (sums.first_bad != std::numeric_limits<size_t>::max()) {
    return internal::BadValueError(x, sums.first_bad);
  }
  absl::StatusOr<internal::ColumnStats> stats =
      internal::FinishStats(sums, x.columns, standardize);
  if (!stats.ok()) return stats.status();

  const size_t active = static_cast<size_t>(
      std::count(stats->active.begin(), stats->active.end(), 1));
  absl::StatusOr<internal::FitPlan> plan =
      internal::PlanFit(options, n, d, active, pos + neg);
  if (!plan.ok()) return plan.status();
  problem.loss_scale = plan->loss_scale;
  problem.l1 = plan->l1;
  problem.l2 = plan->l2;
  const double c = plan->c;
  const internal::SolverOptions& solver = plan->solver;

  std::vector<double> inv_scale(d);
  for (size_t j = 0; j < d; ++j) inv_scale[j] = 1.0 / stats->scale[j];
  problem.x = x.values.data();
  problem.n = n;
  problem.d = d;
  problem.mean = stats->mean.data();
  problem.inv_scale = inv_scale.data();
  problem.active = stats->active.data();
  problem.impute = impute;
  problem.threads = options.threads();
  // The churners' standardized sums, for the solvers' first point.
  std::vector<double> churner_z_sums(d, 0.0);
  for (size_t j = 0; j < d; ++j) {
    if (!stats->active[j]) continue;
    churner_z_sums[j] =
        (sums.churner_sum[j] - stats->mean[j] * sums.churner_weight[j]) *
        inv_scale[j];
  }
  problem.churner_z_sums = churner_z_sums.data();
  absl::StatusOr<internal::SolverResult> result =
      internal::SolveLogistic(problem, solver);
  if (!result.ok()) return result.status();
  if (!result->converged && !options.allow_not_converged()) {
    return absl::FailedPreconditionError(absl::StrCat(
        v1::Solver_Name(solver.solver), " did not converge in ",
        result->iterations, " iterations (largest gradient component ",
        result->gradient_norm, ", tolerance ", solver.tolerance, " x ",
        result->initial_gradient_norm,
        "); raise max_iterations or tolerance, add a penalty, or set "
        "allow_not_converged"));
  }

  internal::FitOutcome outcome;
  outcome.columns = x.columns;
  outcome.stats = &*stats;
  outcome.clip_lower = clip_lower;
  outcome.clip_upper = clip_upper;
  outcome.correlations = internal::CorrelationsFromStart(
      result->start_gradient, sums, *stats, standardize, problem.loss_scale,
      class_weight, neg, pos);
  outcome.solver = &*result;
  outcome.solver_used = solver.solver;
  outcome.impute = impute;
  outcome.rows = n;
  outcome.negative_weight = neg;
  outcome.positive_weight = pos;
  outcome.c = c;
  return internal::AssembleModel(outcome, options);
}

namespace internal {

absl::Status CheckShape(MatrixView x) {
  if (x.num_cols() == 0) {
    return absl::InvalidArgumentError("the matrix has no columns");
  }
  if (x.values.size() % x.num_cols() != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the matrix holds ", x.values.size(), " values, not a multiple of its ",
        x.num_cols(), " columns"));
  }
  if (!x.row_ids.empty() && x.row_ids.size() != x.num_rows()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "row_ids: ", x.row_ids.size(), " ids for ", x.num_rows(), " rows"));
  }
  return absl::OkStatus();
}

MatrixView ClipColumns(MatrixView x, const v1::LogisticModel& bounds,
                       std::vector<double>* storage) {
  return Clipped(bounds, x, storage);
}

absl::StatusOr<FitPlan> PlanFit(const v1::FitOptions& options, size_t rows,
                                size_t d, size_t active, double total_weight) {
  FitPlan plan;
  // The penalty in the objective's units.
  const v1::Penalty penalty = PenaltyOf(options);
  double c = options.has_c() ? options.c() : 1.0;
  if (options.has_lambda()) c = 1.0 / (options.lambda() * total_weight);
  const bool unpenalized = penalty == v1::PENALTY_NONE || std::isinf(c);
  if (unpenalized) {
    c = std::numeric_limits<double>::infinity();
  } else {
    plan.loss_scale = c;
    if (penalty == v1::PENALTY_L2) plan.l2 = 1;
    if (penalty == v1::PENALTY_L1) plan.l1 = 1;
    if (penalty == v1::PENALTY_ELASTIC_NET) {
      const double rho = options.has_l1_ratio() ? options.l1_ratio() : 0.5;
      plan.l1 = rho;
      plan.l2 = 1 - rho;
    }
  }
  plan.c = c;
  if (unpenalized && active + 1 > rows) {
    return absl::InvalidArgumentError(absl::StrCat(
        "without a penalty ", active + 1,
        " parameters (non-constant features and the intercept) need at least "
        "as many rows; there are ",
        rows, ". Use a penalty"));
  }
  SolverOptions& solver = plan.solver;
  solver.solver = options.solver();
  if (solver.solver == v1::SOLVER_AUTO) {
    solver.solver = plan.l1 > 0 ? v1::SOLVER_COORDINATE_DESCENT
                    : d <= kAutoNewtonMaxFeatures ? v1::SOLVER_NEWTON_CHOLESKY
                                                  : v1::SOLVER_LBFGS;
  }
  if (solver.solver != v1::SOLVER_LBFGS && d > kMaxHessianFeatures) {
    return absl::InvalidArgumentError(absl::StrCat(
        "solver ", v1::Solver_Name(solver.solver), " keeps a (d+1)^2 Hessian ",
        "and supports at most ", kMaxHessianFeatures, " features; there are ",
        d,
        plan.l1 > 0 ? " (L1 and elastic-net need it)" : "; use SOLVER_LBFGS"));
  }
  solver.tolerance =
      options.tolerance() > 0 ? options.tolerance() : kDefaultTolerance;
  solver.max_iterations = options.max_iterations();
  if (solver.max_iterations == 0) {
    solver.max_iterations = solver.solver == v1::SOLVER_LBFGS ? 1000
                            : solver.solver == v1::SOLVER_COORDINATE_DESCENT
                                ? 200
                                : 100;
  }
  solver.unpenalized = unpenalized;
  return plan;
}

v1::LogisticModel AssembleModel(const FitOutcome& fit,
                                const v1::FitOptions& options) {
  const size_t d = fit.columns.size();
  const ColumnStats& stats = *fit.stats;
  const SolverResult& result = *fit.solver;
  v1::LogisticModel model;
  model.set_format_version(kLogisticModelFormat);
  for (size_t j = 0; j < d; ++j) {
    model.add_feature_names(fit.columns[j]);
    model.add_means(stats.mean[j]);
    model.add_scales(stats.scale[j]);
    model.add_coefficients(result.theta[j + 1]);
  }
  model.set_intercept(result.theta[0]);
  model.mutable_clip_lower()->Add(fit.clip_lower.begin(), fit.clip_lower.end());
  model.mutable_clip_upper()->Add(fit.clip_upper.begin(), fit.clip_upper.end());
  model.mutable_univariate_correlation()->Add(fit.correlations.begin(),
                                              fit.correlations.end());
  model.set_missing_values(fit.impute ? v1::MISSING_IMPUTE_MEAN
                                      : v1::MISSING_REJECT);
  *model.mutable_options() = options;
  v1::FitReport& report = *model.mutable_report();
  report.set_solver(fit.solver_used);
  report.set_iterations(result.iterations);
  report.set_evaluations(result.evaluations);
  report.set_subsample_evaluations(result.subsample_evaluations);
  report.set_subsample_rows(static_cast<int64_t>(result.subsample_rows));
  report.set_objective(result.objective);
  report.set_gradient_norm(result.gradient_norm);
  report.set_initial_gradient_norm(result.initial_gradient_norm);
  report.set_converged(result.converged);
  report.set_rows(static_cast<int64_t>(fit.rows));
  report.set_negative_weight(fit.negative_weight);
  report.set_positive_weight(fit.positive_weight);
  report.set_c(fit.c);
  int nonzero = 0;
  for (size_t j = 0; j < d; ++j) nonzero += result.theta[j + 1] != 0;
  report.set_nonzero_coefficients(nonzero);
  for (size_t j = 0; j < d; ++j) {
    if (stats.active[j]) continue;
    v1::DroppedFeature* dropped = report.add_dropped();
    dropped->set_feature(fit.columns[j]);
    dropped->set_reason(stats.undefined[j] ? "undefined" : "constant");
  }
  return model;
}

}  // namespace internal

// ---- Models
// ----------------------------------------------------------------------

absl::Status ValidateModel(const v1::LogisticModel& m) {
  if (m.format_version() == 0) {
    return absl::InvalidArgumentError("format_version: missing");
  }
  if (m.format_version() > kLogisticModelFormat) {
    return absl::InvalidArgumentError(absl::StrCat(
        "format_version: ", m.format_version(),
        " is newer than this library reads (", kLogisticModelFormat, ")"));
  }
  const int d = m.feature_names_size();
  if (d == 0) return absl::InvalidArgumentError("feature_names: empty");
  for (const auto& [field, size] :
       {std::pair{"means", m.means_size()},
        std::pair{"scales", m.scales_size()},
        std::pair{"coefficients", m.coefficients_size()}}) {
    if (size != d) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", size, " values for ", d, " feature_names"));
    }
  }
  absl::flat_hash_set<absl::string_view> names;
  for (int j = 0; j < d; ++j) {
    if (!names.insert(m.feature_names(j)).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "feature_names[", j, "]: duplicate '", m.feature_names(j), "'"));
    }
    if (!std::isfinite(m.means(j))) {
      return absl::InvalidArgumentError(
          absl::StrCat("means[", j, "]: not finite"));
    }
    if (!(m.scales(j) > 0 && std::isfinite(m.scales(j)))) {
      return absl::InvalidArgumentError(
          absl::StrCat("scales[", j, "]: must be finite and > 0"));
    }
    if (!std::isfinite(m.coefficients(j))) {
      return absl::InvalidArgumentError(
          absl::StrCat("coefficients[", j, "]: not finite"));
    }
  }
  if (!std::isfinite(m.intercept())) {
    return absl::InvalidArgumentError("intercept: not finite");
  }
  if (m.clip_lower_size() != 0 || m.clip_upper_size() != 0) {
    for (const auto& [field, size] :
         {std::pair{"clip_lower", m.clip_lower_size()},
          std::pair{"clip_upper", m.clip_upper_size()}}) {
      if (size != d) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ": ", size, " values for ", d, " feature_names"));
      }
    }
    for (int j = 0; j < d; ++j) {
      if (!(m.clip_lower(j) <= m.clip_upper(j))) {
        return absl::InvalidArgumentError(absl::StrCat(
            "clip_lower[", j, "]: must be <= clip_upper[", j, "]"));
      }
    }
  }
  if (m.univariate_correlation_size() != 0) {
    if (m.univariate_correlation_size() != d) {
      return absl::InvalidArgumentError(absl::StrCat(
          "univariate_correlation: ", m.univariate_correlation_size(),
          " values for ", d, " feature_names"));
    }
    for (int j = 0; j < d; ++j) {
      const double r = m.univariate_correlation(j);
      if (!(r >= -1 && r <= 1)) {
        return absl::InvalidArgumentError(
            absl::StrCat("univariate_correlation[", j, "]: ", r,
                         " is not a correlation in [-1, 1]"));
      }
    }
  }
  if (!v1::MissingValues_IsValid(m.missing_values())) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing_values: unknown value ", m.missing_values()));
  }
  if (m.encoding().columns_size() > 0) {
    const std::vector<std::string> encoded =
        internal::EncodedNames(m.encoding());
    if (encoded.size() != static_cast<size_t>(d) ||
        !std::equal(encoded.begin(), encoded.end(),
                    m.feature_names().begin())) {
      return absl::InvalidArgumentError(
          "encoding: the encoded columns differ from feature_names");
    }
  }
  return absl::OkStatus();
}

absl::Status PredictInto(const v1::LogisticModel& model, MatrixView x,
                         absl::Span<double> out, int threads) {
  CK_RETURN_IF_ERROR(ValidateModel(model));
  CK_RETURN_IF_ERROR(internal::CheckShape(x));
  CK_RETURN_IF_ERROR(CheckColumns(model, x));
  std::vector<double> clipped;
  x = Clipped(model, x, &clipped);
  const size_t n = x.num_rows(), d = x.num_cols();
  if (out.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the output holds ", out.size(), " values for ", n, " rows"));
  }
  // eta = c0 + x . gamma with the standardization folded in.
  std::vector<double> gamma(d);
  double c0 = model.intercept();
  for (size_t j = 0; j < d; ++j) {
    const int k = static_cast<int>(j);
    gamma[j] = model.coefficients(k) / model.scales(k);
    c0 -= gamma[j] * model.means(k);
  }
  const bool impute = model.missing_values() == v1::MISSING_IMPUTE_MEAN;
  const size_t chunks = (n + kScoreChunk - 1) / kScoreChunk;
  std::vector<size_t> first_bad(chunks, std::numeric_limits<size_t>::max());
  internal::ParallelFor(
      chunks, threads,
      [&](size_t from, size_t to) {
        std::vector<double> eta(kScoreChunk);
        // With mean imputation a chunk with missing values is filled in a
        // copy first, so rows with NaN (most rows of real features) take
        // the vectorized product too; a chunk without any (found by a scan
        // that stops at the first NaN) is read in place.
        std::vector<double> filled;
        for (size_t c = from; c < to; ++c) {
          const size_t start = c * kScoreChunk;
          const size_t m = std::min(kScoreChunk, n - start);
          const double* rows = x.values.data() + start * d;
          if (impute && std::any_of(rows, rows + m * d,
                                    [](double v) { return std::isnan(v); })) {
            filled.assign(rows, rows + m * d);
            for (size_t i = 0; i < m; ++i) {
              double* row = filled.data() + i * d;
              for (size_t j = 0; j < d; ++j) {
                if (std::isnan(row[j])) {
                  row[j] = model.means(static_cast<int>(j));
                }
              }
            }
            rows = filled.data();
          }
          internal::LinearPredictor(rows, m, d, gamma.data(), c0, eta.data());
          for (size_t i = 0; i < m; ++i) {
            if (std::isfinite(eta[i])) continue;
            // An infinite value, or a missing one the model rejects: the
            // first one is reported. Otherwise finite values overflowed:
            // summed again in order, so inf - inf shows as NaN (caught
            // below) whatever the vector kernel's rounding.
            const double* row = x.values.data() + (start + i) * d;
            bool bad = false;
            for (size_t j = 0; j < d && !bad; ++j) {
              if (std::isinf(row[j]) || (std::isnan(row[j]) && !impute)) {
                first_bad[c] = std::min(first_bad[c], (start + i) * d + j);
                bad = true;
              }
            }
            if (bad) continue;
            double e = c0;
            for (size_t j = 0; j < d; ++j) e += gamma[j] * rows[i * d + j];
            eta[i] = e;
          }
          internal::Sigmoids(eta.data(), m, out.data() + start);
        }
      },
      4);
  for (size_t c = 0; c < chunks; ++c) {
    if (first_bad[c] == std::numeric_limits<size_t>::max()) continue;
    const size_t row = first_bad[c] / d, col = first_bad[c] % d;
    const double v = x.values[first_bad[c]];
    return absl::InvalidArgumentError(absl::StrCat(
        "row ", row, ", column '", x.columns[col], "' is ",
        std::isnan(v) ? "NaN (not defined) and the model rejects missing "
                        "values (missing_values: MISSING_REJECT)"
                      : "infinite"));
  }
  // Finite inputs can still overflow the log-odds (inf - inf) with extreme
  // coefficients from a damaged or hand-made model: an error, never NaN.
  for (size_t i = 0; i < out.size(); ++i) {
    if (std::isnan(out[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "row ", i,
          ": the model's log-odds overflow (coefficients too large for these "
          "values)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<double>> Predict(const v1::LogisticModel& model,
                                            MatrixView x, int threads) {
  std::vector<double> p(x.num_cols() == 0 ? 0 : x.values.size() / x.num_cols());
  CK_RETURN_IF_ERROR(PredictInto(model, x, absl::MakeSpan(p), threads));
  return p;
}

namespace {

// Whether the model stores a univariate direction per coefficient.
bool HasDirections(const v1::LogisticModel& model) {
  return model.univariate_correlation_size() > 0 &&
         model.univariate_correlation_size() == model.coefficients_size();
}

// Whether feature j's coefficient adjusts for correlated features: its
// sign differs from the feature's univariate direction (a correlation of 0
// has no direction to agree with).
bool IsAdjusting(const v1::LogisticModel& model, int j) {
  if (!HasDirections(model)) return false;
  const double b = model.coefficients(j), r = model.univariate_correlation(j);
  return b != 0 && !((b > 0 && r > 0) || (b < 0 && r < 0));
}

// Nonzero coefficients that adjust (or not), largest magnitude first (ties
// in column order), at most `top`.
std::vector<v1::Factor> Factors(const v1::LogisticModel& model, int top,
                                bool adjusting) {
  // A malformed model with fewer names than coefficients has no names to
  // show for the rest.
  std::vector<int> order(
      std::min(model.coefficients_size(), model.feature_names_size()));
  for (size_t j = 0; j < order.size(); ++j) order[j] = static_cast<int>(j);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return std::abs(model.coefficients(a)) > std::abs(model.coefficients(b));
  });
  const bool directions = HasDirections(model);
  std::vector<v1::Factor> out;
  for (int j : order) {
    if (static_cast<int>(out.size()) >= top || model.coefficients(j) == 0) {
      break;
    }
    if (IsAdjusting(model, j) != adjusting) continue;
    v1::Factor& f = out.emplace_back();
    f.set_feature(model.feature_names(j));
    f.set_coefficient(model.coefficients(j));
    if (directions) {
      f.set_univariate_correlation(model.univariate_correlation(j));
    }
  }
  return out;
}

}  // namespace

std::vector<v1::Factor> StrongestFactors(const v1::LogisticModel& model,
                                         int top) {
  return Factors(model, top, /*adjusting=*/false);
}

std::vector<v1::Factor> AdjustingFactors(const v1::LogisticModel& model,
                                         int top) {
  return Factors(model, top, /*adjusting=*/true);
}

absl::StatusOr<v1::Explanations> Explain(const v1::LogisticModel& model,
                                         MatrixView x,
                                         const ExplainOptions& options) {
  CK_RETURN_IF_ERROR(ValidateModel(model));
  CK_RETURN_IF_ERROR(internal::CheckShape(x));
  CK_RETURN_IF_ERROR(CheckColumns(model, x));
  if (options.top_k < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("top_k: must be >= 0; got ", options.top_k));
  }
  const size_t n = x.num_rows(), d = x.num_cols();
  const bool impute = model.missing_values() == v1::MISSING_IMPUTE_MEAN;
  for (size_t i = 0; i < n * d; ++i) {
    const double v = x.values[i];
    if (std::isinf(v) || (std::isnan(v) && !impute)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "row ", i / d, ", column '", x.columns[i % d], "' is ",
          std::isnan(v) ? "NaN (not defined) and the model rejects missing "
                          "values"
                        : "infinite"));
    }
  }
  const std::vector<ReasonText> texts = ReasonTexts(model, options.feature_set);
  std::vector<uint8_t> adjusting(d);
  for (size_t j = 0; j < d; ++j) {
    adjusting[j] = IsAdjusting(model, static_cast<int>(j));
  }
  v1::Explanations result;
  for (size_t r = 0; r < n; ++r) result.add_rows();
  const size_t k = static_cast<size_t>(options.top_k);
  internal::ParallelFor(
      n, 0,
      [&](size_t from, size_t to) {
        std::vector<double> contribution(d);
        std::vector<size_t> order(d), risk, protective;
        for (size_t r = from; r < to; ++r) {
          v1::Explanation& e = *result.mutable_rows(static_cast<int>(r));
          if (!x.row_ids.empty()) e.set_customer_id(x.row_ids[r]);
          const double* row = x.values.data() + r * d;
          double eta = model.intercept(), adjustment = 0;
          for (size_t j = 0; j < d; ++j) {
            const int jj = static_cast<int>(j);
            // Raw values for the texts, clipped ones for the score.
            const double v = ClipValue(model, jj, row[j]);
            const double z =
                std::isnan(v) ? 0.0 : (v - model.means(jj)) / model.scales(jj);
            contribution[j] = model.coefficients(jj) * z;
            eta += contribution[j];
            if (adjusting[j]) adjustment += contribution[j];
          }
          e.set_log_odds(eta);
          e.set_adjustment(adjustment);
          e.set_probability(Sigmoid(eta));
          e.set_baseline_log_odds(model.intercept());
          std::iota(order.begin(), order.end(), size_t{0});
          std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return contribution[a] > contribution[b];
          });
          // Corrections for correlated features are never reasons.
          risk.clear();
          protective.clear();
          for (size_t i = 0; i < d && risk.size() < k; ++i) {
            if (!(contribution[order[i]] > 0)) break;
            if (!adjusting[order[i]]) risk.push_back(order[i]);
          }
          for (size_t i = d; i-- > 0 && protective.size() < k;) {
            if (!(contribution[order[i]] < 0)) break;
            if (!adjusting[order[i]]) protective.push_back(order[i]);
          }
          auto add = [&](const std::vector<size_t>& listed,
                         google::protobuf::RepeatedPtrField<v1::Reason>* list) {
            for (size_t j : listed) {
              v1::Reason& reason = *list->Add();
              const int jj = static_cast<int>(j);
              const std::string& name = model.feature_names(jj);
              reason.set_feature(name);
              reason.set_value(row[j]);
              reason.set_contribution(contribution[j]);
              std::string text =
                  ReasonString(name, texts[j], row[j], model.means(jj));
              // A level led by the customer's own change when that points
              // the same way (below the average and down, or above and up)
              // and is not a reason of this list already.
              const int c = texts[j].change;
              if (c >= 0 && std::find(listed.begin(), listed.end(),
                                      static_cast<size_t>(c)) == listed.end()) {
                const double change = row[c];
                const double off = row[j] - model.means(jj);
                if (!std::isnan(change) && !std::isnan(off) && change != 0 &&
                    off != 0 && (change > 0) == (off > 0)) {
                  text = absl::StrCat(
                      FillDescription(texts[static_cast<size_t>(c)].description,
                                      change),
                      " (", FillDescription(texts[j].description, row[j]), ", ",
                      AgainstAverage(row[j], model.means(jj)), ")");
                }
              }
              reason.set_text(std::move(text));
            }
          };
          add(risk, e.mutable_risk());
          add(protective, e.mutable_protective());
        }
      },
      64);
  return result;
}

absl::StatusOr<std::string> SerializeModel(const v1::LogisticModel& model) {
  CK_RETURN_IF_ERROR(ValidateModel(model));
  // Checked here, not in ValidateModel (run on every PredictInto): only
  // serialized text is refused by readers, and fitted or parsed models
  // carry none that is invalid.
  if (std::string field = internal::FirstInvalidUtf8Field(model);
      !field.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not valid UTF-8"));
  }
  v1::LogisticModel copy = model;
  copy.clear_checksum();
  std::string bytes;
  if (!copy.SerializeToString(&bytes)) {
    return absl::InternalError("cannot serialize the model");
  }
  uint64_t h = Fnv1a(bytes);
  bytes.push_back(static_cast<char>(kChecksumTag));
  for (int i = 0; i < 8; ++i) {
    bytes.push_back(static_cast<char>(h & 0xff));
    h >>= 8;
  }
  return bytes;
}

absl::StatusOr<v1::LogisticModel> ParseModel(absl::string_view bytes) {
  v1::LogisticModel model;
  if (absl::Status s = ParseBinaryProto(bytes, &model); !s.ok()) {
    return absl::DataLossError(
        absl::StrCat("the model bytes are ", s.message()));
  }
  // Every saved model has a format version; without one the bytes were
  // empty or another message that happened to parse.
  if (model.format_version() == 0) {
    return absl::DataLossError(
        "the bytes are not a churnkit.v1.LogisticModel (empty, or another "
        "message: no format_version)");
  }
  if (model.checksum() != 0) {
    const bool trailer =
        bytes.size() >= kChecksumBytes &&
        static_cast<unsigned char>(bytes[bytes.size() - kChecksumBytes]) ==
            kChecksumTag;
    if (!trailer || Fnv1a(bytes.substr(0, bytes.size() - kChecksumBytes)) !=
                        model.checksum()) {
      return absl::DataLossError(
          "the model bytes are corrupted (checksum mismatch)");
    }
  }
  CK_RETURN_IF_ERROR(ValidateModel(model));
  return model;
}

RawCoefficients ToRawUnits(const v1::LogisticModel& model) {
  RawCoefficients raw;
  raw.intercept = model.intercept();
  for (int j = 0; j < model.coefficients_size(); ++j) {
    const double g = model.coefficients(j) / model.scales(j);
    raw.coefficients.push_back(g);
    raw.intercept -= g * model.means(j);
  }
  return raw;
}

// ---- Cross-validation
// ------------------------------------------------------------

FeatureMatrix SelectRows(const FeatureMatrix& m,
                         absl::Span<const size_t> rows) {
  FeatureMatrix out;
  out.columns = m.columns;
  const size_t d = m.num_cols();
  out.values.reserve(rows.size() * d);
  for (size_t r : rows) {
    out.customer_ids.push_back(m.customer_ids[r]);
    out.as_of.push_back(m.as_of.empty() ? kNoTime : m.as_of[r]);
    const absl::Span<const double> row = m.row(r);
    out.values.insert(out.values.end(), row.begin(), row.end());
  }
  return out;
}

absl::StatusOr<FeatureMatrix> SelectColumns(
    const FeatureMatrix& m, absl::Span<const std::string> names) {
  absl::flat_hash_map<absl::string_view, size_t> column_of;
  for (size_t j = 0; j < m.columns.size(); ++j) column_of[m.columns[j]] = j;
  std::vector<size_t> source(names.size());
  for (size_t k = 0; k < names.size(); ++k) {
    auto it = column_of.find(names[k]);
    if (it == column_of.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "no column '", names[k], "' (", m.columns.size(), " columns given)"));
    }
    source[k] = it->second;
  }
  FeatureMatrix out;
  out.columns.assign(names.begin(), names.end());
  out.customer_ids = m.customer_ids;
  out.as_of = m.as_of;
  out.values.resize(m.num_rows() * names.size());
  for (size_t r = 0; r < m.num_rows(); ++r) {
    const absl::Span<const double> row = m.row(r);
    double* dst = out.values.data() + r * names.size();
    for (size_t k = 0; k < names.size(); ++k) dst[k] = row[source[k]];
  }
  return out;
}

absl::StatusOr<CrossValidation> CrossValidateLogistic(
    const FeatureMatrix& x, absl::Span<const uint8_t> labels,
    const v1::FitOptions& options, int k, uint64_t seed) {
  if (labels.size() != x.num_rows()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "labels: ", labels.size(), " values for ", x.num_rows(), " rows"));
  }
  absl::StatusOr<std::vector<int>> folds = StratifiedFolds(labels, k, seed);
  if (!folds.ok()) return folds.status();
  CrossValidation cv;
  cv.folds = *folds;
  cv.probabilities.assign(labels.size(), 0.0);
  for (int f = 0; f < k; ++f) {
    std::vector<size_t> train, test;
    for (size_t i = 0; i < labels.size(); ++i) {
      (cv.folds[i] == f ? test : train).push_back(i);
    }
    std::vector<uint8_t> train_labels, test_labels;
    for (size_t i : train) train_labels.push_back(labels[i]);
    for (size_t i : test) test_labels.push_back(labels[i]);
    absl::StatusOr<v1::LogisticModel> model =
        FitLogistic(SelectRows(x, train), train_labels, options);
    if (!model.ok()) {
      return absl::Status(
          model.status().code(),
          absl::StrCat("fold ", f, ": ", model.status().message()));
    }
    const FeatureMatrix held_out = SelectRows(x, test);
    absl::StatusOr<std::vector<double>> p =
        Predict(*model, MatrixView::Of(held_out), options.threads());
    if (!p.ok()) return p.status();
    for (size_t i = 0; i < test.size(); ++i) {
      cv.probabilities[test[i]] = (*p)[i];
    }
    absl::StatusOr<double> auc = RocAuc(test_labels, *p);
    cv.fold_auc.push_back(auc.ok() ? *auc
                                   : std::numeric_limits<double>::quiet_NaN());
  }
  return cv;
}

}  // namespace churnkit
