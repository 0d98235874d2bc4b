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

}  // namespace churnkit::internal
