#include "internal/special.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace churnkit::internal {

double Digamma(double x) {
  if (!(x > 0)) return std::numeric_limits<double>::quiet_NaN();
  double result = 0;
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  // psi(x) ~ log x - 1/(2x) - sum B_2k / (2k x^2k).
  const double f = 1 / (x * x);
  const double tail =
      f * (1.0 / 12 -
           f * (1.0 / 120 -
                f * (1.0 / 252 -
                     f * (1.0 / 240 - f * (1.0 / 132 - f * 691.0 / 32760)))));
  return result + std::log(x) - 0.5 / x - tail;
}

namespace {

// Whether v is 0, -1, -2, ...
bool NonPositiveInteger(double v) { return v <= 0 && v == std::floor(v); }

}  // namespace

absl::StatusOr<double> Hyp2F1(double a, double b, double c, double z,
                              int max_terms) {
  if (!(z >= 0 && z < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("hyp2f1: z = ", z, " is outside [0, 1)"));
  }
  if (NonPositiveInteger(c)) {
    // A terminating numerator (a or b = -m with -m > c) keeps it finite.
    const bool ends =
        (NonPositiveInteger(a) && a > c) || (NonPositiveInteger(b) && b > c);
    if (!ends) {
      return absl::InvalidArgumentError(
          absl::StrCat("hyp2f1: c = ", c, " is a pole"));
    }
  }
  if (z == 0) return 1.0;
  // Past n0 the term ratio (a+n)(b+n)z / ((c+n)(n+1)) is monotone in n and
  // tends to z, so max(ratio, z) bounds every later ratio and the tail is
  // at most |term| * rho / (1 - rho).
  const double n0 = 2 * (std::fabs(a) + std::fabs(b) + std::fabs(c)) + 10;
  double term = 1, sum = 1;
  for (int n = 0; n < max_terms; ++n) {
    const double ratio = (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
    term *= ratio;
    sum += term;
    if (term == 0) return sum;
    if (n > n0) {
      const double rho = std::max(std::fabs(ratio), z);
      if (rho < 1 &&
          std::fabs(term) * rho / (1 - rho) <= 1e-16 * std::fabs(sum)) {
        return sum;
      }
    }
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "hyp2f1(", a, ", ", b, "; ", c, "; ", z, ") did not converge in ",
      max_terms, " terms (z too close to 1)"));
}

namespace {

// Evaluates the polynomial c[0] + c[1] x + ... + c[7] x^7.
double Poly7(const double (&c)[8], double x) {
  double r = c[7];
  for (int i = 6; i >= 0; --i) r = r * x + c[i];
  return r;
}

}  // namespace

// Wichura (1988), Algorithm AS 241, PPND16.
double NormalQuantile(double p) {
  static constexpr double a[8] = {
      3.3871328727963666080e0,  1.3314166789178437745e+2,
      1.9715909503065514427e+3, 1.3731693765509461125e+4,
      4.5921953931549871457e+4, 6.7265770927008700853e+4,
      3.3430575583588128105e+4, 2.5090809287301226727e+3};
  static constexpr double b[8] = {1.0,
                                  4.2313330701600911252e+1,
                                  6.8718700749205790830e+2,
                                  5.3941960214247511077e+3,
                                  2.1213794301586595867e+4,
                                  3.9307895800092710610e+4,
                                  2.8729085735721942674e+4,
                                  5.2264952788528545610e+3};
  static constexpr double c[8] = {
      1.42343711074968357734e0,  4.63033784615654529590e0,
      5.76949722146069140550e0,  3.64784832476320460504e0,
      1.27045825245236838258e0,  2.41780725177450611770e-1,
      2.27238449892691845833e-2, 7.74545014278341407640e-4};
  static constexpr double d[8] = {1.0,
                                  2.05319162663775882187e0,
                                  1.67638483018380384940e0,
                                  6.89767334985100004550e-1,
                                  1.48103976427480074590e-1,
                                  1.51986665636164571966e-2,
                                  5.47593808499534494600e-4,
                                  1.05075007164441684324e-9};
  static constexpr double e[8] = {
      6.65790464350110377720e0,  5.46378491116411436990e0,
      1.78482653991729133580e0,  2.96560571828504891230e-1,
      2.65321895265761230930e-2, 1.24266094738807843860e-3,
      2.71155556874348757815e-5, 2.01033439929228813265e-7};
  static constexpr double f[8] = {1.0,
                                  5.99832206555887937690e-1,
                                  1.36929880922735805310e-1,
                                  1.48753612908506148525e-2,
                                  7.86869131145613259100e-4,
                                  1.84631831751005468180e-5,
                                  1.42151175831644588870e-7,
                                  2.04426310338993978564e-15};
  const double q = p - 0.5;
  if (std::fabs(q) <= 0.425) {
    const double r = 0.180625 - q * q;
    return q * Poly7(a, r) / Poly7(b, r);
  }
  double r = q < 0 ? p : 1 - p;
  r = std::sqrt(-std::log(r));
  double x;
  if (r <= 5) {
    r -= 1.6;
    x = Poly7(c, r) / Poly7(d, r);
  } else {
    r -= 5;
    x = Poly7(e, r) / Poly7(f, r);
  }
  return q < 0 ? -x : x;
}

namespace {

// The continued fraction of I_x(a, b) (modified Lentz), converging fast
// for x < (a + 1) / (a + b + 2).
double BetaFraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1) < 1e-15) break;
  }
  return h;
}

// I_x(a, b) for a, b > 0 and 0 <= x <= 1.
double RegularizedBeta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front =
      std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
               a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * BetaFraction(a, b, x) / a;
  return 1 - front * BetaFraction(b, a, 1 - x) / b;
}

}  // namespace

double BinomialCdf(int64_t k, int64_t n, double p) {
  if (k < 0) return 0;
  if (k >= n) return 1;
  return RegularizedBeta(static_cast<double>(n - k), static_cast<double>(k + 1),
                         1 - p);
}

}  // namespace churnkit::internal
