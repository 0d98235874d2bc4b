#include "churnkit/metrics.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"

namespace churnkit {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Counts {
  int64_t positives = 0;
  int64_t negatives = 0;
};

// Validates labels and scores; counts the classes.
absl::StatusOr<Counts> Check(absl::Span<const uint8_t> labels,
                             absl::Span<const double> scores,
                             bool probabilities) {
  if (labels.size() != scores.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(labels.size(), " labels for ", scores.size(), " scores"));
  }
  if (labels.empty()) return absl::InvalidArgumentError("no rows");
  Counts c;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "labels[", i, "] is ", labels[i], "; labels must be 0 or 1"));
    }
    if (!std::isfinite(scores[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("scores[", i, "] is ", scores[i], "; must be finite"));
    }
    if (probabilities && !(scores[i] >= 0 && scores[i] <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "probabilities[", i, "] is ", scores[i], "; must be in [0, 1]"));
    }
    (labels[i] ? c.positives : c.negatives) += 1;
  }
  return c;
}

absl::Status NeedBothClasses(const Counts& c) {
  if (c.positives == 0 || c.negatives == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("a single class (", c.positives, " positives, ",
                     c.negatives, " negatives); the metric needs both"));
  }
  return absl::OkStatus();
}

// Rows by descending score (ties by index, for determinism).
std::vector<size_t> Descending(absl::Span<const double> scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  return order;
}

// Cumulative counts after each group of tied scores, in descending order.
struct Step {
  double score;
  int64_t tp, fp;
};

std::vector<Step> Steps(absl::Span<const uint8_t> labels,
                        absl::Span<const double> scores) {
  const std::vector<size_t> order = Descending(scores);
  std::vector<Step> steps;
  int64_t tp = 0, fp = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    (labels[order[k]] ? tp : fp) += 1;
    if (k + 1 == order.size() || scores[order[k + 1]] != scores[order[k]]) {
      steps.push_back({scores[order[k]], tp, fp});
    }
  }
  return steps;
}

v1::ConfusionMatrix Confusion(double threshold, int64_t tp, int64_t fp,
                              const Counts& c) {
  v1::ConfusionMatrix m;
  m.set_threshold(threshold);
  m.set_true_positives(tp);
  m.set_false_positives(fp);
  m.set_false_negatives(c.positives - tp);
  m.set_true_negatives(c.negatives - fp);
  const double precision =
      tp + fp > 0 ? static_cast<double>(tp) / (tp + fp) : 0;
  const double recall =
      c.positives > 0 ? static_cast<double>(tp) / c.positives : 0;
  m.set_precision(precision);
  m.set_recall(recall);
  m.set_f1(tp > 0 ? 2.0 * tp / (2.0 * tp + fp + (c.positives - tp)) : 0);
  m.set_accuracy(static_cast<double>(tp + c.negatives - fp) /
                 static_cast<double>(c.positives + c.negatives));
  return m;
}

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [0, n) without modulo bias.
uint64_t Below(uint64_t n, uint64_t* state) {
  const uint64_t limit = std::numeric_limits<uint64_t>::max() -
                         std::numeric_limits<uint64_t>::max() % n;
  uint64_t v;
  do {
    v = SplitMix64(state);
  } while (v >= limit);
  return v % n;
}

}  // namespace

absl::StatusOr<double> RocAuc(absl::Span<const uint8_t> labels,
                              absl::Span<const double> scores) {
  absl::StatusOr<Counts> c = Check(labels, scores, false);
  if (!c.ok()) return c.status();
  if (absl::Status s = NeedBothClasses(*c); !s.ok()) return s;
  // Twice the area under the step curve, in exact integers: each group of
  // ties adds a trapezoid (fp step) x (tp before + tp after).
  int64_t area2 = 0, tp = 0, fp = 0;
  for (const Step& s : Steps(labels, scores)) {
    area2 += (s.fp - fp) * (s.tp + tp);
    tp = s.tp;
    fp = s.fp;
  }
  return static_cast<double>(area2) / (2.0 * static_cast<double>(c->positives) *
                                       static_cast<double>(c->negatives));
}

absl::StatusOr<double> AveragePrecision(absl::Span<const uint8_t> labels,
                                        absl::Span<const double> scores) {
  absl::StatusOr<Counts> c = Check(labels, scores, false);
  if (!c.ok()) return c.status();
  if (c->positives == 0) {
    return absl::InvalidArgumentError(
        "no positive row; average precision is undefined");
  }
  double ap = 0;
  int64_t tp = 0;
  for (const Step& s : Steps(labels, scores)) {
    const double precision = static_cast<double>(s.tp) / (s.tp + s.fp);
    ap += static_cast<double>(s.tp - tp) / c->positives * precision;
    tp = s.tp;
  }
  return ap;
}

absl::StatusOr<double> LogLoss(absl::Span<const uint8_t> labels,
                               absl::Span<const double> probabilities) {
  absl::StatusOr<Counts> c = Check(labels, probabilities, true);
  if (!c.ok()) return c.status();
  double sum = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double p = std::clamp(probabilities[i], DBL_EPSILON, 1 - DBL_EPSILON);
    sum -= labels[i] ? std::log(p) : std::log1p(-p);
  }
  return sum / static_cast<double>(labels.size());
}

absl::StatusOr<double> BrierScore(absl::Span<const uint8_t> labels,
                                  absl::Span<const double> probabilities) {
  absl::StatusOr<Counts> c = Check(labels, probabilities, true);
  if (!c.ok()) return c.status();
  double sum = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double e = probabilities[i] - labels[i];
    sum += e * e;
  }
  return sum / static_cast<double>(labels.size());
}

absl::StatusOr<std::vector<v1::LiftBin>> LiftTable(
    absl::Span<const uint8_t> labels, absl::Span<const double> scores,
    int bins) {
  absl::StatusOr<Counts> c = Check(labels, scores, false);
  if (!c.ok()) return c.status();
  if (bins < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("bins: must be >= 1; got ", bins));
  }
  if (c->positives == 0) {
    return absl::InvalidArgumentError("no positive row; lift is undefined");
  }
  const size_t n = labels.size();
  const std::vector<size_t> order = Descending(scores);
  // Group of sorted position k: floor(k * bins / n), except that a run of
  // tied scores takes the group of its first row.
  std::vector<v1::LiftBin> out;
  const double overall = static_cast<double>(c->positives) / n;
  int64_t cum_count = 0, cum_pos = 0;
  size_t k = 0;
  while (k < n) {
    const int bin = static_cast<int>(k * static_cast<size_t>(bins) / n);
    size_t end = k;
    // Extend to the end of the group, then to the end of the last tie run.
    while (end < n &&
           static_cast<int>(end * static_cast<size_t>(bins) / n) == bin) {
      ++end;
    }
    while (end < n && scores[order[end]] == scores[order[end - 1]]) ++end;
    v1::LiftBin b;
    b.set_bin(bin + 1);
    b.set_count(static_cast<int64_t>(end - k));
    int64_t pos = 0;
    for (size_t i = k; i < end; ++i) pos += labels[order[i]];
    b.set_positives(pos);
    b.set_max_score(scores[order[k]]);
    b.set_min_score(scores[order[end - 1]]);
    b.set_rate(static_cast<double>(pos) / b.count());
    b.set_lift(b.rate() / overall);
    cum_count += b.count();
    cum_pos += pos;
    b.set_cumulative_gain(static_cast<double>(cum_pos) / c->positives);
    b.set_cumulative_share(static_cast<double>(cum_count) / n);
    b.set_cumulative_lift(static_cast<double>(cum_pos) / cum_count / overall);
    out.push_back(std::move(b));
    k = end;
  }
  return out;
}

absl::StatusOr<std::vector<v1::ReliabilityBin>> ReliabilityTable(
    absl::Span<const uint8_t> labels, absl::Span<const double> probabilities,
    int bins) {
  absl::StatusOr<Counts> c = Check(labels, probabilities, true);
  if (!c.ok()) return c.status();
  if (bins < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("bins: must be >= 1; got ", bins));
  }
  std::vector<int64_t> count(bins, 0), pos(bins, 0);
  std::vector<double> sum(bins, 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    const int b = std::min(bins - 1, static_cast<int>(probabilities[i] * bins));
    count[b] += 1;
    pos[b] += labels[i];
    sum[b] += probabilities[i];
  }
  std::vector<v1::ReliabilityBin> out;
  for (int b = 0; b < bins; ++b) {
    if (count[b] == 0) continue;
    v1::ReliabilityBin r;
    r.set_lower(static_cast<double>(b) / bins);
    r.set_upper(static_cast<double>(b + 1) / bins);
    r.set_count(count[b]);
    r.set_mean_predicted(sum[b] / count[b]);
    r.set_observed_rate(static_cast<double>(pos[b]) / count[b]);
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<v1::ConfusionMatrix> ConfusionAt(
    absl::Span<const uint8_t> labels, absl::Span<const double> scores,
    double threshold) {
  absl::StatusOr<Counts> c = Check(labels, scores, false);
  if (!c.ok()) return c.status();
  if (std::isnan(threshold)) {
    return absl::InvalidArgumentError("threshold: NaN");
  }
  int64_t tp = 0, fp = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (scores[i] >= threshold) (labels[i] ? tp : fp) += 1;
  }
  return Confusion(threshold, tp, fp, *c);
}

absl::StatusOr<v1::ConfusionMatrix> ChooseThreshold(
    absl::Span<const uint8_t> labels, absl::Span<const double> scores,
    const v1::ThresholdOptions& options) {
  absl::StatusOr<Counts> c = Check(labels, scores, false);
  if (!c.ok()) return c.status();
  const v1::ThresholdRule rule =
      options.rule() == v1::THRESHOLD_RULE_UNSPECIFIED ? v1::THRESHOLD_MAX_F1
                                                       : options.rule();
  if (!v1::ThresholdRule_IsValid(rule)) {
    return absl::InvalidArgumentError(
        absl::StrCat("rule: unknown value ", options.rule()));
  }
  if ((rule == v1::THRESHOLD_TARGET_RECALL ||
       rule == v1::THRESHOLD_TARGET_PRECISION) &&
      !(options.target() > 0 && options.target() <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("target: must be in (0, 1]; got ", options.target()));
  }
  if (c->positives == 0 && rule != v1::THRESHOLD_MIN_COST) {
    return absl::InvalidArgumentError("no positive row; nothing to find");
  }
  const std::vector<Step> steps = Steps(labels, scores);
  if (rule == v1::THRESHOLD_MAX_F1) {
    size_t best = 0;
    double best_f1 = -1;
    for (size_t k = 0; k < steps.size(); ++k) {
      const double f1 =
          2.0 * steps[k].tp /
          (2.0 * steps[k].tp + steps[k].fp + (c->positives - steps[k].tp));
      if (f1 > best_f1) {
        best_f1 = f1;
        best = k;
      }
    }
    return Confusion(steps[best].score, steps[best].tp, steps[best].fp, *c);
  }
  if (rule == v1::THRESHOLD_TARGET_RECALL) {
    for (const Step& s : steps) {
      if (static_cast<double>(s.tp) >= options.target() * c->positives) {
        return Confusion(s.score, s.tp, s.fp, *c);
      }
    }
    const Step& last = steps.back();  // recall 1 at the lowest score
    return Confusion(last.score, last.tp, last.fp, *c);
  }
  if (rule == v1::THRESHOLD_TARGET_PRECISION) {
    const Step* found = nullptr;
    for (const Step& s : steps) {
      if (static_cast<double>(s.tp) >= options.target() * (s.tp + s.fp)) {
        found = &s;
      }
    }
    if (found == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("no threshold reaches precision ", options.target()));
    }
    return Confusion(found->score, found->tp, found->fp, *c);
  }
  // THRESHOLD_MIN_COST.
  const double contact = options.contact_cost(), loss = options.churn_loss();
  const double save = options.save_rate() == 0 ? 1.0 : options.save_rate();
  for (const auto& [name, v] :
       {std::pair{"contact_cost", contact}, std::pair{"churn_loss", loss}}) {
    if (!(v >= 0 && std::isfinite(v))) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": must be finite and >= 0; got ", v));
    }
  }
  if (!(save >= 0 && save <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("save_rate: must be in [0, 1]; got ", save));
  }
  auto cost = [&](int64_t tp, int64_t fp) {
    return contact * static_cast<double>(tp + fp) +
           loss * (static_cast<double>(c->positives - tp) + (1 - save) * tp);
  };
  // Flagging nobody first, so that ties keep the higher threshold.
  double best_cost = cost(0, 0), threshold = kInf;
  int64_t best_tp = 0, best_fp = 0;
  for (const Step& s : steps) {
    const double v = cost(s.tp, s.fp);
    if (v < best_cost) {
      best_cost = v;
      threshold = s.score;
      best_tp = s.tp;
      best_fp = s.fp;
    }
  }
  v1::ConfusionMatrix m = Confusion(threshold, best_tp, best_fp, *c);
  m.set_expected_cost(best_cost);
  return m;
}

absl::StatusOr<v1::Evaluation> Evaluate(absl::Span<const uint8_t> labels,
                                        absl::Span<const double> scores,
                                        const v1::EvaluationOptions& options) {
  absl::StatusOr<Counts> c = Check(labels, scores, false);
  if (!c.ok()) return c.status();
  if (absl::Status s = NeedBothClasses(*c); !s.ok()) return s;
  const bool probabilities = std::all_of(
      scores.begin(), scores.end(), [](double s) { return s >= 0 && s <= 1; });
  v1::Evaluation e;
  e.set_count(static_cast<int64_t>(labels.size()));
  e.set_positives(c->positives);
  e.set_roc_auc(*RocAuc(labels, scores));
  e.set_average_precision(*AveragePrecision(labels, scores));
  if (probabilities) {
    e.set_log_loss(*LogLoss(labels, scores));
    e.set_brier(*BrierScore(labels, scores));
  }
  absl::StatusOr<std::vector<v1::LiftBin>> lift = LiftTable(
      labels, scores, options.lift_bins() > 0 ? options.lift_bins() : 10);
  if (!lift.ok()) return lift.status();
  for (v1::LiftBin& b : *lift) *e.add_lift() = std::move(b);
  if (probabilities) {
    absl::StatusOr<std::vector<v1::ReliabilityBin>> rel = ReliabilityTable(
        labels, scores,
        options.reliability_bins() > 0 ? options.reliability_bins() : 10);
    if (!rel.ok()) return rel.status();
    for (v1::ReliabilityBin& b : *rel) *e.add_reliability() = std::move(b);
  }
  absl::StatusOr<v1::ConfusionMatrix> m =
      options.has_threshold()
          ? ConfusionAt(labels, scores, options.threshold())
          : ChooseThreshold(labels, scores, options.threshold_rule());
  if (!m.ok()) return m.status();
  *e.mutable_confusion() = *std::move(m);
  return e;
}

// ---- Splits
// -----------------------------------------------------------------------

absl::StatusOr<std::vector<int>> StratifiedFolds(
    absl::Span<const uint8_t> labels, int k, uint64_t seed) {
  if (k < 2) {
    return absl::InvalidArgumentError(absl::StrCat("k: must be >= 2; got ", k));
  }
  std::vector<size_t> rows[2];
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "labels[", i, "] is ", labels[i], "; labels must be 0 or 1"));
    }
    rows[labels[i]].push_back(i);
  }
  std::vector<int> folds(labels.size(), 0);
  uint64_t state = seed;
  // The positives continue the round-robin where the negatives stopped, so
  // fold sizes differ by at most one row.
  size_t next = 0;
  for (int cls = 0; cls < 2; ++cls) {
    std::vector<size_t>& r = rows[cls];
    if (r.size() < static_cast<size_t>(k)) {
      return absl::InvalidArgumentError(
          absl::StrCat("class ", cls, " has ", r.size(), " rows; stratified ",
                       k, "-fold needs at least ", k));
    }
    for (size_t i = r.size(); i > 1; --i) {  // Fisher-Yates
      std::swap(r[i - 1], r[Below(i, &state)]);
    }
    for (size_t row : r) folds[row] = static_cast<int>(next++ % k);
  }
  return folds;
}

TimeSplitRows TimeSplit(absl::Span<const UnixSeconds> as_of,
                        UnixSeconds cutoff) {
  TimeSplitRows split;
  for (size_t i = 0; i < as_of.size(); ++i) {
    (as_of[i] < cutoff ? split.train : split.test).push_back(i);
  }
  return split;
}

// ---- Calibration
// ------------------------------------------------------------------

absl::StatusOr<v1::Calibration> FitPlatt(absl::Span<const uint8_t> labels,
                                         absl::Span<const double> scores) {
  absl::StatusOr<Counts> c = Check(labels, scores, false);
  if (!c.ok()) return c.status();
  if (absl::Status s = NeedBothClasses(*c); !s.ok()) return s;
  const double hi = (c->positives + 1.0) / (c->positives + 2.0);
  const double lo = 1.0 / (c->negatives + 2.0);
  const size_t n = labels.size();
  // f(a, b) = sum -[t log p + (1 - t) log(1 - p)], p = 1/(1+exp(a s + b)).
  auto objective = [&](double a, double b) {
    double f = 0;
    for (size_t i = 0; i < n; ++i) {
      const double t = labels[i] ? hi : lo;
      const double z = a * scores[i] + b;  // p = sigmoid(-z)
      // -log p = log(1 + e^z); -log(1 - p) = log(1 + e^-z).
      const double softplus_z =
          z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
      f += t * softplus_z + (1 - t) * (softplus_z - z);
    }
    return f;
  };
  double a = 0, b = std::log((c->negatives + 1.0) / (c->positives + 1.0));
  double f = objective(a, b);
  for (int it = 0; it < 200; ++it) {
    double ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    for (size_t i = 0; i < n; ++i) {
      const double t = labels[i] ? hi : lo;
      const double z = a * scores[i] + b;
      const double p = 1.0 / (1.0 + std::exp(z));
      const double d1 = t - p;  // df/dz
      const double d2 = p * (1 - p);
      ga += scores[i] * d1;
      gb += d1;
      haa += scores[i] * scores[i] * d2;
      hab += scores[i] * d2;
      hbb += d2;
    }
    if (std::max(std::abs(ga), std::abs(gb)) <= 1e-12 * n) break;
    // Newton step on the 2x2 system, regularized as Lin, Lin & Weng (2007).
    haa += 1e-12;
    hbb += 1e-12;
    const double det = haa * hbb - hab * hab;
    const double da = -(hbb * ga - hab * gb) / det;
    const double db = -(-hab * ga + haa * gb) / det;
    const double slope = ga * da + gb * db;
    double step = 1;
    bool moved = false;
    while (step >= 1e-10) {
      const double fn = objective(a + step * da, b + step * db);
      if (fn <= f + 1e-4 * step * slope) {
        a += step * da;
        b += step * db;
        f = fn;
        moved = true;
        break;
      }
      step *= 0.5;
    }
    if (!moved) break;
  }
  v1::Calibration cal;
  cal.mutable_platt()->set_a(a);
  cal.mutable_platt()->set_b(b);
  return cal;
}

absl::StatusOr<v1::Calibration> FitIsotonic(absl::Span<const uint8_t> labels,
                                            absl::Span<const double> scores,
                                            bool increasing) {
  absl::StatusOr<Counts> c = Check(labels, scores, false);
  if (!c.ok()) return c.status();
  std::vector<size_t> order(labels.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Pool tied scores into one point each, then pool adjacent violators
  // on a stack of blocks.
  struct Block {
    double x_first, x_last, sum, weight;
    double mean() const { return sum / weight; }
  };
  auto violates = [increasing](const Block& left, const Block& right) {
    return increasing ? left.mean() >= right.mean()
                      : left.mean() <= right.mean();
  };
  std::vector<Block> points;
  for (size_t i : order) {
    const double x = scores[i];
    if (!points.empty() && points.back().x_last == x) {
      points.back().sum += labels[i];
      points.back().weight += 1;
    } else {
      points.push_back({x, x, static_cast<double>(labels[i]), 1});
    }
  }
  std::vector<Block> blocks;
  for (const Block& p : points) {
    blocks.push_back(p);
    while (blocks.size() >= 2 &&
           violates(blocks[blocks.size() - 2], blocks.back())) {
      const Block right = blocks.back();
      blocks.pop_back();
      blocks.back().x_last = right.x_last;
      blocks.back().sum += right.sum;
      blocks.back().weight += right.weight;
    }
  }
  v1::Calibration cal;
  v1::Calibration::Isotonic& iso = *cal.mutable_isotonic();
  for (const Block& b : blocks) {
    const double v = b.mean();
    iso.add_x(b.x_first);
    iso.add_y(v);
    if (b.x_last != b.x_first) {
      iso.add_x(b.x_last);
      iso.add_y(v);
    }
  }
  return cal;
}

absl::StatusOr<std::vector<double>> ApplyCalibration(
    const v1::Calibration& calibration, absl::Span<const double> scores) {
  for (size_t i = 0; i < scores.size(); ++i) {
    if (std::isnan(scores[i])) {
      return absl::InvalidArgumentError(absl::StrCat("scores[", i, "] is NaN"));
    }
  }
  std::vector<double> out(scores.size());
  if (calibration.has_platt()) {
    const double a = calibration.platt().a(), b = calibration.platt().b();
    if (!std::isfinite(a) || !std::isfinite(b)) {
      return absl::InvalidArgumentError("platt: a and b must be finite");
    }
    for (size_t i = 0; i < scores.size(); ++i) {
      out[i] = 1.0 / (1.0 + std::exp(a * scores[i] + b));
    }
    return out;
  }
  if (!calibration.has_isotonic()) {
    return absl::InvalidArgumentError("calibration: no method set");
  }
  const auto& x = calibration.isotonic().x();
  const auto& y = calibration.isotonic().y();
  if (x.empty() || x.size() != y.size()) {
    return absl::InvalidArgumentError(
        "isotonic: x and y must be non-empty and of equal size");
  }
  for (int k = 0; k < x.size(); ++k) {
    if (!std::isfinite(x[k]) || !std::isfinite(y[k]) ||
        (k > 0 && !(x[k] > x[k - 1]))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "isotonic: x must be finite and strictly increasing; y finite "
          "(point ",
          k, ")"));
    }
  }
  for (size_t i = 0; i < scores.size(); ++i) {
    const double s = scores[i];
    if (s <= x[0]) {
      out[i] = y[0];
    } else if (s >= x[x.size() - 1]) {
      out[i] = y[y.size() - 1];
    } else {
      const int k =
          static_cast<int>(std::upper_bound(x.begin(), x.end(), s) - x.begin());
      const double t = (s - x[k - 1]) / (x[k] - x[k - 1]);
      out[i] = y[k - 1] + t * (y[k] - y[k - 1]);
    }
  }
  return out;
}

}  // namespace churnkit
