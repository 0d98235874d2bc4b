#include "churnkit/clv.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "internal/config_util.h"
#include "internal/event_filter.h"
#include "internal/special.h"

namespace churnkit {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

double DaysPerUnit(v1::ClvTimeUnit unit) {
  return unit == v1::CLV_WEEKS ? 7.0 : 1.0;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// "customer 'c7' (index 6)" or "customer 6".
std::string Who(const RfmSummaries& rfm, size_t i) {
  if (rfm.customer_ids.empty()) return absl::StrCat("customer ", i);
  return absl::StrCat("customer '", rfm.customer_ids[i], "' (index ", i, ")");
}

// What is wrong with one customer's (x, t_x, T), or "" when nothing.
std::string RfmProblem(double x, double tx, double t) {
  for (auto [name, v] : {std::pair<const char*, double>{"frequency", x},
                         {"recency", tx},
                         {"age", t}}) {
    if (!std::isfinite(v) || v < 0) {
      return absl::StrCat(name, " ", v, " is not a finite value >= 0");
    }
  }
  if (x != std::floor(x)) {
    return absl::StrCat("frequency ", x, " is not a whole number");
  }
  if (tx > t) return absl::StrCat("recency ", tx, " > age ", t);
  if (x == 0 && tx != 0) {
    return absl::StrCat("recency ", tx, " with frequency 0");
  }
  if (x > 0 && tx == 0) return absl::StrCat("frequency ", x, " with recency 0");
  return "";
}

absl::Status MonetaryNeeded() {
  return absl::InvalidArgumentError("summaries: monetary values are needed");
}

// ---- Minimiser
// ---------------------------------------------------------------

// f(u, grad) -> objective; grad receives the gradient.
using Objective =
    std::function<double(const std::vector<double>&, std::vector<double>*)>;

struct MinimizeResult {
  std::vector<double> u;
  double value = 0;
  double gradient_norm = 0;
  int iterations = 0;
  bool converged = false;
};

double MaxAbs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

// Solves H x = -g for a small dense system by Gaussian elimination with
// partial pivoting (H is overwritten); false when H is singular.
bool SolveInPlace(size_t d, std::vector<double>* h, std::vector<double>* x,
                  const std::vector<double>& g) {
  std::vector<double>& a = *h;
  std::vector<double> b(d);
  for (size_t i = 0; i < d; ++i) b[i] = -g[i];
  for (size_t k = 0; k < d; ++k) {
    size_t pivot = k;
    for (size_t i = k + 1; i < d; ++i) {
      if (std::fabs(a[i * d + k]) > std::fabs(a[pivot * d + k])) pivot = i;
    }
    if (!(std::fabs(a[pivot * d + k]) > 0)) return false;
    if (pivot != k) {
      for (size_t j = 0; j < d; ++j) std::swap(a[k * d + j], a[pivot * d + j]);
      std::swap(b[k], b[pivot]);
    }
    for (size_t i = k + 1; i < d; ++i) {
      const double m = a[i * d + k] / a[k * d + k];
      for (size_t j = k; j < d; ++j) a[i * d + j] -= m * a[k * d + j];
      b[i] -= m * b[k];
    }
  }
  x->assign(d, 0.0);
  for (size_t k = d; k-- > 0;) {
    double v = b[k];
    for (size_t j = k + 1; j < d; ++j) v -= a[k * d + j] * (*x)[j];
    (*x)[k] = v / a[k * d + k];
  }
  return std::all_of(x->begin(), x->end(),
                     [](double v) { return std::isfinite(v); });
}

// BFGS on an inverse-Hessian approximation with a backtracking Armijo line
// search; steps are capped at 5 in every coordinate (log-parameters), and a
// step that makes the objective non-finite is shortened. Deterministic.
MinimizeResult MinimizeBfgs(const Objective& f, std::vector<double> u,
                            double tolerance, int max_iterations) {
  const size_t d = u.size();
  MinimizeResult r;
  std::vector<double> g(d), g_new(d), u_new(d), dir(d), s(d), y(d);
  std::vector<double> h(d * d, 0.0);
  auto reset = [&] {
    std::fill(h.begin(), h.end(), 0.0);
    for (size_t i = 0; i < d; ++i) h[i * d + i] = 1;
  };
  reset();
  double fx = f(u, &g);
  bool fresh = true;   // h is the identity
  int flat_steps = 0;  // accepted steps that only shrank the gradient
  for (r.iterations = 0; r.iterations < max_iterations; ++r.iterations) {
    if (MaxAbs(g) < tolerance) break;
    for (size_t i = 0; i < d; ++i) {
      dir[i] = 0;
      for (size_t j = 0; j < d; ++j) dir[i] -= h[i * d + j] * g[j];
    }
    double slope = 0;
    for (size_t i = 0; i < d; ++i) slope += dir[i] * g[i];
    if (!(slope < 0)) {  // not a descent direction: restart
      reset();
      fresh = true;
      for (size_t i = 0; i < d; ++i) dir[i] = -g[i];
      slope = 0;
      for (size_t i = 0; i < d; ++i) slope += dir[i] * g[i];
    }
    double step = std::min(1.0, 5.0 / std::max(MaxAbs(dir), 1e-300));
    double f_new = 0;
    bool accepted = false;
    for (int k = 0; k < 60; ++k, step *= 0.5) {
      for (size_t i = 0; i < d; ++i) u_new[i] = u[i] + step * dir[i];
      f_new = f(u_new, &g_new);
      if (!std::isfinite(f_new)) continue;
      // Armijo; or, once f is flat to rounding (near the optimum, where
      // its decrease falls below its resolution), a smaller gradient.
      if (f_new <= fx + 1e-4 * step * slope) {
        accepted = true;
        flat_steps = 0;
        break;
      }
      if (std::fabs(f_new - fx) <= 1e-14 * std::max(1.0, std::fabs(fx)) &&
          MaxAbs(g_new) < MaxAbs(g)) {
        accepted = true;
        ++flat_steps;
        break;
      }
    }
    if (flat_steps >= 5) break;  // flat to rounding: leave it to Newton
    if (!accepted) {
      if (fresh) break;  // even steepest descent makes no progress
      reset();
      fresh = true;
      continue;
    }
    double sy = 0, yy = 0;
    for (size_t i = 0; i < d; ++i) {
      s[i] = u_new[i] - u[i];
      y[i] = g_new[i] - g[i];
      sy += s[i] * y[i];
      yy += y[i] * y[i];
    }
    u = u_new;
    g = g_new;
    fx = f_new;
    if (sy > 1e-12 * std::sqrt(yy) * MaxAbs(s)) {
      if (fresh) {  // scale the identity to the curvature seen
        for (size_t i = 0; i < d; ++i) h[i * d + i] = sy / yy;
      }
      // H <- (I - rho s y') H (I - rho y s') + rho s s'.
      const double rho = 1 / sy;
      std::vector<double> hy(d, 0.0);
      for (size_t i = 0; i < d; ++i) {
        for (size_t j = 0; j < d; ++j) hy[i] += h[i * d + j] * y[j];
      }
      double yhy = 0;
      for (size_t i = 0; i < d; ++i) yhy += y[i] * hy[i];
      for (size_t i = 0; i < d; ++i) {
        for (size_t j = 0; j < d; ++j) {
          h[i * d + j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) +
                          (rho * rho * yhy + rho) * s[i] * s[j];
        }
      }
      fresh = false;
    }
  }
  // Near the optimum the objective is flat to rounding, so an Armijo line
  // search stalls while the gradient is still above the tolerance (an
  // ill-conditioned likelihood, e.g. r and alpha moving together). Newton
  // steps on a Hessian by central differences of the analytic gradient need
  // only the gradient to shrink, and finish the job in a few steps.
  for (int polish = 0;
       polish < 20 && r.iterations < max_iterations && MaxAbs(g) >= tolerance;
       ++polish) {
    constexpr double kH = 1e-5;
    std::vector<double> hess(d * d), g_plus(d), g_minus(d);
    bool finite = true;
    for (size_t j = 0; j < d && finite; ++j) {
      std::vector<double> probe = u;
      probe[j] = u[j] + kH;
      finite = std::isfinite(f(probe, &g_plus));
      probe[j] = u[j] - kH;
      finite = finite && std::isfinite(f(probe, &g_minus));
      for (size_t i = 0; i < d; ++i) {
        hess[i * d + j] = (g_plus[i] - g_minus[i]) / (2 * kH);
      }
    }
    if (!finite) break;
    for (size_t i = 0; i < d; ++i) {
      for (size_t j = 0; j < i; ++j) {
        hess[i * d + j] = hess[j * d + i] =
            0.5 * (hess[i * d + j] + hess[j * d + i]);
      }
    }
    if (!SolveInPlace(d, &hess, &dir, g)) break;  // dir = -H^-1 g
    double slope = 0;
    for (size_t i = 0; i < d; ++i) slope += dir[i] * g[i];
    if (!(slope < 0)) break;  // not a minimum's curvature
    bool improved = false;
    for (double step = 1; step > 1e-3 && !improved; step *= 0.5) {
      for (size_t i = 0; i < d; ++i) u_new[i] = u[i] + step * dir[i];
      const double f_new = f(u_new, &g_new);
      if (std::isfinite(f_new) && MaxAbs(g_new) < MaxAbs(g)) {
        u = u_new;
        g = g_new;
        fx = f_new;
        improved = true;
      }
    }
    if (!improved) break;
    ++r.iterations;
  }
  r.u = std::move(u);
  r.value = fx;
  r.gradient_norm = MaxAbs(g);
  r.converged = r.gradient_norm < tolerance;
  return r;
}

struct FitSettings {
  double penalizer = 0;
  double tolerance = 1e-9;
  int max_iterations = 200;
  bool allow_not_converged = false;
};

absl::StatusOr<FitSettings> ReadFitOptions(const v1::ClvFitOptions& o) {
  FitSettings s;
  if (!std::isfinite(o.penalizer_coef()) || o.penalizer_coef() < 0) {
    return internal::PathError("penalizer_coef", "must be finite and >= 0");
  }
  s.penalizer = o.penalizer_coef();
  if (o.tolerance() != 0) {
    if (!(o.tolerance() > 0 && o.tolerance() < 1)) {
      return internal::PathError("tolerance", "must be in (0, 1)");
    }
    s.tolerance = o.tolerance();
  }
  if (o.max_iterations() < 0) {
    return internal::PathError("max_iterations", "must be >= 0");
  }
  if (o.max_iterations() > 0) s.max_iterations = o.max_iterations();
  s.allow_not_converged = o.allow_not_converged();
  return s;
}

// Shared end of both fits: divergence and convergence checks.
absl::Status CheckFit(const MinimizeResult& r, const FitSettings& s,
                      const std::vector<std::string>& names,
                      absl::string_view model) {
  for (size_t k = 0; k < names.size(); ++k) {
    if (std::fabs(r.u[k]) > 30) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s: parameter %s ran off to %g; the likelihood has no interior "
          "maximum on these data (too few repeat buyers?); set "
          "penalizer_coef > 0",
          model, names[k], std::exp(r.u[k])));
    }
  }
  if (!r.converged && !s.allow_not_converged) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: no convergence after %d iterations (gradient %g > tolerance "
        "%g); raise max_iterations or set allow_not_converged",
        model, r.iterations, r.gradient_norm, s.tolerance));
  }
  return absl::OkStatus();
}

// Customers per distinct frequency of a list of patterns sorted by
// frequency first (canonical), for the terms that depend on x only.
std::vector<std::pair<double, double>> CountsByFrequency(
    const std::vector<double>& x, const std::vector<double>& n) {
  std::vector<std::pair<double, double>> out;
  for (size_t i = 0; i < x.size(); ++i) {
    if (out.empty() || out.back().first != x[i]) out.push_back({x[i], 0});
    out.back().second += n[i];
  }
  return out;
}

// ---- BG/NBD
// ------------------------------------------------------------------

struct BgNbdParams {
  double r, alpha, a, b;
};

// BG/NBD data: the distinct (x, t_x, T) patterns, each weighted by its
// customers.
struct PurchaseData {
  std::vector<double> x, tx, t, n;
  std::vector<std::pair<double, double>> counts;  // customers per distinct x
  double customers = 0;
};

// From validated patterns; times multiplied by `scale`.
PurchaseData MakePurchaseData(const v1::RfmPatterns& p, double scale = 1) {
  PurchaseData d;
  d.x.assign(p.frequency().begin(), p.frequency().end());
  d.n.assign(p.customers().begin(), p.customers().end());
  for (int i = 0; i < p.frequency_size(); ++i) {
    d.tx.push_back(p.recency(i) * scale);
    d.t.push_back(p.age(i) * scale);
    d.customers += d.n[i];
  }
  d.counts = CountsByFrequency(d.x, d.n);
  return d;
}

// Sum of log-likelihoods and, when `grad` is not null, its gradient with
// respect to (r, alpha, a, b). Times in any consistent unit.
double BgNbdSum(const BgNbdParams& p, const PurchaseData& d, double grad[4]) {
  const double r = p.r, alpha = p.alpha, a = p.a, b = p.b;
  double ll = 0, gr = 0, galpha = 0, ga = 0, gb = 0;
  // A1 + A2 per distinct x.
  const double log_alpha = std::log(alpha);
  const double lg_r = std::lgamma(r), lg_ab = std::lgamma(a + b),
               lg_b = std::lgamma(b);
  const double psi_r = grad ? internal::Digamma(r) : 0;
  const double psi_ab = grad ? internal::Digamma(a + b) : 0;
  const double psi_b = grad ? internal::Digamma(b) : 0;
  for (const auto& [xv, n] : d.counts) {
    ll += n * (std::lgamma(r + xv) - lg_r + r * log_alpha + lg_ab +
               std::lgamma(b + xv) - lg_b - std::lgamma(a + b + xv));
    if (grad) {
      const double psi_abx = internal::Digamma(a + b + xv);
      gr += n * (internal::Digamma(r + xv) - psi_r + log_alpha);
      galpha += n * r / alpha;
      ga += n * (psi_ab - psi_abx);
      gb += n * (psi_ab + internal::Digamma(b + xv) - psi_b - psi_abx);
    }
  }
  // log(exp(A3) + [x > 0] exp(A4)) per pattern, times its customers.
  const double log_a = std::log(a);
  for (size_t i = 0; i < d.x.size(); ++i) {
    const double xi = d.x[i], rx = r + xi, n = d.n[i];
    const double log_at = std::log(alpha + d.t[i]);
    const double a3 = -rx * log_at;
    if (xi == 0) {
      ll += n * a3;
      if (grad) {
        gr -= n * log_at;
        galpha -= n * rx / (alpha + d.t[i]);
      }
      continue;
    }
    const double log_atx = std::log(alpha + d.tx[i]);
    const double bx1 = b + xi - 1;
    const double a4 = log_a - std::log(bx1) - rx * log_atx;
    const double m = std::max(a3, a4);
    const double e3 = std::exp(a3 - m), e4 = std::exp(a4 - m);
    ll += n * (m + std::log(e3 + e4));
    if (grad) {
      const double w3 = n * e3 / (e3 + e4), w4 = n * e4 / (e3 + e4);
      gr -= w3 * log_at + w4 * log_atx;
      galpha -= rx * (w3 / (alpha + d.t[i]) + w4 / (alpha + d.tx[i]));
      ga += w4 / a;
      gb -= w4 / bx1;
    }
  }
  if (grad) {
    grad[0] = gr;
    grad[1] = galpha;
    grad[2] = ga;
    grad[3] = gb;
  }
  return ll;
}

absl::Status CheckPositive(absl::string_view name, double v) {
  if (!std::isfinite(v) || v <= 0) {
    return internal::PathError(name, absl::StrCat("must be finite and > 0, "
                                                  "not ",
                                                  v));
  }
  return absl::OkStatus();
}

absl::Status ValidateBgNbd(const v1::BgNbdModel& m) {
  for (auto [name, v] : {std::pair<const char*, double>{"r", m.r()},
                         {"alpha", m.alpha()},
                         {"a", m.a()},
                         {"b", m.b()}}) {
    if (absl::Status s = CheckPositive(name, v); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ValidateGammaGamma(const v1::GammaGammaModel& m) {
  for (auto [name, v] : {std::pair<const char*, double>{"p", m.p()},
                         {"q", m.q()},
                         {"v", m.v()}}) {
    if (absl::Status s = CheckPositive(name, v); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// ---- Gamma-Gamma
// ---------------------------------------------------------------

// Gamma-Gamma data: the distinct (x, m) patterns of repeat buyers with
// spend, each weighted by its customers.
struct SpendData {
  std::vector<double> x, m, n;
  std::vector<std::pair<double, double>> counts;  // customers per distinct x
  double customers = 0;
  double sum_x_log_m = 0, sum_log_m = 0;
};

// From validated patterns.
SpendData MakeSpendData(const v1::RfmPatterns& p) {
  SpendData d;
  d.x.assign(p.spend_frequency().begin(), p.spend_frequency().end());
  d.m.assign(p.spend_monetary().begin(), p.spend_monetary().end());
  d.n.assign(p.spend_customers().begin(), p.spend_customers().end());
  for (size_t i = 0; i < d.x.size(); ++i) {
    const double log_m = std::log(d.m[i]);
    d.sum_x_log_m += d.n[i] * d.x[i] * log_m;
    d.sum_log_m += d.n[i] * log_m;
    d.customers += d.n[i];
  }
  d.counts = CountsByFrequency(d.x, d.n);
  return d;
}

// lifetimes' GammaGammaFitter log-likelihood summed over repeat buyers
// (per pattern, times its customers):
//   lgamma(px + q) - lgamma(px) - lgamma(q) + q log v + (px - 1) log m
//   + px log x - (px + q) log(x m + v).
double GammaGammaSum(double p, double q, double v, const SpendData& d,
                     double grad[3]) {
  double ll = 0, gp = 0, gq = 0, gv = 0;
  const double lg_q = std::lgamma(q), log_v = std::log(v);
  const double psi_q = grad ? internal::Digamma(q) : 0;
  for (const auto& [xv, n] : d.counts) {
    const double px = p * xv;
    ll += n * (std::lgamma(px + q) - std::lgamma(px) - lg_q + q * log_v +
               px * std::log(xv));
    if (grad) {
      const double psi_pxq = internal::Digamma(px + q);
      gp += n * xv * (psi_pxq - internal::Digamma(px) + std::log(xv));
      gq += n * (psi_pxq - psi_q + log_v);
      gv += n * q / v;
    }
  }
  ll += p * d.sum_x_log_m - d.sum_log_m;
  if (grad) gp += d.sum_x_log_m;
  for (size_t i = 0; i < d.x.size(); ++i) {
    const double xm_v = d.x[i] * d.m[i] + v;
    const double w = p * d.x[i] + q;
    const double n_log_xm_v = d.n[i] * std::log(xm_v);
    ll -= w * n_log_xm_v;
    if (grad) {
      gp -= d.x[i] * n_log_xm_v;
      gq -= n_log_xm_v;
      gv -= d.n[i] * w / xm_v;
    }
  }
  if (grad) {
    grad[0] = gp;
    grad[1] = gq;
    grad[2] = gv;
  }
  return ll;
}

// ---- Predictions
// ---------------------------------------------------------------

// (a + b + x - 1) / (a - 1) * [1 - (1 - z)^(r + x) 2F1(r + x, b + x;
// a + b + x - 1; z)] with z = t / (alpha + T + t), through Euler's
// transformation 2F1(A, B; C; z) = (1 - z)^(C - A - B) 2F1(C - A, C - B; C;
// z): the bracket is 1 - (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1;
// a + b + x - 1; z), whose parameters do not grow with x. Near the
// removable singularities a = 1 and a + b + x - 1 = 0 the value is
// interpolated linearly from a = 1 +- 2e-4 or from b shifted to make
// a + b + x - 1 = +-2e-4 (error O(1e-8) relative).
absl::StatusOr<double> PurchaseNumerator(double r, double alpha, double a,
                                         double b, double x, double age,
                                         double t) {
  // Interpolate inside +-kDelta from points at +-kStep (outside it).
  constexpr double kDelta = 1e-4, kStep = 2e-4;
  auto interpolate = [&](double v, double lo_v, double hi_v, double lo,
                         double hi) {
    return lo + (v - lo_v) / (hi_v - lo_v) * (hi - lo);
  };
  if (std::fabs(a - 1) < kDelta) {
    absl::StatusOr<double> lo =
        PurchaseNumerator(r, alpha, 1 - kStep, b, x, age, t);
    absl::StatusOr<double> hi =
        PurchaseNumerator(r, alpha, 1 + kStep, b, x, age, t);
    if (!lo.ok()) return lo.status();
    if (!hi.ok()) return hi.status();
    return interpolate(a, 1 - kStep, 1 + kStep, *lo, *hi);
  }
  const double c = a + b + x - 1;
  if (std::fabs(c) < kDelta) {
    const double b_lo = b - c - kStep, b_hi = b - c + kStep;
    absl::StatusOr<double> lo = PurchaseNumerator(r, alpha, a, b_lo, x, age, t);
    absl::StatusOr<double> hi = PurchaseNumerator(r, alpha, a, b_hi, x, age, t);
    if (!lo.ok()) return lo.status();
    if (!hi.ok()) return hi.status();
    return interpolate(b, b_lo, b_hi, *lo, *hi);
  }
  const double z = t / (alpha + age + t);
  absl::StatusOr<double> f =
      internal::Hyp2F1(a + b - 1 - r, a - 1, c, z, 1000000);
  if (!f.ok()) return f.status();
  const double bracket = 1 - std::pow(1 - z, a - 1) * *f;
  return c / (a - 1) * bracket;
}

absl::Status ValidateClvOptions(const v1::ClvPredictOptions& o) {
  if (!std::isfinite(o.horizon()) || o.horizon() <= 0) {
    return internal::PathError("horizon", "must be finite and > 0");
  }
  if (o.has_margin() && (!std::isfinite(o.margin()) || o.margin() <= 0)) {
    return internal::PathError("margin", "must be finite and > 0");
  }
  if (!std::isfinite(o.discount_rate()) || o.discount_rate() < 0) {
    return internal::PathError("discount_rate", "must be finite and >= 0");
  }
  if (o.discount_rate() > 0 &&
      (!std::isfinite(o.discount_period()) || o.discount_period() <= 0)) {
    return internal::PathError("discount_period",
                               "must be finite and > 0 with a discount_rate");
  }
  if (o.discount_rate() > 0 && o.horizon() / o.discount_period() > 100000) {
    return internal::PathError("discount_period",
                               "gives more than 100000 periods");
  }
  return absl::OkStatus();
}

// ---- Patterns
// ----------------------------------------------------------------------

// The most customers a pattern summary may count: every count is then
// exact as a double weight.
constexpr int64_t kMaxPatternCustomers = int64_t{1} << 53;

// Patterns with their customers, in any order and possibly repeated.
template <size_t K>
using Keyed = std::vector<std::pair<std::array<double, K>, int64_t>>;

// Canonical: sorted ascending, equal patterns combined (counts add). The
// caller bounds the total, so the sums cannot overflow.
template <size_t K>
Keyed<K> Canonical(Keyed<K> v) {
  std::sort(v.begin(), v.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Keyed<K> out;
  for (const auto& [key, n] : v) {
    if (!out.empty() && out.back().first == key) {
      out.back().second += n;
    } else {
      out.push_back({key, n});
    }
  }
  return out;
}

// Writes canonical purchase and spend patterns into `out`.
void SetPatterns(const Keyed<3>& purchases, const Keyed<2>& spend,
                 v1::RfmPatterns* out) {
  for (const auto& [key, n] : purchases) {
    out->add_frequency(key[0]);
    out->add_recency(key[1]);
    out->add_age(key[2]);
    out->add_customers(n);
  }
  for (const auto& [key, n] : spend) {
    out->add_spend_frequency(key[0]);
    out->add_spend_monetary(key[1]);
    out->add_spend_customers(n);
  }
}

// Customers of validated patterns (purchases; every customer has one).
int64_t CustomersOf(const v1::RfmPatterns& p) {
  int64_t total = 0;
  for (int64_t n : p.customers()) total += n;
  return total;
}

// ValidateRfmPatterns with messages prefixed by `where`.
absl::Status CheckPatterns(const v1::RfmPatterns& p, absl::string_view where) {
  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
  };
  if (!v1::ClvTimeUnit_IsValid(p.time_unit())) {
    return bad(absl::StrCat("time_unit ", p.time_unit(), " is unknown"));
  }
  const int n = p.frequency_size();
  if (p.recency_size() != n || p.age_size() != n || p.customers_size() != n) {
    return bad(absl::StrCat(
        "frequency, recency, age and customers have different lengths (", n,
        ", ", p.recency_size(), ", ", p.age_size(), ", ", p.customers_size(),
        ")"));
  }
  const int k = p.spend_frequency_size();
  if (p.spend_monetary_size() != k || p.spend_customers_size() != k) {
    return bad(absl::StrCat(
        "spend_frequency, spend_monetary and spend_customers have different "
        "lengths (",
        k, ", ", p.spend_monetary_size(), ", ", p.spend_customers_size(), ")"));
  }
  if (k > 0 && !p.has_monetary()) {
    return bad("spend patterns without has_monetary");
  }
  if (p.customers_without_orders() < 0) {
    return bad(absl::StrCat("customers_without_orders ",
                            p.customers_without_orders(), " < 0"));
  }
  // Counts in [1, 2^53] summing to at most 2^53 (no overflow on the way).
  auto count = [&](absl::string_view list, int i, int64_t c,
                   int64_t* total) -> absl::Status {
    if (c < 1 || c > kMaxPatternCustomers - *total) {
      return bad(absl::StrCat(list, "[", i, "]: customers ", c,
                              c < 1 ? " < 1" : " makes more than 2^53"));
    }
    *total += c;
    return absl::OkStatus();
  };
  const std::string order =
      "not after the previous pattern (canonical order is strictly "
      "ascending; MergeRfmPatterns makes it)";
  int64_t customers = 0;
  for (int i = 0; i < n; ++i) {
    const std::string problem =
        RfmProblem(p.frequency(i), p.recency(i), p.age(i));
    if (!problem.empty()) {
      return bad(absl::StrCat("purchases[", i, "]: ", problem));
    }
    if (absl::Status s = count("purchases", i, p.customers(i), &customers);
        !s.ok()) {
      return s;
    }
    if (i > 0 &&
        !(std::array{p.frequency(i - 1), p.recency(i - 1), p.age(i - 1)} <
          std::array{p.frequency(i), p.recency(i), p.age(i)})) {
      return bad(absl::StrCat("purchases[", i, "]: ", order));
    }
  }
  int64_t spenders = 0;
  for (int i = 0; i < k; ++i) {
    const double x = p.spend_frequency(i), m = p.spend_monetary(i);
    if (!(std::isfinite(x) && x > 0 && x == std::floor(x))) {
      return bad(absl::StrCat("spend[", i, "]: frequency ", x,
                              " is not a whole number > 0"));
    }
    if (!(std::isfinite(m) && m > 0)) {
      return bad(absl::StrCat("spend[", i, "]: monetary ", m,
                              " is not a finite value > 0"));
    }
    if (absl::Status s = count("spend", i, p.spend_customers(i), &spenders);
        !s.ok()) {
      return s;
    }
    if (i > 0 && !(std::array{p.spend_frequency(i - 1),
                              p.spend_monetary(i - 1)} < std::array{x, m})) {
      return bad(absl::StrCat("spend[", i, "]: ", order));
    }
  }
  if (spenders > customers) {
    return bad(absl::StrCat("spend patterns count ", spenders,
                            " customers, more than the ", customers,
                            " in all"));
  }
  return absl::OkStatus();
}

}  // namespace

// ---- Summaries
// -------------------------------------------------------------------

absl::StatusOr<RfmSummaries> ComputeRfmSummaries(
    const Dataset& dataset, UnixSeconds as_of, const v1::RfmOptions& options) {
  if (as_of == kNoTime) {
    return absl::InvalidArgumentError("as_of is not set");
  }
  if (!v1::ClvTimeUnit_IsValid(options.time_unit())) {
    return internal::PathError("time_unit", "unknown value");
  }
  if (!v1::ClvAmountSource_IsValid(options.amount_source())) {
    return internal::PathError("amount_source", "unknown value");
  }
  v1::EventFilter filter = options.orders();
  if (filter.kinds().empty()) filter.add_kinds(v1::ORDER);
  absl::StatusOr<internal::CompiledFilter> compiled =
      internal::CompileFilter(filter, "orders");
  if (!compiled.ok()) return compiled.status();
  const internal::BoundFilter orders(*compiled, dataset);
  v1::EventFilter return_filter = options.returns();
  if (return_filter.kinds().empty()) return_filter.add_kinds(v1::RETURN);
  absl::StatusOr<internal::CompiledFilter> compiled_returns =
      internal::CompileFilter(return_filter, "returns");
  if (!compiled_returns.ok()) return compiled_returns.status();
  const internal::BoundFilter returns(*compiled_returns, dataset);
  const bool by_day = !options.keep_same_day_orders();
  const bool use_value = options.amount_source() == v1::CLV_EVENT_VALUE;

  RfmSummaries out;
  out.time_unit =
      options.time_unit() == v1::CLV_WEEKS ? v1::CLV_WEEKS : v1::CLV_DAYS;
  // Day mode: times are day numbers; the last observed day holds as_of - 1s.
  const double unit_seconds =
      DaysPerUnit(out.time_unit) * (by_day ? 1.0 : kSecondsPerDay);
  const int64_t end = by_day ? FloorDiv(as_of - 1, kSecondsPerDay) : as_of;
  const EventTable& ev = dataset.events();
  for (CustomerIndex c = 0; c < dataset.num_customers(); ++c) {
    int64_t first = 0, last = 0, purchases = 0;
    double repeat_sum = 0, bought = 0, returned = 0;
    for (size_t e = dataset.event_begin(c); e < dataset.event_end(c); ++e) {
      if (ev.time[e] >= as_of) break;  // sorted by time
      const double amount = use_value ? ev.value[e] : ev.amount[e];
      if (returns.Match(ev, e)) {
        returned += amount;
        continue;
      }
      if (!orders.Match(ev, e)) continue;
      bought += amount;
      const int64_t when =
          by_day ? FloorDiv(ev.time[e], kSecondsPerDay) : ev.time[e];
      if (purchases == 0) {
        first = last = when;
        purchases = 1;
        continue;
      }
      if (when != last) {
        ++purchases;
        last = when;
      }
      // An order at the time of the previous one adds to that purchase.
      if (purchases > 1) repeat_sum += amount;
    }
    if (purchases == 0) {
      ++out.customers_without_orders;
      continue;
    }
    const double x = static_cast<double>(purchases - 1);
    out.customer_ids.emplace_back(dataset.customer_id(c));
    out.frequency.push_back(x);
    out.recency.push_back(static_cast<double>(last - first) / unit_seconds);
    out.age.push_back(static_cast<double>(end - first) / unit_seconds);
    const double kept =
        bought > 0 ? std::clamp(1 - returned / bought, 0.0, 1.0) : 1.0;
    out.monetary.push_back(x > 0 ? repeat_sum / x * kept : 0.0);
  }
  return out;
}

absl::Status ValidateRfmSummaries(const RfmSummaries& rfm, bool need_monetary) {
  const size_t n = rfm.size();
  if (rfm.recency.size() != n || rfm.age.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "summaries: frequency, recency and age have different lengths (", n,
        ", ", rfm.recency.size(), ", ", rfm.age.size(), ")"));
  }
  if (!rfm.monetary.empty() && rfm.monetary.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "summaries: monetary has ", rfm.monetary.size(), " values, not ", n));
  }
  if (need_monetary && rfm.monetary.empty()) return MonetaryNeeded();
  if (!rfm.customer_ids.empty() && rfm.customer_ids.size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("summaries: ", rfm.customer_ids.size(),
                     " customer ids for ", n, " customers"));
  }
  for (size_t i = 0; i < n; ++i) {
    auto bad = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(Who(rfm, i), ": ", what));
    };
    const std::string problem =
        RfmProblem(rfm.frequency[i], rfm.recency[i], rfm.age[i]);
    if (!problem.empty()) return bad(problem);
    if (!rfm.monetary.empty()) {
      const double m = rfm.monetary[i];
      if (!std::isfinite(m) || m < 0) {
        return bad(absl::StrCat("monetary ", m, " is not a finite value >= 0"));
      }
    }
  }
  return absl::OkStatus();
}

v1::RfmSummaries ToProto(const RfmSummaries& rfm, UnixSeconds as_of) {
  v1::RfmSummaries out;
  out.set_time_unit(rfm.time_unit);
  out.mutable_as_of()->set_seconds(as_of);
  out.set_customers_without_orders(rfm.customers_without_orders);
  for (size_t i = 0; i < rfm.size(); ++i) {
    v1::RfmSummary* s = out.add_customers();
    if (!rfm.customer_ids.empty()) s->set_customer_id(rfm.customer_ids[i]);
    s->set_frequency(rfm.frequency[i]);
    s->set_recency(rfm.recency[i]);
    s->set_age(rfm.age[i]);
    if (!rfm.monetary.empty()) s->set_monetary(rfm.monetary[i]);
  }
  return out;
}

RfmSummaries FromProto(const v1::RfmSummaries& message) {
  RfmSummaries out;
  const size_t n = static_cast<size_t>(message.customers_size());
  out.customer_ids.reserve(n);
  for (auto* v : {&out.frequency, &out.recency, &out.age, &out.monetary}) {
    v->reserve(n);
  }
  for (const v1::RfmSummary& s : message.customers()) {
    out.customer_ids.push_back(s.customer_id());
    out.frequency.push_back(s.frequency());
    out.recency.push_back(s.recency());
    out.age.push_back(s.age());
    out.monetary.push_back(s.monetary());
  }
  out.time_unit = message.time_unit();
  out.customers_without_orders = message.customers_without_orders();
  return out;
}

// ---- Patterns
// ----------------------------------------------------------------------

absl::StatusOr<v1::RfmPatterns> SummarizeRfmPatterns(const RfmSummaries& rfm) {
  if (absl::Status s = ValidateRfmSummaries(rfm); !s.ok()) return s;
  if (!v1::ClvTimeUnit_IsValid(rfm.time_unit)) {
    return internal::PathError("time_unit", "unknown value");
  }
  if (rfm.customers_without_orders < 0) {
    return internal::PathError("customers_without_orders", "must be >= 0");
  }
  const bool spend = !rfm.monetary.empty();
  Keyed<3> purchases;
  Keyed<2> spenders;
  purchases.reserve(rfm.size());
  for (size_t i = 0; i < rfm.size(); ++i) {
    // + 0.0 turns -0.0 into 0.0, so equal patterns have equal bytes.
    const double x = rfm.frequency[i] + 0.0;
    purchases.push_back({{x, rfm.recency[i] + 0.0, rfm.age[i] + 0.0}, 1});
    if (spend && x > 0 && rfm.monetary[i] > 0) {
      spenders.push_back({{x, rfm.monetary[i]}, 1});
    }
  }
  v1::RfmPatterns out;
  out.set_time_unit(rfm.time_unit);
  out.set_has_monetary(spend);
  out.set_customers_without_orders(rfm.customers_without_orders);
  SetPatterns(Canonical(std::move(purchases)), Canonical(std::move(spenders)),
              &out);
  return out;
}

absl::Status ValidateRfmPatterns(const v1::RfmPatterns& patterns) {
  return CheckPatterns(patterns, "patterns");
}

absl::StatusOr<v1::RfmPatterns> MergeRfmPatterns(
    absl::Span<const v1::RfmPatterns> parts) {
  if (parts.empty()) return absl::InvalidArgumentError("parts: none given");
  int64_t customers = 0, without_orders = 0;
  // Parts without customers say nothing about monetary values.
  std::optional<bool> monetary;
  bool any_monetary = false;
  Keyed<3> purchases;
  Keyed<2> spenders;
  for (size_t i = 0; i < parts.size(); ++i) {
    const v1::RfmPatterns& p = parts[i];
    const std::string where = absl::StrCat("parts[", i, "]");
    if (absl::Status s = CheckPatterns(p, where); !s.ok()) return s;
    auto bad = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
    };
    if (p.time_unit() != parts[0].time_unit()) {
      return bad(absl::StrCat("time_unit ", v1::ClvTimeUnit_Name(p.time_unit()),
                              " differs from parts[0]'s ",
                              v1::ClvTimeUnit_Name(parts[0].time_unit())));
    }
    const int64_t n = CustomersOf(p);
    if (n > 0) {
      if (monetary.has_value() && *monetary != p.has_monetary()) {
        return bad(absl::StrCat(
            "has_monetary ", p.has_monetary() ? "true" : "false",
            " differs from the parts before (summaries with and without "
            "monetary values)"));
      }
      monetary = p.has_monetary();
    }
    any_monetary = any_monetary || p.has_monetary();
    if (n > kMaxPatternCustomers - customers ||
        p.customers_without_orders() >
            std::numeric_limits<int64_t>::max() - without_orders) {
      return bad("more than 2^53 customers in all");
    }
    customers += n;
    without_orders += p.customers_without_orders();
    for (int j = 0; j < p.frequency_size(); ++j) {
      purchases.push_back(
          {{p.frequency(j) + 0.0, p.recency(j) + 0.0, p.age(j) + 0.0},
           p.customers(j)});
    }
    for (int j = 0; j < p.spend_frequency_size(); ++j) {
      spenders.push_back(
          {{p.spend_frequency(j), p.spend_monetary(j)}, p.spend_customers(j)});
    }
  }
  v1::RfmPatterns out;
  out.set_time_unit(parts[0].time_unit());
  out.set_has_monetary(monetary.value_or(any_monetary));
  out.set_customers_without_orders(without_orders);
  SetPatterns(Canonical(std::move(purchases)), Canonical(std::move(spenders)),
              &out);
  return out;
}

// ---- Fits
// --------------------------------------------------------------------------

absl::StatusOr<v1::BgNbdModel> FitBgNbd(const RfmSummaries& rfm,
                                        const v1::ClvFitOptions& options) {
  absl::StatusOr<v1::RfmPatterns> patterns = SummarizeRfmPatterns(rfm);
  if (!patterns.ok()) return patterns.status();
  return FitBgNbd(*patterns, options);
}

absl::StatusOr<v1::BgNbdModel> FitBgNbd(const v1::RfmPatterns& patterns,
                                        const v1::ClvFitOptions& options) {
  absl::StatusOr<FitSettings> settings = ReadFitOptions(options);
  if (!settings.ok()) return settings.status();
  if (absl::Status s = ValidateRfmPatterns(patterns); !s.ok()) return s;
  if (patterns.frequency().empty()) {
    return absl::InvalidArgumentError("summaries: no customers");
  }
  if (patterns.frequency(patterns.frequency_size() - 1) == 0) {  // sorted
    return absl::FailedPreconditionError(
        "BG/NBD: no customer has a repeat purchase (frequency > 0); the "
        "likelihood has no maximum");
  }
  // lifetimes' scaling: times * s with s = 10 / max(T), so that alpha
  // starts near 1; the fitted alpha is divided back.
  const double max_age =
      *std::max_element(patterns.age().begin(), patterns.age().end());
  const double scale = 10 / max_age;
  const PurchaseData scaled = MakePurchaseData(patterns, scale);
  const double inv_n = 1.0 / scaled.customers;
  const double pen = settings->penalizer;
  const Objective objective = [&](const std::vector<double>& u,
                                  std::vector<double>* grad) {
    const BgNbdParams p{std::exp(u[0]), std::exp(u[1]), std::exp(u[2]),
                        std::exp(u[3])};
    double g[4];
    const double ll = BgNbdSum(p, scaled, g);
    const double theta[4] = {p.r, p.alpha, p.a, p.b};
    double value = -ll * inv_n;
    for (int k = 0; k < 4; ++k) {
      value += pen * theta[k] * theta[k];
      (*grad)[k] = theta[k] * (-g[k] * inv_n + 2 * pen * theta[k]);
    }
    return value;
  };
  const MinimizeResult r =
      MinimizeBfgs(objective, std::vector<double>(4, 0.0), settings->tolerance,
                   settings->max_iterations);
  if (absl::Status s =
          CheckFit(r, *settings, {"r", "alpha", "a", "b"}, "BG/NBD");
      !s.ok()) {
    return s;
  }
  v1::BgNbdModel model;
  model.set_r(std::exp(r.u[0]));
  model.set_alpha(std::exp(r.u[1]) / scale);
  model.set_a(std::exp(r.u[2]));
  model.set_b(std::exp(r.u[3]));
  model.set_num_customers(CustomersOf(patterns));
  model.set_iterations(r.iterations);
  model.set_converged(r.converged);
  model.set_gradient_norm(r.gradient_norm);
  model.set_penalizer_coef(pen);
  model.set_time_unit(patterns.time_unit());
  const BgNbdParams p{model.r(), model.alpha(), model.a(), model.b()};
  model.set_log_likelihood(BgNbdSum(p, MakePurchaseData(patterns), nullptr));
  return model;
}

absl::StatusOr<v1::GammaGammaModel> FitGammaGamma(
    const RfmSummaries& rfm, const v1::ClvFitOptions& options) {
  absl::StatusOr<v1::RfmPatterns> patterns = SummarizeRfmPatterns(rfm);
  if (!patterns.ok()) return patterns.status();
  return FitGammaGamma(*patterns, options);
}

absl::StatusOr<v1::GammaGammaModel> FitGammaGamma(
    const v1::RfmPatterns& patterns, const v1::ClvFitOptions& options) {
  absl::StatusOr<FitSettings> settings = ReadFitOptions(options);
  if (!settings.ok()) return settings.status();
  if (absl::Status s = ValidateRfmPatterns(patterns); !s.ok()) return s;
  if (!patterns.has_monetary()) return MonetaryNeeded();
  if (patterns.frequency().empty()) {
    return absl::InvalidArgumentError("summaries: no customers");
  }
  const SpendData data = MakeSpendData(patterns);
  if (data.x.empty()) {
    return absl::FailedPreconditionError(
        "Gamma-Gamma: no customer has a repeat purchase (frequency > 0) "
        "with spend left after returns (monetary > 0)");
  }
  const double inv_n = 1.0 / data.customers;
  const double pen = settings->penalizer;
  const Objective objective = [&](const std::vector<double>& u,
                                  std::vector<double>* grad) {
    const double theta[3] = {std::exp(u[0]), std::exp(u[1]), std::exp(u[2])};
    double g[3];
    const double ll = GammaGammaSum(theta[0], theta[1], theta[2], data, g);
    double value = -ll * inv_n;
    for (int k = 0; k < 3; ++k) {
      value += pen * theta[k] * theta[k];
      (*grad)[k] = theta[k] * (-g[k] * inv_n + 2 * pen * theta[k]);
    }
    return value;
  };
  const MinimizeResult r =
      MinimizeBfgs(objective, std::vector<double>(3, 0.0), settings->tolerance,
                   settings->max_iterations);
  if (absl::Status s = CheckFit(r, *settings, {"p", "q", "v"}, "Gamma-Gamma");
      !s.ok()) {
    return s;
  }
  const auto spenders = static_cast<int64_t>(data.customers);
  v1::GammaGammaModel model;
  model.set_p(std::exp(r.u[0]));
  model.set_q(std::exp(r.u[1]));
  model.set_v(std::exp(r.u[2]));
  model.set_log_likelihood(
      GammaGammaSum(model.p(), model.q(), model.v(), data, nullptr));
  model.set_num_customers(spenders);
  model.set_num_skipped(CustomersOf(patterns) - spenders);
  model.set_iterations(r.iterations);
  model.set_converged(r.converged);
  model.set_gradient_norm(r.gradient_norm);
  model.set_penalizer_coef(pen);
  return model;
}

absl::StatusOr<v1::ClvModel> FitClv(const RfmSummaries& rfm,
                                    const v1::ClvFitOptions& options) {
  absl::StatusOr<v1::RfmPatterns> patterns = SummarizeRfmPatterns(rfm);
  if (!patterns.ok()) return patterns.status();
  return FitClv(*patterns, options);
}

absl::StatusOr<v1::ClvModel> FitClv(const v1::RfmPatterns& patterns,
                                    const v1::ClvFitOptions& options) {
  v1::ClvModel model;
  absl::StatusOr<v1::BgNbdModel> bg = FitBgNbd(patterns, options);
  if (!bg.ok()) return bg.status();
  *model.mutable_bg_nbd() = *std::move(bg);
  if (patterns.has_monetary()) {
    absl::StatusOr<v1::GammaGammaModel> gg = FitGammaGamma(patterns, options);
    if (!gg.ok()) return gg.status();
    *model.mutable_gamma_gamma() = *std::move(gg);
  }
  return model;
}

absl::StatusOr<double> BgNbdLogLikelihood(const v1::BgNbdModel& model,
                                          const RfmSummaries& rfm) {
  if (absl::Status s = ValidateBgNbd(model); !s.ok()) return s;
  absl::StatusOr<v1::RfmPatterns> patterns = SummarizeRfmPatterns(rfm);
  if (!patterns.ok()) return patterns.status();
  const BgNbdParams p{model.r(), model.alpha(), model.a(), model.b()};
  return BgNbdSum(p, MakePurchaseData(*patterns), nullptr);
}

absl::StatusOr<double> GammaGammaLogLikelihood(const v1::GammaGammaModel& model,
                                               const RfmSummaries& rfm) {
  if (absl::Status s = ValidateGammaGamma(model); !s.ok()) return s;
  absl::StatusOr<v1::RfmPatterns> patterns = SummarizeRfmPatterns(rfm);
  if (!patterns.ok()) return patterns.status();
  if (!patterns->has_monetary()) return MonetaryNeeded();
  return GammaGammaSum(model.p(), model.q(), model.v(),
                       MakeSpendData(*patterns), nullptr);
}

// ---- Predictions
// -----------------------------------------------------------------

double ProbabilityAlive(const v1::BgNbdModel& m, double x, double t_x,
                        double age) {
  if (x == 0) return 1.0;
  const double log_div =
      (m.r() + x) * std::log((m.alpha() + age) / (m.alpha() + t_x)) +
      std::log(m.a() / (m.b() + x - 1));
  return 1 / (1 + std::exp(log_div));
}

absl::StatusOr<double> ExpectedPurchases(const v1::BgNbdModel& m, double x,
                                         double t_x, double age,
                                         double horizon) {
  absl::StatusOr<double> numerator =
      PurchaseNumerator(m.r(), m.alpha(), m.a(), m.b(), x, age, horizon);
  if (!numerator.ok()) return numerator.status();
  if (x == 0) return *numerator;
  const double log_odds =
      std::log(m.a() / (m.b() + x - 1)) +
      (m.r() + x) * std::log((m.alpha() + age) / (m.alpha() + t_x));
  return *numerator / (1 + std::exp(log_odds));
}

double ExpectedSpend(const v1::GammaGammaModel& m, double x, double monetary) {
  const double population = m.v() * m.p() / (m.q() - 1);
  const double weight = m.p() * x / (m.p() * x + m.q() - 1);
  return (1 - weight) * population + weight * monetary;
}

absl::StatusOr<ClvPredictions> PredictClv(
    const RfmSummaries& rfm, const v1::BgNbdModel& bg_nbd,
    const v1::GammaGammaModel* spend, const v1::ClvPredictOptions& options) {
  if (absl::Status s = ValidateBgNbd(bg_nbd); !s.ok()) return s;
  if (spend != nullptr) {
    if (absl::Status s = ValidateGammaGamma(*spend); !s.ok()) return s;
  }
  if (absl::Status s = ValidateClvOptions(options); !s.ok()) return s;
  if (absl::Status s = ValidateRfmSummaries(rfm, spend != nullptr); !s.ok()) {
    return s;
  }
  if (spend != nullptr && spend->q() <= 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("Gamma-Gamma q = ", spend->q(),
                     " <= 1: the population mean spend is infinite"));
  }
  const size_t n = rfm.size();
  const double margin = options.has_margin() ? options.margin() : 1.0;
  const double horizon = options.horizon();
  const double rate = options.discount_rate();
  const int periods =
      rate > 0
          ? static_cast<int>(std::ceil(horizon / options.discount_period()))
          : 1;
  ClvPredictions out;
  out.p_alive.resize(n);
  out.expected_purchases.resize(n);
  out.expected_spend.resize(n);
  out.clv.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const double x = rfm.frequency[i], tx = rfm.recency[i], t = rfm.age[i];
    out.p_alive[i] = ProbabilityAlive(bg_nbd, x, tx, t);
    absl::StatusOr<double> e = ExpectedPurchases(bg_nbd, x, tx, t, horizon);
    if (!e.ok()) {
      return absl::Status(
          e.status().code(),
          absl::StrCat(Who(rfm, i), ": ", e.status().message()));
    }
    out.expected_purchases[i] = *e;
    double value = *e;
    if (rate > 0) {  // purchases of period k are worth 1 / (1 + rate)^k
      value = 0;
      double previous = 0;
      for (int k = 1; k <= periods; ++k) {
        const double until = std::min(horizon, k * options.discount_period());
        absl::StatusOr<double> ek =
            k == periods ? e : ExpectedPurchases(bg_nbd, x, tx, t, until);
        if (!ek.ok()) return ek.status();
        value += (*ek - previous) / std::pow(1 + rate, k);
        previous = *ek;
      }
    }
    out.expected_spend[i] =
        spend == nullptr ? 0.0 : ExpectedSpend(*spend, x, rfm.monetary[i]);
    out.clv[i] = value * out.expected_spend[i] * margin;
    if (!std::isfinite(out.p_alive[i]) ||
        !std::isfinite(out.expected_purchases[i]) ||
        !std::isfinite(out.clv[i])) {
      return absl::InternalError(
          absl::StrCat(Who(rfm, i), ": prediction is not finite"));
    }
  }
  return out;
}

v1::CustomerClv CustomerClvRow(const RfmSummaries& rfm,
                               const ClvPredictions& predictions, size_t i) {
  v1::CustomerClv row;
  if (!rfm.customer_ids.empty()) row.set_customer_id(rfm.customer_ids[i]);
  row.set_frequency(rfm.frequency[i]);
  row.set_recency(rfm.recency[i]);
  row.set_age(rfm.age[i]);
  if (!rfm.monetary.empty()) row.set_monetary(rfm.monetary[i]);
  row.set_p_alive(predictions.p_alive[i]);
  row.set_expected_purchases(predictions.expected_purchases[i]);
  row.set_expected_spend(predictions.expected_spend[i]);
  row.set_clv(predictions.clv[i]);
  return row;
}

}  // namespace churnkit
