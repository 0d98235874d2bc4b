// churnkit/model.h: logistic churn prediction (domain.md §8).
//
// A whole learner behind a small interface: a matrix of named features with
// 0/1 labels, options (proto/churnkit/v1/model.proto), FitLogistic, Predict,
// Explain, and the model as a protobuf message that serializes exactly.
//
// Features are standardized with training means and scales kept in the
// model; coefficients are log-odds per standard deviation. The objective is
// scikit-learn's, C * sum_i w_i * logloss_i + R(beta) with an unpenalized
// intercept, so results compare directly with LogisticRegression fitted on
// standardized features. Fitting is deterministic: the same inputs give a
// bit-identical model for any number of threads.
//
// Example:
//   churnkit::v1::FitOptions options;
//   options.set_c(0.5);
//   absl::StatusOr<churnkit::v1::LogisticModel> model =
//       churnkit::FitLogistic(panel.features, panel.labels, options);
//   absl::StatusOr<std::vector<double>> p =
//       churnkit::Predict(*model, churnkit::MatrixView::Of(matrix));
//   absl::StatusOr<churnkit::v1::Explanations> why = churnkit::Explain(
//       *model, churnkit::MatrixView::Of(matrix), {.top_k = 3});
#ifndef CHURNKIT_MODEL_H_
#define CHURNKIT_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "churnkit/features.h"
#include "churnkit/io.h"
#include "churnkit/v1/features.pb.h"
#include "churnkit/v1/model.pb.h"

namespace churnkit {

// The model format this library writes (LogisticModel.format_version).
inline constexpr uint32_t kLogisticModelFormat = 1;

// A row-major matrix of doubles with named columns, borrowed (e.g. caller
// memory through the C ABI). `values` holds rows * columns.size() doubles.
struct MatrixView {
  absl::Span<const double> values;
  absl::Span<const std::string> columns;
  // Optional per-row ids (empty, or one per row), used in explanations.
  absl::Span<const std::string> row_ids;

  size_t num_cols() const { return columns.size(); }
  size_t num_rows() const {
    return columns.empty() ? 0 : values.size() / columns.size();
  }
  static MatrixView Of(const FeatureMatrix& m) {
    return {m.values, m.columns, m.customer_ids};
  }
};

// Checks `options` without fitting: enum values, c / lambda > 0,
// l1_ratio in [0, 1], tolerance in (0, 1), non-negative finite class
// weights, max_iterations >= 0, an L-BFGS solver only with L2 or no
// penalty. InvalidArgument names the field.
absl::Status ValidateFitOptions(const v1::FitOptions& options);

// Fits a logistic model. `labels` holds 0/1 per row; `sample_weights` is
// empty (all 1) or one non-negative finite weight per row.
// Errors (InvalidArgument unless noted), each naming what is wrong:
//   bad options (ValidateFitOptions); no rows or no columns; a matrix whose
//   values are not rows * columns; duplicate column names; labels or
//   weights of another length; a label other than 0/1; a single class (by
//   weight); a NaN (unless MISSING_IMPUTE_MEAN) or an infinite value, named
//   by row and column; no penalty with more features than rows;
//   FailedPrecondition when, with no penalty, the classes are separable or
//   the Hessian is singular (collinear columns), or when the solver does not
//   converge within max_iterations (unless allow_not_converged).
absl::StatusOr<v1::LogisticModel> FitLogistic(
    MatrixView x, absl::Span<const uint8_t> labels,
    const v1::FitOptions& options = {},
    absl::Span<const double> sample_weights = {});
inline absl::StatusOr<v1::LogisticModel> FitLogistic(
    const FeatureMatrix& x, absl::Span<const uint8_t> labels,
    const v1::FitOptions& options = {},
    absl::Span<const double> sample_weights = {}) {
  return FitLogistic(MatrixView::Of(x), labels, options, sample_weights);
}

// ---- Fits over partitions of the rows (docs/scale-out.md) ----------------
//
// A logistic fit whose rows live in several places -- customer partitions
// on Dask workers, or files processed in turn -- driven by one
// PartitionedFit: send round() to every partition, compute its FitPartial
// there with ComputeFitPartial (on that partition's rows alone), hand the
// partials to Advance in partition order, and repeat until Advance returns
// true. Only summaries travel: counts and rank samples, the values near
// the clipping quantiles, column moments, and per Newton trial point the
// loss, gradient and Hessian ((d + 1)^2 doubles). The model equals
// FitLogistic's on all the rows with SOLVER_NEWTON_CHOLESKY (the same
// statistics, quantiles and Newton iterates, from sums added in another
// order) to rounding; its report counts the passes over the partitions.
//
// Example (partitions in turn):
//   absl::StatusOr<PartitionedFit> fit =
//       PartitionedFit::Create(columns, options);
//   for (bool done = false; !done;) {
//     std::vector<v1::FitPartial> partials;
//     for (const Part& p : parts) {
//       partials.push_back(*ComputeFitPartial(fit->round(), p.x, p.labels));
//     }
//     done = *fit->Advance(partials);
//   }
//   const v1::LogisticModel& model = fit->model();
class PartitionedFit {
 public:
  // Errors (InvalidArgument, naming the field): bad options
  // (ValidateFitOptions); no, duplicate or non-UTF-8 column names; what a
  // partitioned fit does not do: an L1 or elastic-net penalty, a solver
  // other than SOLVER_AUTO / SOLVER_NEWTON_CHOLESKY (each round is a pass
  // over every partition: Newton needs the fewest), more than 4096
  // columns.
  static absl::StatusOr<PartitionedFit> Create(std::vector<std::string> columns,
                                               const v1::FitOptions& options);
  ~PartitionedFit();
  PartitionedFit(PartitionedFit&&) noexcept;
  PartitionedFit& operator=(PartitionedFit&&) noexcept;

  // What every partition computes next (valid until Advance).
  const v1::FitRound& round() const;
  // Consumes the answers to round(), one per partition in a fixed order (the
  // same number every round; empty partitions answer too). True when the
  // fit is done: then model(). Errors: InvalidArgument for partials of
  // another fit or round, or a number of them that changed; the fit's own
  // (FitLogistic's: a single class, no rows, separable classes or a
  // singular Hessian without a penalty, no convergence unless
  // allow_not_converged). After an error of the fit (not of the partials)
  // it cannot go on: FailedPrecondition.
  absl::StatusOr<bool> Advance(absl::Span<const v1::FitPartial> partials);
  // The fitted model, once Advance returned true.
  const v1::LogisticModel& model() const;

 private:
  struct State;
  explicit PartitionedFit(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// One partition's answer to `round`, from its rows `x` (the round's
// columns, in order) and 0/1 `labels`, using `threads` workers (<= 0: all
// cores; results do not depend on it). Errors (InvalidArgument): columns
// other than the round's (naming the first difference), labels of another
// length or other than 0/1, a round that is not a stage, a NaN (unless the
// fit imputes) or an infinite value named by row and column.
absl::StatusOr<v1::FitPartial> ComputeFitPartial(
    const v1::FitRound& round, MatrixView x, absl::Span<const uint8_t> labels,
    int threads = 0);

// Checks a model's invariants: format version, one name, mean, scale
// (finite, > 0) and finite coefficient per feature, unique names, a table
// encoding (if any) that yields exactly the feature names.
// InvalidArgument names the field.
absl::Status ValidateModel(const v1::LogisticModel& model);

// Churn probabilities of every row into `out` (one per row), using
// `threads` workers (<= 0: all cores; results do not depend on it).
// Errors: InvalidArgument when the model is invalid, `out` has the wrong
// size, or the columns differ from the model's (naming the first mismatch:
// "column 3 is 'logins_30d'; the model expects 'logins_90d'"), or a value
// is infinite, or NaN under MISSING_REJECT (naming row and column).
absl::Status PredictInto(const v1::LogisticModel& model, MatrixView x,
                         absl::Span<double> out, int threads = 0);
absl::StatusOr<std::vector<double>> Predict(const v1::LogisticModel& model,
                                            MatrixView x, int threads = 0);

// The model's nonzero coefficients a person can believe, largest magnitude
// first (ties in column order), at most `top` of them: those whose sign
// agrees with the feature's direction on its own
// (LogisticModel.univariate_correlation, stored by FitLogistic; each
// Factor carries it). With correlated features a joint fit can flip a
// sign ("more orders raise churn risk" next to "no order in 30 days
// protects"); such a coefficient adjusts for its correlated partners and
// is listed by AdjustingFactors instead. A model without directions (fitted
// before they were stored, or built by hand) lists every nonzero
// coefficient, as before.
std::vector<v1::Factor> StrongestFactors(const v1::LogisticModel& model,
                                         int top);

// The nonzero coefficients whose sign differs from the feature's
// univariate direction (or whose feature has none, correlation 0), largest
// magnitude first, at most `top`; empty for a model without directions.
std::vector<v1::Factor> AdjustingFactors(const v1::LogisticModel& model,
                                         int top);

struct ExplainOptions {
  // Reasons kept on each side (risk-raising, protective). Default 3.
  int top_k = 3;
  // Descriptions of the features (e.g. DefaultFeatureSet()): a feature
  // declared there gets its description with {value} filled in ({value:%}
  // as a percentage). May be null; features not in it get "name = value".
  const v1::FeatureSet* feature_set = nullptr;
};

// Why each row scores as it does: contributions coefficient * standardized
// value (against a customer at the training means), the top_k largest
// positive (risk) and most negative (protective) ones, with texts. Rows
// are in input order; customer_id comes from x.row_ids when given.
// Features listed by AdjustingFactors are never reasons: their
// contributions are summed in Explanation.adjustment (log_odds still
// counts them). A level ({value}) reads against the training mean, led by
// its FeatureSpec.change_feature when that points the same way
// (docs/prediction.md, "Reason codes").
// Errors: as PredictInto, and top_k < 0.
absl::StatusOr<v1::Explanations> Explain(const v1::LogisticModel& model,
                                         MatrixView x,
                                         const ExplainOptions& options = {});

// The model as bytes (churnkit.v1.LogisticModel); ParseModel reads them
// back into an identical message. SerializeModel: InvalidArgument when the
// model fails ValidateModel or holds text that is not valid UTF-8 (naming
// the field; readers would refuse the bytes). ParseModel: DataLoss when the
// bytes are not a LogisticModel, InvalidArgument when it fails
// ValidateModel or has a newer format version.
absl::StatusOr<std::string> SerializeModel(const v1::LogisticModel& model);
absl::StatusOr<v1::LogisticModel> ParseModel(absl::string_view bytes);

// Coefficients in raw feature units (coefficient / scale) and the matching
// intercept (log-odds at all-zero raw features), for reading a model as a
// plain formula.
struct RawCoefficients {
  std::vector<double> coefficients;
  double intercept = 0;
};
RawCoefficients ToRawUnits(const v1::LogisticModel& model);

// ---- Plain tables --------------------------------------------------------
//
// A snapshot export (one row per customer: an id, a label, numeric and
// categorical columns, e.g. Telco's CSV) modelled without building events.

// A table turned into model inputs.
struct EncodedTable {
  FeatureMatrix features;       // customer_ids from the id column (or row)
  std::vector<uint8_t> labels;  // 0/1 per row; empty when no label column
  v1::TableEncoding encoding;   // store it in the model (Fit does not)
};

// Encodes `table` per `options`: the label column (required) into 0/1, the
// id column into customer ids, numeric columns as they are (missing tokens
// as NaN) and categorical columns as one 0/1 indicator per level ("column
// =level", levels sorted). Errors (InvalidArgument, naming file, line and
// column): a missing or unknown label / id / declared column, a label cell
// that is neither positive nor negative, a declared numeric cell that is not
// a number, a categorical column with more than max_levels levels.
absl::StatusOr<EncodedTable> EncodeTable(const PlainTable& table,
                                         const v1::TableOptions& options);

// Encodes a new table with a model's stored encoding (the columns must be
// there; labels are read when the label column is present). Unseen levels
// get the training means of their indicators.
// Errors: FailedPrecondition when the model has no table encoding;
// InvalidArgument for a missing column or a non-numeric numeric cell.
absl::StatusOr<EncodedTable> EncodeForModel(const v1::LogisticModel& model,
                                            const PlainTable& table);

// ---- Cross-validation ----------------------------------------------------

// Out-of-fold probabilities of stratified k-fold cross-validation
// (StratifiedFolds in churnkit/metrics.h): each row is scored by the model
// fitted without its fold.
struct CrossValidation {
  std::vector<double> probabilities;  // one per row
  std::vector<int> folds;             // fold of each row
  std::vector<double> fold_auc;       // ROC-AUC on each fold
};
absl::StatusOr<CrossValidation> CrossValidateLogistic(
    const FeatureMatrix& x, absl::Span<const uint8_t> labels,
    const v1::FitOptions& options, int k, uint64_t seed);

// The rows of `m` at `rows`, in that order.
FeatureMatrix SelectRows(const FeatureMatrix& m, absl::Span<const size_t> rows);

// The columns of `m` named `names`, in that order (e.g. a model's
// feature_names, to score a wider matrix). InvalidArgument names the first
// name that is not a column of `m`.
absl::StatusOr<FeatureMatrix> SelectColumns(
    const FeatureMatrix& m, absl::Span<const std::string> names);

}  // namespace churnkit

#endif  // CHURNKIT_MODEL_H_
