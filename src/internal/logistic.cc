#include "internal/logistic.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "internal/parallel.h"
#include "internal/status_macros.h"

namespace churnkit::internal {
namespace {

using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

// Row blocks: the unit of parallel work and of the fixed-order reduction.
// Their number depends only on n and d, never on the thread count.
constexpr size_t kMaxBlocks = 64;
constexpr size_t kMinBlockRows = 2048;
// Doubles of per-block Hessians kept at once (32 MiB).
constexpr size_t kHessianBudget = size_t{1} << 22;
// Doubles of standardized rows a block keeps at once: few for value and
// gradient passes, so that reading the matrix (the bottleneck) alternates
// quickly with arithmetic on the chunk and the hardware prefetcher keeps
// streaming; more for Hessian passes, whose tiles are reloaded per chunk.
// Results do not depend on these sizes.
constexpr size_t kChunkDoubles = size_t{1} << 9;
constexpr size_t kHessianChunkDoubles = size_t{1} << 14;

// Warm starts (see WarmStart): the subsample's steps (sparsest first),
// runs and least size; the tolerance of its fit (finer would not be more
// accurate for the full problem than the subsample's sampling error); and
// the least gradient reduction per step for which Newton keeps the
// subsample's Hessian.
constexpr size_t kWarmSteps[] = {16, 8, 4};
constexpr size_t kWarmRunRows = 64;
constexpr size_t kMinWarmRows = 4096;
constexpr size_t kMinWarmRowsPerFeature = 128;
constexpr double kWarmTolerance = 1e-4;
constexpr double kWarmContraction = 0.25;

enum class Need { kValue, kGradient, kHessian };

// Newton's line search: the sufficient decrease, and the halvings of the
// step tried before giving up.
constexpr double kArmijo = 1e-4;
constexpr int kMaxHalvings = 60;

double MaxAbs(const Vec& v) {
  return v.size() == 0 ? 0.0 : v.cwiseAbs().maxCoeff();
}

// Buffers of a chunk of rows for the row kernels.
struct KernelScratch {
  double* z;    // chunk_rows * stride: standardized rows
  double* zq;   // chunk_rows * stride: rows times q (Hessian only)
  double* eta;  // chunk_rows each
  double* y;
  double* w;
  double* r;
  double* q;
};

// The kernels pass 32-byte vectors only to always-inlined functions, so
// GCC's note that their ABI differs without AVX (which it gives at the end
// of the file) does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"
namespace portable {
constexpr int kHessianVecs = 2;  // 3 would not fit SSE's 16 registers
#include "internal/logistic_kernels.inc"
}  // namespace portable

#if defined(__x86_64__) && defined(__clang__)
#define CHURNKIT_LOGISTIC_AVX2 1
#pragma clang attribute push(__attribute__((target("avx2,fma"))), \
                             apply_to = function)
namespace avx2 {
constexpr int kHessianVecs = 3;  // 12 accumulators: the FMAs overlap
#include "internal/logistic_kernels.inc"
}  // namespace avx2
#pragma clang attribute pop
#elif defined(__x86_64__) && defined(__GNUC__)
#define CHURNKIT_LOGISTIC_AVX2 1
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
constexpr int kHessianVecs = 3;  // 12 accumulators: the FMAs overlap
#include "internal/logistic_kernels.inc"
}  // namespace avx2
#pragma GCC pop_options
#endif

using RowKernel = decltype(&portable::EvaluateRows);
using RawRowKernel = decltype(&portable::EvaluateRowsRaw);

bool HasAvx2() {
#ifdef CHURNKIT_LOGISTIC_AVX2
  static const bool has =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
#else
  return false;
#endif
}

// The row kernel for this CPU: AVX2 with FMA where available.
RowKernel ChooseRowKernel(bool force_portable) {
#ifdef CHURNKIT_LOGISTIC_AVX2
  if (!force_portable && HasAvx2()) return &avx2::EvaluateRows;
#endif
  return &portable::EvaluateRows;
}

RawRowKernel ChooseRawRowKernel(bool force_portable) {
#ifdef CHURNKIT_LOGISTIC_AVX2
  if (!force_portable && HasAvx2()) return &avx2::EvaluateRowsRaw;
#endif
  return &portable::EvaluateRowsRaw;
}

// Value and gradient passes read the raw rows (EvaluateRowsRaw) when no
// value is missing and every column's |mean| / scale is at most this: the
// gradient's subtraction then loses at most 3 of the 16 digits, far below
// any tolerance.
constexpr double kMaxRawMeanToScale = 1e3;

bool RawRowsSuffice(const LogisticProblem& p) {
  if (p.impute) return false;
  for (size_t j = 0; j < p.d; ++j) {
    if (p.active[j] &&
        !(std::abs(p.mean[j]) * p.inv_scale[j] <= kMaxRawMeanToScale)) {
      return false;
    }
  }
  return true;
}

double SoftThreshold(double v, double t) {
  if (v > t) return v - t;
  if (v < -t) return v + t;
  return 0.0;
}

absl::Status SeparableError() {
  return absl::FailedPreconditionError(
      "the classes are perfectly separable by the features: without a "
      "penalty the coefficients grow without bound (no maximum-likelihood "
      "estimate exists); use an L2 or L1 penalty (a finite c)");
}

absl::Status SingularError() {
  return absl::FailedPreconditionError(
      "the Hessian is singular at the solution: some columns are collinear "
      "(e.g. one-hot indicators of every level) or the classes are "
      "quasi-separable; use a penalty or drop redundant columns");
}

// Smooth part of the objective (loss and L2 penalty) with its derivatives.
struct Evaluation {
  double smooth = 0;
  // Rows with positive weight on the wrong side of (or on) eta = 0.
  double wrong = 0;
  Vec grad;
  Mat hess;  // lower triangle
  // When asked: the gradient at the standard start (beta = 0).
  Vec start_grad;
};

// The smooth objective and its derivatives at theta from the sums of the
// loss over the rows (`loss`, and out->grad, hess and start_grad as sums):
// scaled by the loss scale, with the L2 penalty, and constant columns held
// at 0.
void Penalize(const LogisticProblem& p, const Vec& theta, double loss,
              Need need, bool start_gradient, Evaluation* out) {
  const size_t d = p.d;
  const auto beta = theta.tail(d);
  out->smooth = p.loss_scale * loss + 0.5 * p.l2 * beta.squaredNorm();
  if (need != Need::kValue) {
    out->grad *= p.loss_scale;
    out->grad.tail(d) += p.l2 * beta;
  }
  out->start_grad *= p.loss_scale;
  if (need == Need::kHessian) {
    out->hess *= p.loss_scale;
    out->hess.diagonal().tail(d).array() += p.l2;
  }
  // A constant column keeps coefficient 0: no gradient, unit curvature.
  for (size_t j = 0; j < d; ++j) {
    if (p.active[j]) continue;
    if (need != Need::kValue) out->grad[j + 1] = 0;
    if (start_gradient) out->start_grad[j + 1] = 0;
    if (need == Need::kHessian) {
      out->hess.row(j + 1).setZero();
      out->hess.col(j + 1).setZero();
      out->hess(j + 1, j + 1) = 1;
    }
  }
}

class Evaluator {
 public:
  // `start_intercept`: the intercept of the standard start.
  Evaluator(const LogisticProblem& p, bool hessian, bool force_portable,
            double start_intercept)
      : p_(p),
        dim_(p.d + 1),
        stride_((p.d + 4) / 4 * 4),
        chunk_rows_(
            std::clamp<size_t>(kChunkDoubles / stride_ / 4 * 4, 8, 256)),
        hessian_chunk_rows_(std::clamp<size_t>(
            kHessianChunkDoubles / stride_ / 4 * 4, 16, 256)),
        kernel_(ChooseRowKernel(force_portable)),
        raw_kernel_(ChooseRawRowKernel(force_portable)),
        raw_(RawRowsSuffice(p)),
        start_intercept_(start_intercept),
        block_rows_(BlockRows(p, hessian, stride_)),
        parts_((p.n + block_rows_ - 1) / block_rows_),
        pool_(static_cast<int>(std::min<size_t>(
            parts_.size(), static_cast<size_t>(ResolveThreads(p.threads))))) {
    const size_t scratch =
        std::max(chunk_rows_ * (stride_ + 5),
                 hessian ? hessian_chunk_rows_ * (2 * stride_ + 5) : 0);
    scratch_.assign(pool_.size(), std::vector<double>(scratch, 0.0));
  }

  int evaluations() const { return evaluations_; }

  // With `start_gradient`, also out->start_grad in the same pass.
  void Evaluate(const Vec& theta, Need need, Evaluation* out,
                bool start_gradient = false) {
    ++evaluations_;
    const bool raw = raw_ && need != Need::kHessian;
    // theta in the kernels' layout: beta, intercept, zeros; or for raw rows
    // gamma_j = beta_j / scale_j, then c0 = intercept - gamma . mean.
    std::vector<double> padded(stride_, 0.0);
    for (size_t j = 0; j < p_.d; ++j) {
      padded[j] = raw ? theta[j + 1] * p_.inv_scale[j] : theta[j + 1];
    }
    padded[p_.d] = theta[0];
    if (raw) {
      for (size_t j = 0; j < p_.d; ++j) padded[p_.d] -= padded[j] * p_.mean[j];
    }
    pool_.ForEach(parts_.size(), [&](int worker, size_t b) {
      Block(b, padded.data(), need, raw, start_gradient,
            scratch_[worker].data());
    });
    // Sums in block order, then back to (intercept, beta).
    double loss = 0;
    out->wrong = 0;
    std::vector<double> grad(need == Need::kValue ? 0 : stride_, 0.0);
    std::vector<double> start(start_gradient ? stride_ : 0, 0.0);
    std::vector<double> hess(need == Need::kHessian ? stride_ * stride_ : 0,
                             0.0);
    for (const Part& part : parts_) {
      loss += part.loss;
      out->wrong += part.wrong;
      for (size_t k = 0; k < grad.size(); ++k) grad[k] += part.grad[k];
      for (size_t k = 0; k < start.size(); ++k) start[k] += part.start[k];
      if (need != Need::kHessian) continue;
      for (size_t j = 0; j < stride_; ++j) {
        for (size_t k = 0; k <= j; ++k) {
          hess[j * stride_ + k] += part.hess[j * stride_ + k];
        }
      }
    }
    const size_t d = p_.d;
    if (raw) {
      ToStandardized(&grad);
      ToStandardized(&start);
    }
    if (need != Need::kValue) Unpad(grad, &out->grad);
    out->start_grad.resize(0);
    if (start_gradient) Unpad(start, &out->start_grad);
    if (need == Need::kHessian) {
      out->hess.setZero(dim_, dim_);
      out->hess(0, 0) = hess[d * stride_ + d];
      for (size_t j = 0; j < d; ++j) {
        out->hess(j + 1, 0) = hess[d * stride_ + j];
        for (size_t k = 0; k <= j; ++k) {
          out->hess(j + 1, k + 1) = hess[j * stride_ + k];
        }
      }
    }
    Penalize(p_, theta, loss, need, start_gradient, out);
  }

  // Whether EvaluateStart may stand in for a pass: with the churners' sums,
  // and where raw rows suffice, whose gradient rests on the same
  // subtraction of the mean.
  bool CanEvaluateStart() const { return raw_ && p_.churner_z_sums != nullptr; }

  // Evaluate(theta, Need::kGradient, out, true) at the standard start
  // (theta: the intercept at the log-odds of the weighted base rate, every
  // coefficient 0) without a pass: every row has the same eta = theta[0]
  // and probability p0 there, and the standardized values of the rows with
  // positive weight sum to 0, so that the gradient of column j is
  // -(c_0 p0 + c_1 (1 - p0)) times the churners' sum of w z_ij. Not counted
  // as an evaluation.
  void EvaluateStart(const Vec& theta, Evaluation* out) {
    const double eta = theta[0];
    double negative = 0, positive = 0;
    out->wrong = 0;
    for (size_t i = 0; i < p_.n; ++i) {
      const size_t row = p_.Row(i);
      const bool churner = p_.y[row] != 0;
      const double w = p_.Weight(row);
      (churner ? positive : negative) += w;
      if (w > 0 && (churner ? eta <= 0 : eta >= 0)) out->wrong += 1;
    }
    const double p0 = 1 / (1 + std::exp(-eta));
    // The loss of a row: log(1 + e^eta) - y eta.
    const double softplus = std::log1p(std::exp(eta));
    const double loss = (negative + positive) * softplus - positive * eta;
    out->grad.resize(dim_);
    out->grad[0] = negative * p0 - positive * (1 - p0);
    const double factor =
        -(p_.class_weight[0] * p0 + p_.class_weight[1] * (1 - p0));
    for (size_t j = 0; j < p_.d; ++j) {
      out->grad[j + 1] = factor * p_.churner_z_sums[j];
    }
    out->start_grad = out->grad;
    Penalize(p_, theta, loss, Need::kGradient, true, out);
  }

  double Value(const Vec& theta) {
    Evaluation e;
    Evaluate(theta, Need::kValue, &e);
    return e.smooth;
  }

 private:
  struct Part {
    double loss = 0;
    double wrong = 0;
    std::vector<double> grad;   // kernel layout, stride_
    std::vector<double> hess;   // stride_ x stride_, lower triangle
    std::vector<double> start;  // like grad, at the standard start
  };

  // A raw rows' gradient (EvaluateRowsRaw; empty: none) to the
  // standardized one, in place.
  void ToStandardized(std::vector<double>* g) const {
    if (g->empty()) return;
    const double intercept = (*g)[p_.d];
    for (size_t j = 0; j < p_.d; ++j) {
      (*g)[j] = ((*g)[j] - p_.mean[j] * intercept) * p_.inv_scale[j];
    }
  }

  // A gradient in the kernels' layout to (intercept, beta).
  void Unpad(const std::vector<double>& padded, Vec* out) const {
    out->resize(dim_);
    (*out)[0] = padded[p_.d];
    for (size_t j = 0; j < p_.d; ++j) (*out)[j + 1] = padded[j];
  }

  // One pass over the rows of block b, a chunk of rows at a time.
  void Block(size_t b, const double* theta, Need need, bool raw,
             bool start_gradient, double* scratch) {
    Part& part = parts_[b];
    if (need != Need::kValue) part.grad.assign(stride_, 0.0);
    if (start_gradient) part.start.assign(stride_, 0.0);
    if (need == Need::kHessian) part.hess.assign(stride_ * stride_, 0.0);
    part.loss = part.wrong = 0;
    const size_t c = need == Need::kHessian ? hessian_chunk_rows_ : chunk_rows_;
    KernelScratch s;
    s.z = scratch;
    s.eta = s.z + c * stride_;
    s.y = s.eta + c;
    s.w = s.y + c;
    s.r = s.w + c;
    s.q = s.r + c;
    s.zq = need == Need::kHessian ? s.q + c : nullptr;
    // The block's rows are runs of consecutive rows of the matrix (one run
    // unless the problem is a subsample).
    const size_t run = p_.sample_period == 0 ? p_.n : p_.sample_rows;
    const size_t end = std::min(p_.n, (b + 1) * block_rows_);
    for (size_t i = b * block_rows_; i < end;) {
      const size_t run_end = std::min(end, (i / run + 1) * run);
      const size_t first = p_.Row(i);
      double* start = start_gradient ? part.start.data() : nullptr;
      if (raw) {
        raw_kernel_(p_, first, first + (run_end - i), theta, theta[p_.d], c,
                    need != Need::kValue, s, &part.loss, &part.wrong,
                    part.grad.data(), start_intercept_, start);
      } else {
        kernel_(p_, first, first + (run_end - i), theta, stride_, c,
                need != Need::kValue, need == Need::kHessian, s, &part.loss,
                &part.wrong, part.grad.data(), part.hess.data(),
                start_intercept_, start);
      }
      i = run_end;
    }
  }

  // Rows per block: their number depends only on n and d.
  static size_t BlockRows(const LogisticProblem& p, bool hessian,
                          size_t stride) {
    size_t blocks = std::clamp<size_t>(
        (p.n + kMinBlockRows - 1) / kMinBlockRows, 1, kMaxBlocks);
    if (hessian) {
      blocks = std::min(
          blocks, std::max<size_t>(1, kHessianBudget / (stride * stride)));
    }
    return std::max<size_t>(1, (p.n + blocks - 1) / blocks);
  }

  const LogisticProblem& p_;
  const size_t dim_;
  const size_t stride_;      // d + 1 rounded up to a multiple of 4
  const size_t chunk_rows_;  // multiples of 4
  const size_t hessian_chunk_rows_;
  const RowKernel kernel_;
  const RawRowKernel raw_kernel_;
  const bool raw_;  // value and gradient passes from the raw rows
  const double start_intercept_;
  const size_t block_rows_;
  std::vector<Part> parts_;
  // The fit's passes share their threads (no more than blocks) and each
  // worker's chunk buffers, whose every entry a block writes before it
  // reads it.
  WorkerPool pool_;
  std::vector<std::vector<double>> scratch_;  // per worker
  int evaluations_ = 0;
};

// Sums of the weights of the negative and positive rows.
std::pair<double, double> ClassWeightSums(const LogisticProblem& p) {
  double pos = 0, neg = 0;
  for (size_t i = 0; i < p.n; ++i) {
    const size_t row = p.Row(i);
    (p.y[row] ? pos : neg) += p.Weight(row);
  }
  return {neg, pos};
}

// Start: intercept at the log-odds of the weighted base rate.
Vec StartingPoint(const LogisticProblem& p) {
  const auto [neg, pos] = ClassWeightSums(p);
  Vec theta = Vec::Zero(p.d + 1);
  theta[0] = std::log(pos / neg);
  return theta;
}

// Keeps the gradient at the standard start in `res`.
void KeepStartGradient(const Vec& g, SolverResult& res) {
  res.start_gradient.assign(g.data(), g.data() + g.size());
}

// Whether the step leaves the objective unchanged to working precision, so
// that function values cannot judge it.
bool BelowResolution(double decrease, double f) {
  return -decrease <= 1e-13 * std::max(1.0, std::abs(f));
}

double L1Norm(const Vec& theta) {
  return theta.tail(theta.size() - 1).lpNorm<1>();
}

// Moves theta to theta + t delta for the first t = 1, 1/2, 1/4... that
// lowers F = smooth + l1 |beta|_1 from f0 by at least c t `decrease` (t = 1
// when function values cannot resolve the decrease), and evaluates `need`
// there into e. With *speculate, t = 1 is evaluated with `need` in one pass
// (a pass is wasted when it is refused); *speculate becomes whether t = 1
// was taken. False (nothing changed) when no t is accepted.
bool NewtonStep(Evaluator& ev, Need need, double l1, double c, double f0,
                double decrease, const Vec& delta, bool* speculate, Vec& theta,
                Evaluation& e) {
  auto objective = [&](const Vec& point, double smooth) {
    return l1 > 0 ? smooth + l1 * L1Norm(point) : smooth;
  };
  const bool unresolved = BelowResolution(decrease, f0);
  double t = 1;
  int k = 0;
  if (unresolved || *speculate) {
    Vec next = theta + delta;
    Evaluation trial;
    ev.Evaluate(next, need, &trial);
    if (unresolved || objective(next, trial.smooth) <= f0 + c * decrease) {
      theta = std::move(next);
      e = std::move(trial);
      *speculate = true;
      return true;
    }
    t = 0.5;
    k = 1;
  }
  for (; k < kMaxHalvings; ++k, t *= 0.5) {
    const Vec next = theta + t * delta;
    if (objective(next, ev.Value(next)) <= f0 + c * t * decrease) {
      theta = next;
      ev.Evaluate(theta, need, &e);
      *speculate = t == 1;
      return true;
    }
  }
  return false;
}

// Whether the largest gradient component `gradient` means convergence: at
// most `tolerance` times its value at the start, or rounding noise against
// the objective (a start that is already optimal -- every feature constant,
// only the intercept to fit -- has a gradient of pure noise that no step
// can shrink by the relative tolerance).
bool Converged(double gradient, double initial, double tolerance,
               double objective) {
  return gradient <= tolerance * initial ||
         gradient <= 1e-13 * std::max(1.0, std::fabs(objective));
}

// The Newton direction at e: a Cholesky solve, or (with a penalty) LDL^T
// where the Hessian is near singular.
absl::StatusOr<Vec> NewtonDirection(const Evaluation& e, bool unpenalized) {
  Eigen::LLT<Mat, Eigen::Lower> llt(e.hess);
  if (llt.info() == Eigen::Success && llt.rcond() > 1e-15) {
    return Vec(llt.solve(-e.grad));
  }
  if (unpenalized) return SingularError();
  Eigen::LDLT<Mat, Eigen::Lower> ldlt(e.hess);
  return Vec(ldlt.solve(-e.grad));
}

// Whether a solution without a penalty is identifiable: its Hessian is
// well conditioned.
absl::Status CheckIdentified(const Mat& hessian) {
  Eigen::LLT<Mat, Eigen::Lower> llt(hessian);
  if (llt.info() != Eigen::Success || llt.rcond() < 1e-13) {
    return SingularError();
  }
  return absl::OkStatus();
}

// ---- Newton-Cholesky -------------------------------------------------------

// After a warm start, `hessian` (the subsample's at its solution, near
// this one) gives the directions as long as each step shrinks the largest
// gradient component by kWarmContraction, so that passes need only the
// gradient (no Hessian terms: at d = 32 a third of the cost); then the
// exact Hessian. Leaves the last exact Hessian in `hessian` (empty if none).
absl::Status Newton(const SolverOptions& o, bool warm, Evaluator& ev,
                    Vec& theta, Mat& hessian, SolverResult& res) {
  Eigen::LLT<Mat, Eigen::Lower> fixed;
  bool approximate = false;
  if (warm && hessian.size() > 0) {
    fixed.compute(hessian);
    approximate = fixed.info() == Eigen::Success && fixed.rcond() > 1e-15;
  }
  Evaluation e;
  ev.Evaluate(theta, approximate ? Need::kGradient : Need::kHessian, &e, warm);
  KeepStartGradient(warm ? e.start_grad : e.grad, res);
  res.initial_gradient_norm = MaxAbs(warm ? e.start_grad : e.grad);
  bool speculate = true;
  for (int it = 0;; ++it) {
    if (!std::isfinite(e.smooth)) {
      return absl::InternalError("the objective is not finite");
    }
    if (o.unpenalized && e.wrong == 0) return SeparableError();
    const double previous = res.gradient_norm;
    res.gradient_norm = MaxAbs(e.grad);
    res.objective = e.smooth;
    if (Converged(res.gradient_norm, res.initial_gradient_norm, o.tolerance,
                  res.objective)) {
      res.converged = true;
      break;
    }
    if (it == o.max_iterations) break;
    // After a step that shrank the gradient too little, the next point is
    // evaluated with its Hessian (no extra pass) for exact steps from there.
    const bool refresh = approximate && it > 0 &&
                         res.gradient_norm > kWarmContraction * previous;
    Vec delta;
    if (approximate) {
      delta = fixed.solve(-e.grad);
    } else {
      absl::StatusOr<Vec> exact = NewtonDirection(e, o.unpenalized);
      if (!exact.ok()) return exact.status();
      delta = *std::move(exact);
    }
    const double decrease = e.grad.dot(delta);
    const Need need =
        approximate && !refresh ? Need::kGradient : Need::kHessian;
    if (!(decrease < 0) || !NewtonStep(ev, need, 0, kArmijo, e.smooth, decrease,
                                       delta, &speculate, theta, e)) {
      if (!approximate) break;
      approximate = false;  // retry with the exact Hessian
      ev.Evaluate(theta, Need::kHessian, &e);
      continue;
    }
    if (refresh) approximate = false;
    ++res.iterations;
  }
  hessian = approximate ? Mat() : std::move(e.hess);
  if (o.unpenalized && res.converged) return CheckIdentified(hessian);
  return absl::OkStatus();
}

// ---- L-BFGS
// ------------------------------------------------------------------

struct Trial {
  double a = 0;
  double f = 0;
  double slope = 0;  // directional derivative at a
  double wrong = 0;  // Evaluation::wrong at a
  Vec grad;
};

// Line search for the strong Wolfe conditions (Nocedal & Wright, Alg. 3.5
// and 3.6, cubic interpolation), which also accepts the approximate Wolfe
// conditions of Hager & Zhang once function values are within rounding of
// the start, so that the last digits of the gradient can still be reduced.
bool WolfeSearch(Evaluator& ev, const Vec& theta, double f0, double slope0,
                 const Vec& dir, double a0, Trial* out) {
  constexpr double kC1 = 1e-4, kC2 = 0.9, kEps = 1e-12;
  const double flat = f0 + kEps * std::abs(f0);
  auto eval = [&](double a) {
    Trial t;
    t.a = a;
    Evaluation e;
    ev.Evaluate(theta + a * dir, Need::kGradient, &e);
    t.f = e.smooth;
    t.wrong = e.wrong;
    t.grad = std::move(e.grad);
    t.slope = t.grad.dot(dir);
    return t;
  };
  auto acceptable = [&](const Trial& t) {
    if (!std::isfinite(t.f)) return false;
    const bool wolfe =
        t.f <= f0 + kC1 * t.a * slope0 && std::abs(t.slope) <= -kC2 * slope0;
    // Hager & Zhang's conditions with their delta = 0.1.
    const bool approximate =
        t.f <= flat && t.slope >= kC2 * slope0 && t.slope <= -0.8 * slope0;
    return wolfe || approximate;
  };
  auto too_far = [&](const Trial& t, double f_prev) {
    return !std::isfinite(t.f) ||
           (t.f > f0 + kC1 * t.a * slope0 && t.f > flat) ||
           (t.f >= f_prev && t.f > flat);
  };
  // Minimizer of the cubic through (a, fa, da) and (b, fb, db), kept
  // inside the middle 80% of the interval (else the midpoint).
  auto cubic = [](const Trial& x, const Trial& y) {
    const double lo = std::min(x.a, y.a), hi = std::max(x.a, y.a);
    const double d1 = x.slope + y.slope - 3 * (x.f - y.f) / (x.a - y.a);
    const double disc = d1 * d1 - x.slope * y.slope;
    double a = 0.5 * (lo + hi);
    if (disc >= 0 && std::isfinite(disc)) {
      const double d2 = std::copysign(std::sqrt(disc), y.a - x.a);
      const double c = y.a - (y.a - x.a) * (y.slope + d2 - d1) /
                                 (y.slope - x.slope + 2 * d2);
      if (std::isfinite(c)) a = c;
    }
    const double margin = 0.1 * (hi - lo);
    if (a < lo + margin || a > hi - margin) a = 0.5 * (lo + hi);
    return a;
  };
  auto zoom = [&](Trial lo, Trial hi) {
    for (int k = 0; k < 40; ++k) {
      if (std::abs(hi.a - lo.a) <= 1e-16 * std::max(1.0, lo.a)) break;
      Trial t = eval(cubic(lo, hi));
      if (acceptable(t)) {
        *out = std::move(t);
        return true;
      }
      if (too_far(t, lo.f)) {
        hi = std::move(t);
      } else {
        if (t.slope * (hi.a - lo.a) >= 0) hi = lo;
        lo = std::move(t);
      }
    }
    return false;
  };
  Trial prev;
  prev.a = 0;
  prev.f = f0;
  prev.slope = slope0;
  double a = a0;
  for (int k = 0; k < 30; ++k) {
    Trial t = eval(a);
    if (acceptable(t)) {
      *out = std::move(t);
      return true;
    }
    if (too_far(t, k == 0 ? std::numeric_limits<double>::infinity() : prev.f)) {
      return zoom(std::move(prev), std::move(t));
    }
    if (t.slope >= 0) return zoom(std::move(t), std::move(prev));
    prev = std::move(t);
    a *= 2;
  }
  return false;
}

// L-BFGS's curvature pairs, oldest first.
struct CurvaturePair {
  Vec s, y;
  double rho;
};
using LbfgsMemory = std::deque<CurvaturePair>;

// Continues from `memory` (empty for a cold start) and leaves its last
// pairs there.
absl::Status Lbfgs(const LogisticProblem& p, const SolverOptions& o, bool warm,
                   Evaluator& ev, Vec& theta, LbfgsMemory& memory,
                   SolverResult& res) {
  constexpr size_t kMemory = 10;
  Evaluation e;
  if (!warm && ev.CanEvaluateStart()) {
    ev.EvaluateStart(theta, &e);
  } else {
    ev.Evaluate(theta, Need::kGradient, &e, warm);
  }
  double f = e.smooth;
  double wrong = e.wrong;
  Vec g = std::move(e.grad);
  KeepStartGradient(warm ? e.start_grad : g, res);
  res.initial_gradient_norm = MaxAbs(warm ? e.start_grad : g);
  bool restarted = false;
  for (int it = 0;; ++it) {
    if (!std::isfinite(f)) {
      return absl::InternalError("the objective is not finite");
    }
    if (o.unpenalized && wrong == 0) return SeparableError();
    res.gradient_norm = MaxAbs(g);
    res.objective = f;
    if (Converged(res.gradient_norm, res.initial_gradient_norm, o.tolerance,
                  res.objective)) {
      res.converged = true;
      break;
    }
    if (it == o.max_iterations) break;
    // Two-loop recursion: dir = -H g.
    Vec q = g;
    std::vector<double> alpha(memory.size());
    for (size_t k = memory.size(); k-- > 0;) {
      alpha[k] = memory[k].rho * memory[k].s.dot(q);
      q -= alpha[k] * memory[k].y;
    }
    if (!memory.empty()) {
      const CurvaturePair& last = memory.back();
      q *= last.s.dot(last.y) / last.y.squaredNorm();
    }
    for (size_t k = 0; k < memory.size(); ++k) {
      const double b = memory[k].rho * memory[k].y.dot(q);
      q += (alpha[k] - b) * memory[k].s;
    }
    Vec dir = -q;
    double slope = g.dot(dir);
    if (!(slope < 0)) {
      memory.clear();
      dir = -g;
      slope = -g.squaredNorm();
    }
    // The first cold step: the Newton step for uncorrelated standardized
    // features, whose curvature at the start is about
    // loss_scale * W p0 (1 - p0) + l2 (W p0 (1 - p0) = pos neg / W).
    double a0 = 1;
    if (it == 0 && !warm) {
      const auto [neg, pos] = ClassWeightSums(p);
      a0 = 1 / (p.loss_scale * pos * neg / (pos + neg) + p.l2);
    } else if (memory.empty()) {
      a0 = std::min(1.0, 1.0 / res.gradient_norm);
    }
    Trial t;
    if (!WolfeSearch(ev, theta, f, slope, dir, a0, &t)) {
      if (memory.empty() || restarted) break;
      memory.clear();  // retry once from steepest descent
      restarted = true;
      continue;
    }
    restarted = false;
    Vec s = t.a * dir;
    Vec y = t.grad - g;
    const double sy = s.dot(y);
    if (sy > 1e-16 * y.squaredNorm()) {
      if (memory.size() == kMemory) memory.pop_front();
      memory.push_back({s, y, 1.0 / sy});
    }
    theta += s;
    f = t.f;
    wrong = t.wrong;
    g = std::move(t.grad);
    ++res.iterations;
  }
  return absl::OkStatus();
}

// ---- Proximal Newton with coordinate descent
// ---------------------------------

// Largest component of the minimum-norm subgradient of F.
double Optimality(const LogisticProblem& p, const Vec& theta, const Vec& g) {
  double v = std::abs(g[0]);
  for (size_t j = 0; j < p.d; ++j) {
    if (!p.active[j]) continue;
    const double b = theta[j + 1], gj = g[j + 1];
    const double s = b > 0   ? std::abs(gj + p.l1)
                     : b < 0 ? std::abs(gj - p.l1)
                             : std::max(std::abs(gj) - p.l1, 0.0);
    v = std::max(v, s);
  }
  return v;
}

absl::Status CoordinateDescent(const LogisticProblem& p, const SolverOptions& o,
                               bool warm, Evaluator& ev, Vec& theta,
                               SolverResult& res) {
  const size_t dim = p.d + 1;
  Evaluation e;
  ev.Evaluate(theta, Need::kHessian, &e, warm);
  KeepStartGradient(warm ? e.start_grad : e.grad, res);
  // At the standard start every coefficient is 0.
  res.initial_gradient_norm = warm ? Optimality(p, Vec::Zero(dim), e.start_grad)
                                   : Optimality(p, theta, e.grad);
  bool speculate = true;
  for (int it = 0;; ++it) {
    const double objective = e.smooth + p.l1 * L1Norm(theta);
    if (!std::isfinite(objective)) {
      return absl::InternalError("the objective is not finite");
    }
    if (o.unpenalized && e.wrong == 0) return SeparableError();
    res.objective = objective;
    res.gradient_norm = Optimality(p, theta, e.grad);
    if (Converged(res.gradient_norm, res.initial_gradient_norm, o.tolerance,
                  res.objective)) {
      res.converged = true;
      break;
    }
    if (it == o.max_iterations) break;
    // Minimize g.delta + delta'H delta / 2 + l1 |beta + delta|_1 by cyclic
    // coordinate descent, keeping u = H delta.
    const Mat h = e.hess.selfadjointView<Eigen::Lower>();
    Vec delta = Vec::Zero(dim), u = Vec::Zero(dim);
    const double inner_tol = 1e-2 * res.gradient_norm;
    for (int sweep = 0; sweep < 10000; ++sweep) {
      double largest = 0;
      for (size_t j = 0; j < dim; ++j) {
        if (j > 0 && !p.active[j - 1]) continue;
        const double a = h(j, j);
        if (!(a > 0)) continue;
        const double b = e.grad[j] + u[j];
        double z;
        if (j == 0) {
          z = -b / a;
        } else {
          const double w = theta[j] + delta[j];
          z = SoftThreshold(w - b / a, p.l1 / a) - w;
        }
        if (z == 0) continue;
        delta[j] += z;
        u += z * h.col(j);
        largest = std::max(largest, std::abs(z) * a);
      }
      if (largest <= inner_tol) break;
    }
    const double decrease =
        e.grad.dot(delta) + p.l1 * (L1Norm(theta + delta) - L1Norm(theta));
    if (!(decrease < 0)) break;
    if (!NewtonStep(ev, Need::kHessian, p.l1, 1e-2, objective, decrease, delta,
                    &speculate, theta, e)) {
      break;
    }
    ++res.iterations;
  }
  return absl::OkStatus();
}

// What a solve hands on to one continuing from its solution: L-BFGS's
// curvature pairs, or Newton's last Hessian.
struct Curvature {
  LbfgsMemory memory;
  Mat hessian;
};

absl::StatusOr<SolverResult> Solve(const LogisticProblem& problem,
                                   const SolverOptions& options,
                                   Curvature& curvature);

// The rows of the subsample of `n` rows whose runs start `period` apart.
size_t WarmRows(size_t n, size_t period) { return n / period * kWarmRunRows; }

// The rows between the starts of the warm start's runs: the sparsest step
// whose subsample has enough rows, 0 when none has. Only L-BFGS, whose
// passes are cheap but many, goes below 1/16 (at 10^5 x 128 a 1/4
// subsample saves a pass over every row); Newton and coordinate descent
// keep 1/16, so that below its threshold Newton's fits stay those of the
// partitioned fit, iterate for iterate.
size_t WarmPeriod(const LogisticProblem& p, v1::Solver solver) {
  const size_t least =
      std::max(kMinWarmRows, kMinWarmRowsPerFeature * (p.d + 1));
  for (size_t step : kWarmSteps) {
    const size_t period = step * kWarmRunRows;
    if (WarmRows(p.n, period) >= least) return period;
    if (solver != v1::SOLVER_LBFGS) break;
  }
  return 0;
}

// Fits a subsample first (the first kWarmRunRows rows of every
// WarmPeriod(), read in place: runs long enough to stream), from the
// standard start, with the loss scaled by the ratio of the weight sums so
// that the penalty keeps its weight, and moves theta to that fit (with its
// curvature): its error is the subsample's, so the solver then needs few
// passes over every row. False (nothing changed) when the subsample would
// be small, or its fit fails (e.g. a single class among its rows).
// `evaluations` and `rows`: the subsample fit's passes over its rows, and
// their number.
bool WarmStart(const LogisticProblem& p, const SolverOptions& o, Vec& theta,
               Curvature& curvature, int& evaluations, size_t& rows) {
  const size_t period = WarmPeriod(p, o.solver);
  if (!o.warm_start || o.unpenalized || p.sample_period != 0 || period == 0) {
    return false;
  }
  LogisticProblem sub = p;
  sub.churner_z_sums = nullptr;  // the sums of every row
  sub.n = WarmRows(p.n, period);
  sub.sample_rows = kWarmRunRows;
  sub.sample_period = period;
  const auto [neg, pos] = ClassWeightSums(p);
  const auto [sub_neg, sub_pos] = ClassWeightSums(sub);
  if (!(sub_neg > 0 && sub_pos > 0)) return false;
  sub.loss_scale = p.loss_scale * ((neg + pos) / (sub_neg + sub_pos));
  SolverOptions so = o;
  so.tolerance = std::max(o.tolerance, kWarmTolerance);
  absl::StatusOr<SolverResult> fit = Solve(sub, so, curvature);
  if (fit.ok()) {
    evaluations = fit->evaluations;
    rows = sub.n;
  }
  if (!fit.ok() || !fit->converged) {
    curvature = Curvature();
    return false;
  }
  theta = Eigen::Map<const Vec>(fit->theta.data(), p.d + 1);
  return true;
}

absl::StatusOr<SolverResult> Solve(const LogisticProblem& problem,
                                   const SolverOptions& options,
                                   Curvature& curvature) {
  const bool hessian = options.solver != v1::SOLVER_LBFGS;
  Vec theta = StartingPoint(problem);
  Evaluator ev(problem, hessian, options.portable_kernels, theta[0]);
  SolverResult res;
  const bool warm = WarmStart(problem, options, theta, curvature,
                              res.subsample_evaluations, res.subsample_rows);
  res.warm_started = warm;
  absl::Status status;
  switch (options.solver) {
    case v1::SOLVER_LBFGS:
      status = Lbfgs(problem, options, warm, ev, theta, curvature.memory, res);
      break;
    case v1::SOLVER_COORDINATE_DESCENT:
      status = CoordinateDescent(problem, options, warm, ev, theta, res);
      break;
    default:
      status = Newton(options, warm, ev, theta, curvature.hessian, res);
      break;
  }
  if (!status.ok()) return status;
  res.evaluations = ev.evaluations();
  res.theta.assign(theta.data(), theta.data() + theta.size());
  return res;
}

}  // namespace

void LinearPredictor(const double* x, size_t rows, size_t d,
                     const double* gamma, double c0, double* eta) {
#ifdef CHURNKIT_LOGISTIC_AVX2
  if (HasAvx2()) return avx2::LinearPredictor(x, rows, d, gamma, c0, eta);
#endif
  portable::LinearPredictor(x, rows, d, gamma, c0, eta);
}

void Sigmoids(const double* eta, size_t rows, double* p) {
#ifdef CHURNKIT_LOGISTIC_AVX2
  if (HasAvx2()) return avx2::Sigmoids(eta, rows, p);
#endif
  portable::Sigmoids(eta, rows, p);
}

absl::StatusOr<SolverResult> SolveLogistic(const LogisticProblem& problem,
                                           const SolverOptions& options) {
  Curvature curvature;
  return Solve(problem, options, curvature);
}

PassSums SumPass(const LogisticProblem& problem,
                 const std::vector<double>& theta, bool hessian) {
  LogisticProblem p = problem;
  p.loss_scale = 1;
  p.l1 = p.l2 = 0;
  Evaluator ev(p, hessian, /*force_portable=*/false, 0);
  Evaluation e;
  ev.Evaluate(Eigen::Map<const Vec>(theta.data(), p.d + 1),
              hessian ? Need::kHessian : Need::kGradient, &e);
  PassSums sums;
  sums.loss = e.smooth;
  sums.wrong = e.wrong;
  sums.gradient.assign(e.grad.data(), e.grad.data() + e.grad.size());
  if (hessian) {
    const size_t dim = p.d + 1;
    sums.hessian.assign(dim * dim, 0.0);
    for (size_t j = 0; j < dim; ++j) {
      for (size_t k = 0; k <= j; ++k) sums.hessian[j * dim + k] = e.hess(j, k);
    }
  }
  return sums;
}

struct NewtonRounds::State {
  LogisticProblem shape;  // active points into `active`
  std::vector<uint8_t> active;
  SolverOptions options;
  Vec theta;
  Evaluation at_theta;
  bool started = false;
  // The line search from theta along delta: the trial step t after
  // `halvings` halvings.
  Vec delta;
  double f0 = 0, decrease = 0, t = 1;
  int halvings = 0;
  bool unresolved = false;
};

NewtonRounds::NewtonRounds(const LogisticProblem& shape,
                           const SolverOptions& options, double start_intercept)
    : state_(std::make_unique<State>()) {
  State& st = *state_;
  st.active.assign(shape.active, shape.active + shape.d);
  st.shape = shape;
  st.shape.active = st.active.data();
  st.shape.x = nullptr;
  st.shape.y = nullptr;
  st.shape.sample_weights = nullptr;
  st.options = options;
  st.theta = Vec::Zero(shape.d + 1);
  st.theta[0] = start_intercept;
  point_.assign(st.theta.data(), st.theta.data() + st.theta.size());
}

NewtonRounds::~NewtonRounds() = default;
NewtonRounds::NewtonRounds(NewtonRounds&&) noexcept = default;
NewtonRounds& NewtonRounds::operator=(NewtonRounds&&) noexcept = default;

absl::StatusOr<bool> NewtonRounds::Consume(const PassSums& sums) {
  State& st = *state_;
  const size_t dim = st.shape.d + 1;
  if (sums.gradient.size() != dim || sums.hessian.size() != dim * dim) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pass sums: ", sums.gradient.size(), " gradient and ",
        sums.hessian.size(), " Hessian values for ", dim, " parameters"));
  }
  Evaluation e;
  e.wrong = sums.wrong;
  e.grad = Eigen::Map<const Vec>(sums.gradient.data(), dim);
  e.hess = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic,
                                          Eigen::Dynamic, Eigen::RowMajor>>(
      sums.hessian.data(), dim, dim);
  const Vec at = Eigen::Map<const Vec>(point_.data(), dim);
  Penalize(st.shape, at, sums.loss, Need::kHessian, false, &e);
  ++result_.evaluations;
  if (!st.started) {
    st.started = true;
    st.at_theta = std::move(e);
    result_.initial_gradient_norm = MaxAbs(st.at_theta.grad);
    return Iterate();
  }
  // NewtonStep's rule: t = 1 when function values cannot judge the step.
  if ((st.halvings == 0 && st.unresolved) ||
      e.smooth <= st.f0 + kArmijo * st.t * st.decrease) {
    st.theta = at;
    st.at_theta = std::move(e);
    ++result_.iterations;
    return Iterate();
  }
  if (++st.halvings == kMaxHalvings) return Finish();
  st.t *= 0.5;
  const Vec next = st.theta + st.t * st.delta;
  point_.assign(next.data(), next.data() + dim);
  return false;
}

absl::StatusOr<bool> NewtonRounds::Iterate() {
  State& st = *state_;
  const Evaluation& e = st.at_theta;
  if (!std::isfinite(e.smooth)) {
    return absl::InternalError("the objective is not finite");
  }
  if (st.options.unpenalized && e.wrong == 0) return SeparableError();
  result_.gradient_norm = MaxAbs(e.grad);
  result_.objective = e.smooth;
  if (Converged(result_.gradient_norm, result_.initial_gradient_norm,
                st.options.tolerance, result_.objective)) {
    result_.converged = true;
    return Finish();
  }
  if (result_.iterations == st.options.max_iterations) return Finish();
  absl::StatusOr<Vec> delta = NewtonDirection(e, st.options.unpenalized);
  if (!delta.ok()) return delta.status();
  st.decrease = e.grad.dot(*delta);
  if (!(st.decrease < 0)) return Finish();
  st.delta = *std::move(delta);
  st.f0 = e.smooth;
  st.unresolved = BelowResolution(st.decrease, st.f0);
  st.t = 1;
  st.halvings = 0;
  const Vec next = st.theta + st.delta;
  point_.assign(next.data(), next.data() + next.size());
  return false;
}

absl::StatusOr<bool> NewtonRounds::Finish() {
  State& st = *state_;
  if (st.options.unpenalized && result_.converged) {
    CK_RETURN_IF_ERROR(CheckIdentified(st.at_theta.hess));
  }
  result_.theta.assign(st.theta.data(), st.theta.data() + st.theta.size());
  return true;
}

}  // namespace churnkit::internal
