// Special functions (CLV models, statistics), private to the library.
#ifndef CHURNKIT_SRC_INTERNAL_SPECIAL_H_
#define CHURNKIT_SRC_INTERNAL_SPECIAL_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace churnkit::internal {

// psi(x) = d/dx log Gamma(x) for x > 0 (recurrence up to x >= 10, then the
// asymptotic series; absolute error below 1e-14). NaN for x <= 0.
double Digamma(double x);

// Gauss's hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1 by its
// power series, summed until a bound on the remaining tail falls below
// 1e-16 of the sum. Errors: InvalidArgument when z is outside [0, 1) or c
// is a non-positive integer (a pole) and no earlier a or b ends the
// series; FailedPrecondition when the series needs more than `max_terms`
// terms (z too close to 1).
absl::StatusOr<double> Hyp2F1(double a, double b, double c, double z,
                              int max_terms = 2000000);

// The x with P(Z <= x) = p for a standard normal Z, by Wichura's
// algorithm AS 241 (PPND16, relative error about 1e-16). Requires
// 0 < p < 1 (unchecked).
double NormalQuantile(double p);

// P(X <= k) for X ~ Binomial(n, p), 0 <= p <= 1, through the regularized
// incomplete beta function I_{1-p}(n - k, k + 1) (continued fraction,
// relative error about 1e-14). 0 for k < 0, 1 for k >= n.
double BinomialCdf(int64_t k, int64_t n, double p);

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_SPECIAL_H_
