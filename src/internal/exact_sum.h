// The exact sum of doubles (Shewchuk's non-overlapping partials, as
// Python's math.fsum): the same correctly rounded value whatever the order
// of the additions, so sums computed per partition and merged equal the
// single-process sum bit for bit.
#ifndef CHURNKIT_SRC_INTERNAL_EXACT_SUM_H_
#define CHURNKIT_SRC_INTERNAL_EXACT_SUM_H_

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

namespace churnkit::internal {

class ExactSum {
 public:
  // Adds a finite `x` exactly.
  void Add(double x) {
    size_t kept = 0;
    for (double y : partials_) {
      if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
      const double hi = x + y;
      const double lo = y - (hi - x);
      if (lo != 0) partials_[kept++] = lo;
      x = hi;
    }
    partials_.resize(kept);
    partials_.push_back(x);
  }

  // The partials, smallest magnitude first: their exact sum is the sum.
  const std::vector<double>& partials() const { return partials_; }

  // The sum rounded to nearest, ties to even.
  double Value() const {
    size_t n = partials_.size();
    if (n == 0) return 0;
    double hi = partials_[--n], lo = 0;
    while (n > 0) {
      const double x = hi, y = partials_[--n];
      hi = x + y;
      lo = y - (hi - x);
      if (lo != 0) break;
    }
    // Half-way cases: the partials below decide the direction.
    if (n > 0 && ((lo < 0 && partials_[n - 1] < 0) ||
                  (lo > 0 && partials_[n - 1] > 0))) {
      const double y = lo * 2, x = hi + y;
      if (y == x - hi) hi = x;
    }
    return hi;
  }

 private:
  std::vector<double> partials_;
};

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_EXACT_SUM_H_
