#include "churnkit/scorecard_learn.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "churnkit/health.h"
#include "churnkit/metrics.h"
#include "internal/config_util.h"
#include "internal/random.h"
#include "internal/utf8.h"

namespace churnkit {
namespace {

using internal::PathError;
using Options = v1::ScorecardLearnOptions;

constexpr double kInf = std::numeric_limits<double>::infinity();
// A feature this good on its own is suspect (ScorecardReport.warnings).
constexpr double kLeakAuc = 0.99;
constexpr double kLeakIv = 5;

// The options with every default filled in.
struct Resolved {
  Options::Binning binning;
  int max_bins, fine_bins, min_bin_events, cv_folds;
  double trend_margin;
  double min_bin_share, alpha, min_iv, c, pdo, base_score, base_odds;
  bool round_points;
  double yellow_probability, red_probability, holdout_share;
};

Resolved Resolve(const Options& o) {
  Resolved r;
  r.binning =
      o.binning() == Options::BINNING_UNSPECIFIED ? Options::AUTO : o.binning();
  r.trend_margin = o.has_trend_margin() ? o.trend_margin() : 0.1;
  r.cv_folds = o.has_cv_folds() ? o.cv_folds() : 5;
  r.max_bins = o.has_max_bins() ? o.max_bins() : 5;
  r.fine_bins = o.has_fine_bins() ? o.fine_bins() : std::max(20, r.max_bins);
  r.min_bin_events = o.has_min_bin_events() ? o.min_bin_events() : 5;
  r.min_bin_share = o.has_min_bin_share() ? o.min_bin_share() : 0.05;
  r.alpha = o.has_woe_smoothing() ? o.woe_smoothing() : 0.5;
  r.min_iv = o.has_min_information_value() ? o.min_information_value() : 0.02;
  r.c = o.has_c() ? o.c() : 1.0;
  r.pdo = o.has_pdo() ? o.pdo() : 10.0;
  r.base_score = o.has_base_score() ? o.base_score() : 50.0;
  r.base_odds = o.has_base_odds() ? o.base_odds() : 1.0;
  r.round_points = !o.has_round_points() || o.round_points();
  r.yellow_probability =
      o.has_yellow_probability() ? o.yellow_probability() : 0.1;
  r.red_probability = o.has_red_probability() ? o.red_probability() : 0.3;
  r.holdout_share = o.has_holdout_share() ? o.holdout_share() : 0.3;
  return r;
}

// ---- Bins ------------------------------------------------------------------

// A range bin under construction: [lower, next bin's lower).
struct Bin {
  double lower;  // -inf for the first
  int64_t count = 0, events = 0;
  double rate() const { return static_cast<double>(events) / count; }
};

void MergeWithNext(std::vector<Bin>& bins, size_t i) {
  bins[i].count += bins[i + 1].count;
  bins[i].events += bins[i + 1].events;
  bins.erase(bins.begin() + static_cast<std::ptrdiff_t>(i) + 1);
}

// Quantile bins of sorted (value, label) pairs: cut q of `bins` is
// v[floor(q * n / bins)], or when that is not above the previous cut (or
// v[0]), the next larger value — so heavy ties (a 0/1 indicator, a count
// that is mostly 0) still split.
std::vector<Bin> QuantileBins(
    const std::vector<std::pair<double, uint8_t>>& sorted, int bins) {
  const size_t n = sorted.size();
  std::vector<Bin> out = {{-kInf}};
  double previous = sorted[0].first;
  for (int q = 1; q < bins; ++q) {
    double cut = sorted[static_cast<size_t>(q) * n / bins].first;
    if (!(cut > previous)) {
      auto next =
          std::upper_bound(sorted.begin(), sorted.end(), previous,
                           [](double v, const std::pair<double, uint8_t>& p) {
                             return v < p.first;
                           });
      if (next == sorted.end()) break;
      cut = next->first;
    }
    out.push_back({cut});
    previous = cut;
  }
  size_t k = 0;
  for (const auto& [value, label] : sorted) {
    while (k + 1 < out.size() && value >= out[k + 1].lower) ++k;
    ++out[k].count;
    out[k].events += label;
  }
  return out;
}

// Pools adjacent bins until the churn rate rises (or falls) with the
// value (pool-adjacent-violators).
std::vector<Bin> Pool(absl::Span<const Bin> fine, bool increasing) {
  std::vector<Bin> bins;
  for (const Bin& b : fine) {
    bins.push_back(b);
    while (bins.size() >= 2) {
      const double a = bins[bins.size() - 2].rate(), z = bins.back().rate();
      if (increasing ? a <= z : a >= z) break;
      MergeWithNext(bins, bins.size() - 2);
    }
  }
  return bins;
}

// Merges bins that are too small, then the closest neighbours down to
// max_bins. Merging neighbours keeps a monotonic sequence of churn rates
// monotonic and a single-peaked (or -valleyed) one single-peaked: the
// merged rate lies between the two it replaces.
std::vector<Bin> Constrain(std::vector<Bin> bins, int64_t train_rows,
                           const Resolved& o) {
  const double min_count = o.min_bin_share * static_cast<double>(train_rows);
  while (bins.size() > 1) {
    size_t worst = bins.size();
    for (size_t i = 0; i < bins.size(); ++i) {
      const bool small = static_cast<double>(bins[i].count) < min_count ||
                         bins[i].events < o.min_bin_events;
      if (small && (worst == bins.size() || bins[i].count < bins[worst].count))
        worst = i;
    }
    if (worst == bins.size()) break;
    size_t left = worst;  // merge `left` with left + 1
    if (worst == 0) {
      left = 0;
    } else if (worst + 1 == bins.size()) {
      left = worst - 1;
    } else {
      const double r = bins[worst].rate();
      left = std::abs(r - bins[worst - 1].rate()) <=
                     std::abs(r - bins[worst + 1].rate())
                 ? worst - 1
                 : worst;
    }
    MergeWithNext(bins, left);
  }
  while (bins.size() > static_cast<size_t>(o.max_bins)) {
    size_t best = 0;
    for (size_t i = 1; i + 1 < bins.size(); ++i) {
      if (std::abs(bins[i].rate() - bins[i + 1].rate()) <
          std::abs(bins[best].rate() - bins[best + 1].rate())) {
        best = i;
      }
    }
    MergeWithNext(bins, best);
  }
  return bins;
}

// The shape of the churn rates of `bins` (ascending value).
v1::LearnedFeature::Trend TrendOf(const std::vector<Bin>& bins) {
  int turns = 0, direction = 0, first = 0;
  for (size_t k = 1; k < bins.size(); ++k) {
    const double a = bins[k - 1].rate(), z = bins[k].rate();
    const int step = z > a ? 1 : z < a ? -1 : 0;
    if (step == 0) continue;
    if (first == 0) first = step;
    if (direction != 0 && step != direction) ++turns;
    direction = step;
  }
  if (first == 0) {
    return bins.size() > 1 ? v1::LearnedFeature::ASCENDING
                           : v1::LearnedFeature::TREND_UNSPECIFIED;
  }
  if (turns == 0) {
    return first > 0 ? v1::LearnedFeature::ASCENDING
                     : v1::LearnedFeature::DESCENDING;
  }
  if (turns == 1) {
    return first > 0 ? v1::LearnedFeature::PEAK : v1::LearnedFeature::VALLEY;
  }
  return v1::LearnedFeature::ZIGZAG;
}

// A feature's bins with their weights of evidence.
struct Binned {
  std::vector<Bin> bins;
  int64_t missing_count = 0, missing_events = 0;
  std::vector<double> woe;  // per range bin
  double missing_woe = 0;   // 0 when no training value was missing
  double iv = 0;
  bool increasing = false;
  v1::LearnedFeature::Trend trend = v1::LearnedFeature::TREND_UNSPECIFIED;
  // Exactly two defined training values, low and high.
  bool binary = false;
  double low = 0, high = 0;
  // The smoothed class totals of the WoE formula.
  double g_total = 0, b_total = 0, alpha = 0;

  double WoeOfCounts(int64_t count, int64_t events) const {
    return std::log(((static_cast<double>(count - events) + alpha) / g_total) /
                    ((static_cast<double>(events) + alpha) / b_total));
  }

  size_t BinOf(double value) const {
    size_t k = 0;
    while (k + 1 < bins.size() && value >= bins[k + 1].lower) ++k;
    return k;
  }
  double WoeOf(double value) const {
    return std::isnan(value) ? missing_woe : woe[BinOf(value)];
  }
};

// Fills woe, missing_woe and iv (formulas in scorecard_learn.proto).
void ComputeWoe(int64_t stayers, int64_t churners, double alpha, Binned* b) {
  const double k =
      static_cast<double>(b->bins.size()) + (b->missing_count > 0 ? 1.0 : 0.0);
  const double g_total = static_cast<double>(stayers) + alpha * k;
  const double b_total = static_cast<double>(churners) + alpha * k;
  b->g_total = g_total;
  b->b_total = b_total;
  b->alpha = alpha;
  b->iv = 0;
  auto woe = [&](int64_t count, int64_t events) {
    const double g = (static_cast<double>(count - events) + alpha) / g_total;
    const double e = (static_cast<double>(events) + alpha) / b_total;
    const double w = std::log(g / e);
    b->iv += (g - e) * w;
    return w;
  };
  b->woe.clear();
  for (const Bin& bin : b->bins) b->woe.push_back(woe(bin.count, bin.events));
  b->missing_woe =
      b->missing_count > 0 ? woe(b->missing_count, b->missing_events) : 0.0;
}

// Bins one feature on the training rows; an empty `bins` means the reason
// in *dropped.
Binned BinFeature(std::vector<std::pair<double, uint8_t>> values,
                  int64_t missing, int64_t missing_events, int64_t stayers,
                  int64_t churners, const Resolved& o, std::string* dropped) {
  Binned out;
  out.missing_count = missing;
  out.missing_events = missing_events;
  if (values.empty()) {
    *dropped = "all values missing";
    return out;
  }
  std::sort(values.begin(), values.end());
  if (values.front().first == values.back().first && missing == 0) {
    *dropped = "constant";
    return out;
  }
  if (values.front().first != values.back().first) {
    auto second =
        std::upper_bound(values.begin(), values.end(), values.front().first,
                         [](double v, const std::pair<double, uint8_t>& p) {
                           return v < p.first;
                         });
    out.binary = second->first == values.back().first;
    out.low = values.front().first;
    out.high = values.back().first;
  }
  const int64_t rows = static_cast<int64_t>(values.size()) + missing;
  auto finish = [&](Binned* b) {
    b->increasing = b->bins.back().rate() > b->bins.front().rate();
    b->trend = TrendOf(b->bins);
  };
  if (o.binning == Options::QUANTILE) {
    out.bins = QuantileBins(values, o.max_bins);
    ComputeWoe(stayers, churners, o.alpha, &out);
    finish(&out);
    return out;
  }
  const std::vector<Bin> fine = QuantileBins(values, o.fine_bins);
  // The binning of one shape: `up` pooled over fine[0, turn), the other
  // way over fine[turn, end); turn 0 or fine.size(): monotonic.
  auto shaped = [&](size_t turn, bool up) {
    Binned b = out;
    const absl::Span<const Bin> all(fine);
    b.bins = Pool(all.subspan(0, turn), up);
    const std::vector<Bin> rest = Pool(all.subspan(turn), !up);
    b.bins.insert(b.bins.end(), rest.begin(), rest.end());
    b.bins = Constrain(std::move(b.bins), rows, o);
    ComputeWoe(stayers, churners, o.alpha, &b);
    return b;
  };
  Binned best = shaped(fine.size(), true);  // ascending
  if (Binned down = shaped(0, true); down.iv > best.iv) best = std::move(down);
  if (o.binning == Options::AUTO) {
    // A peak (up, then down) or a valley at every turning bin.
    const double bar = best.iv * (1 + o.trend_margin);
    Binned turned;
    for (size_t turn = 1; turn < fine.size(); ++turn) {
      for (bool up : {true, false}) {
        Binned b = shaped(turn, up);
        const v1::LearnedFeature::Trend t = TrendOf(b.bins);
        if (t != v1::LearnedFeature::PEAK && t != v1::LearnedFeature::VALLEY) {
          continue;
        }
        if (b.iv > bar && (turned.bins.empty() || b.iv > turned.iv)) {
          turned = std::move(b);
        }
      }
    }
    if (!turned.bins.empty()) best = std::move(turned);
  }
  out = std::move(best);
  finish(&out);
  return out;
}

// ---- Options ---------------------------------------------------------------

absl::Status CheckFinite(const char* field, double v) {
  if (!std::isfinite(v)) return PathError(field, "must be finite");
  return absl::OkStatus();
}

std::string Number(double v) { return absl::StrFormat("%g", v); }

std::string BandLabel(double lo, double hi) {
  if (lo == -kInf && hi == kInf) return "any value";
  if (lo == -kInf) return absl::StrCat("< ", Number(hi));
  if (hi == kInf) return absl::StrCat(">= ", Number(lo));
  return absl::StrCat("[", Number(lo), ", ", Number(hi), ")");
}

// Total points at which the implied churn probability is p.
double PointsAtProbability(double p, double offset, double factor) {
  return offset + factor * std::log((1 - p) / p);
}

// What a dimension is made of: indices into the candidate features.
struct DimensionSpec {
  std::string name, description;
  std::vector<size_t> features;
};

}  // namespace

absl::Status ValidateScorecardLearnOptions(const Options& o) {
  if (!Options::Binning_IsValid(o.binning())) {
    return PathError("binning", "unknown binning method");
  }
  for (const auto& [field, value] :
       {std::pair{"min_bin_share", o.min_bin_share()},
        std::pair{"woe_smoothing", o.woe_smoothing()},
        std::pair{"min_information_value", o.min_information_value()},
        std::pair{"c", o.c()}, std::pair{"pdo", o.pdo()},
        std::pair{"base_score", o.base_score()},
        std::pair{"base_odds", o.base_odds()},
        std::pair{"yellow_probability", o.yellow_probability()},
        std::pair{"red_probability", o.red_probability()},
        std::pair{"holdout_share", o.holdout_share()}}) {
    if (absl::Status s = CheckFinite(field, value); !s.ok()) return s;
  }
  const Resolved r = Resolve(o);
  if (r.max_bins < 2) {
    return PathError("max_bins",
                     absl::StrCat("must be >= 2; got ", r.max_bins));
  }
  if (r.fine_bins < r.max_bins) {
    return PathError("fine_bins",
                     absl::StrCat("must be >= max_bins (", r.max_bins,
                                  "); got ", r.fine_bins));
  }
  if (r.min_bin_events < 0) {
    return PathError("min_bin_events", "must be >= 0");
  }
  if (!(r.min_bin_share >= 0 && r.min_bin_share <= 0.5)) {
    return PathError("min_bin_share", "must be in [0, 0.5]");
  }
  if (!(r.alpha > 0)) return PathError("woe_smoothing", "must be > 0");
  if (!(r.min_iv >= 0))
    return PathError("min_information_value", "must be >= 0");
  if (!(r.c > 0)) return PathError("c", "must be > 0");
  if (!(r.pdo > 0)) {
    return PathError("pdo", absl::StrCat("must be > 0; got ", r.pdo));
  }
  if (!(r.base_odds > 0)) {
    return PathError("base_odds",
                     absl::StrCat("must be > 0; got ", r.base_odds));
  }
  for (const auto& [field, p] :
       {std::pair{"yellow_probability", r.yellow_probability},
        std::pair{"red_probability", r.red_probability}}) {
    if (!(p > 0 && p < 1)) return PathError(field, "must be in (0, 1)");
  }
  if (r.yellow_probability > r.red_probability) {
    return PathError(
        "yellow_probability",
        absl::StrCat("must be <= red_probability (", r.yellow_probability,
                     " > ", r.red_probability, ")"));
  }
  if (!(r.holdout_share >= 0 && r.holdout_share < 1)) {
    return PathError("holdout_share", "must be in [0, 1)");
  }
  if (!(std::isfinite(r.trend_margin) && r.trend_margin >= 0)) {
    return PathError("trend_margin", "must be finite and >= 0");
  }
  if (r.cv_folds != 0 && (r.cv_folds < 2 || r.cv_folds > 20)) {
    return PathError(
        "cv_folds",
        absl::StrCat("must be 0 (none) or in [2, 20]; got ", r.cv_folds));
  }
  absl::flat_hash_map<std::string, std::string> seen;
  auto note = [&](const std::string& feature,
                  const std::string& path) -> absl::Status {
    if (feature.empty()) return PathError(path, "empty feature name");
    auto [it, inserted] = seen.emplace(feature, path);
    if (!inserted) {
      return PathError(
          path,
          absl::StrCat("'", feature, "' is already listed at ", it->second));
    }
    return absl::OkStatus();
  };
  for (int i = 0; i < o.features_size(); ++i) {
    if (absl::Status s = note(o.features(i), absl::StrCat("features[", i, "]"));
        !s.ok()) {
      return s;
    }
  }
  for (int g = 0; g < o.groups_size(); ++g) {
    const std::string path = absl::StrCat("groups[", g, "]");
    if (o.groups(g).name().empty()) return PathError(path + ".name", "empty");
    if (o.groups(g).features().empty()) {
      return PathError(path + ".features", "empty");
    }
    for (int i = 0; i < o.groups(g).features_size(); ++i) {
      if (absl::Status s = note(o.groups(g).features(i),
                                absl::StrCat(path, ".features[", i, "]"));
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

namespace {

// LearnScorecard without cross-validation; a non-empty `forced_holdout`
// (1 = held out, one per row) replaces the options' holdout.
absl::StatusOr<LearnedScorecard> LearnOnce(
    MatrixView x, absl::Span<const uint8_t> labels, const Options& options,
    absl::Span<const UnixSeconds> as_of,
    absl::Span<const uint8_t> forced_holdout) {
  if (absl::Status s = ValidateScorecardLearnOptions(options); !s.ok()) {
    return s;
  }
  const Resolved o = Resolve(options);
  const size_t d = x.num_cols();
  if (d == 0) return absl::InvalidArgumentError("the matrix has no columns");
  if (x.values.size() % d != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("the matrix holds ", x.values.size(),
                     " values, not a multiple of its ", d, " columns"));
  }
  const size_t n = x.num_rows();
  if (n == 0) return absl::InvalidArgumentError("the matrix has no rows");
  if (labels.size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("labels: ", labels.size(), " labels for ", n, " rows"));
  }
  for (size_t i = 0; i < n; ++i) {
    if (labels[i] > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "labels[", i, "] is ", labels[i], "; labels must be 0 or 1"));
    }
  }
  for (size_t k = 0; k < x.values.size(); ++k) {
    if (std::isinf(x.values[k])) {
      return absl::InvalidArgumentError(
          absl::StrCat("row ", k / d, ", column '", x.columns[k % d], "' is ",
                       x.values[k] > 0 ? "+inf" : "-inf",
                       "; features must be finite (NaN means missing)"));
    }
  }
  absl::flat_hash_map<std::string, size_t> column_of;
  for (size_t j = 0; j < d; ++j) {
    if (!internal::IsValidUtf8(x.columns[j])) {
      return absl::InvalidArgumentError(
          absl::StrCat("column ", j, ": the name is not valid UTF-8"));
    }
    if (!column_of.emplace(x.columns[j], j).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("column ", j, " '", x.columns[j], "' is a duplicate"));
    }
  }

  // Dimensions and their candidate features (matrix columns).
  std::vector<size_t> candidates;
  std::vector<DimensionSpec> dims;
  auto add = [&](const std::string& feature,
                 const std::string& path) -> absl::Status {
    auto it = column_of.find(feature);
    if (it == column_of.end()) {
      return PathError(path, absl::StrCat("'", feature, "' is not a column"));
    }
    dims.back().features.push_back(candidates.size());
    candidates.push_back(it->second);
    return absl::OkStatus();
  };
  if (options.features().empty() && options.groups().empty()) {
    for (size_t j = 0; j < d; ++j) {
      dims.push_back({x.columns[j], "", {}});
      if (absl::Status s = add(x.columns[j], ""); !s.ok()) return s;
    }
  }
  for (int i = 0; i < options.features_size(); ++i) {
    dims.push_back({options.features(i), "", {}});
    if (absl::Status s =
            add(options.features(i), absl::StrCat("features[", i, "]"));
        !s.ok()) {
      return s;
    }
  }
  for (int g = 0; g < options.groups_size(); ++g) {
    const Options::Group& group = options.groups(g);
    dims.push_back({group.name(), group.description(), {}});
    for (int i = 0; i < group.features_size(); ++i) {
      if (absl::Status s =
              add(group.features(i),
                  absl::StrCat("groups[", g, "].features[", i, "]"));
          !s.ok()) {
        return s;
      }
    }
  }

  // Training and holdout rows.
  LearnedScorecard out;
  out.holdout.assign(n, 0);
  if (!forced_holdout.empty()) {
    out.holdout.assign(forced_holdout.begin(), forced_holdout.end());
  } else if (options.has_holdout_from()) {
    if (as_of.size() != n) {
      return PathError("holdout_from",
                       absl::StrCat("needs the rows' as-of times; got ",
                                    as_of.size(), " for ", n, " rows"));
    }
    for (size_t i = 0; i < n; ++i) {
      out.holdout[i] = as_of[i] >= options.holdout_from();
    }
  } else if (!as_of.empty() && as_of.size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("as_of: ", as_of.size(), " times for ", n, " rows"));
  } else if (o.holdout_share > 0) {
    internal::Rng rng(options.seed(), 0);
    for (uint8_t cls : {0, 1}) {
      std::vector<size_t> rows;
      for (size_t i = 0; i < n; ++i) {
        if (labels[i] == cls) rows.push_back(i);
      }
      for (size_t i = rows.size(); i > 1; --i) {  // Fisher-Yates
        std::swap(rows[i - 1], rows[rng.Below(i)]);
      }
      const size_t held = static_cast<size_t>(
          std::llround(o.holdout_share * static_cast<double>(rows.size())));
      for (size_t k = 0; k < held; ++k) out.holdout[rows[k]] = 1;
    }
  }
  std::vector<size_t> train;
  std::vector<uint8_t> train_labels;
  for (size_t i = 0; i < n; ++i) {
    if (out.holdout[i]) continue;
    train.push_back(i);
    train_labels.push_back(labels[i]);
  }
  int64_t churners = 0;
  for (uint8_t y : train_labels) churners += y;
  const int64_t stayers = static_cast<int64_t>(train.size()) - churners;
  if (churners == 0 || stayers == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", train.size(), " training rows hold ", churners,
                     " churners and ", stayers,
                     " stayers; learning a scorecard needs both classes"));
  }

  // Bin every candidate on the training rows; keep the informative ones.
  std::vector<Binned> binned(candidates.size());
  std::vector<uint8_t> kept(candidates.size(), 0);
  std::vector<std::string> reasons(candidates.size());
  for (size_t f = 0; f < candidates.size(); ++f) {
    const size_t j = candidates[f];
    std::vector<std::pair<double, uint8_t>> values;
    values.reserve(train.size());
    int64_t missing = 0, missing_events = 0;
    for (size_t i : train) {
      const double v = x.values[i * d + j];
      if (std::isnan(v)) {
        ++missing;
        missing_events += labels[i];
      } else {
        values.emplace_back(v, labels[i]);
      }
    }
    binned[f] = BinFeature(std::move(values), missing, missing_events, stayers,
                           churners, o, &reasons[f]);
    if (!reasons[f].empty()) continue;
    if (binned[f].bins.size() == 1 && binned[f].missing_count == 0) {
      reasons[f] = "a single bin";
    } else if (binned[f].iv < o.min_iv) {
      reasons[f] = absl::StrFormat("information value %.4g < %g", binned[f].iv,
                                   o.min_iv);
    } else {
      kept[f] = 1;
    }
  }

  // Real churn signals are partial; a feature that is near-perfect on its
  // own usually knows the answer (a label leaked into it). Judged on the
  // raw values (either direction), as binning may hide it in one bin.
  for (size_t f = 0; f < candidates.size(); ++f) {
    std::vector<double> value;
    std::vector<uint8_t> y;
    for (size_t i : train) {
      const double v = x.values[i * d + candidates[f]];
      if (std::isnan(v)) continue;
      value.push_back(v);
      y.push_back(labels[i]);
    }
    const double raw = RocAuc(y, value).value_or(0.5);
    const double auc = std::max(raw, 1 - raw);
    if (auc >= kLeakAuc || binned[f].iv >= kLeakIv) {
      out.report.add_warnings(absl::StrFormat(
          "feature '%s' separates churners almost perfectly on its own "
          "(AUC %.3f, information value %.2f): check that it does not leak "
          "the label (a value recorded after the churn)",
          x.columns[candidates[f]], auc, binned[f].iv));
    }
  }

  // Fit on the WoE columns, dropping wrong-signed features one at a time.
  v1::FitOptions fit;
  fit.set_penalty(v1::PENALTY_L2);
  fit.set_c(o.c);
  fit.set_standardize(false);
  RawCoefficients raw;
  std::vector<size_t> model;  // candidate of each model column
  while (true) {
    model.clear();
    for (size_t f = 0; f < candidates.size(); ++f) {
      if (kept[f]) model.push_back(f);
    }
    if (model.empty()) {
      std::vector<std::string> why;
      for (size_t f = 0; f < candidates.size(); ++f) {
        why.push_back(
            absl::StrCat("'", x.columns[candidates[f]], "': ", reasons[f]));
      }
      return absl::InvalidArgumentError(
          absl::StrCat("no usable feature to learn a scorecard from: ",
                       absl::StrJoin(why, "; ")));
    }
    std::vector<std::string> names;
    for (size_t f : model) names.push_back(x.columns[candidates[f]]);
    std::vector<double> woe(train.size() * model.size());
    for (size_t r = 0; r < train.size(); ++r) {
      for (size_t k = 0; k < model.size(); ++k) {
        woe[r * model.size() + k] = binned[model[k]].WoeOf(
            x.values[train[r] * d + candidates[model[k]]]);
      }
    }
    absl::StatusOr<v1::LogisticModel> fitted =
        FitLogistic(MatrixView{woe, names, {}}, train_labels, fit);
    if (!fitted.ok()) return fitted.status();
    raw = ToRawUnits(*fitted);
    size_t worst = model.size();
    for (size_t k = 0; k < model.size(); ++k) {
      if (raw.coefficients[k] > 0 &&
          (worst == model.size() ||
           raw.coefficients[k] > raw.coefficients[worst])) {
        worst = k;
      }
    }
    if (options.keep_wrong_sign() || worst == model.size()) break;
    kept[model[worst]] = 0;
    reasons[model[worst]] = absl::StrFormat("wrong sign: coefficient %+.4g",
                                            raw.coefficients[worst]);
  }

  // Points: total = offset + factor * ln(odds of staying).
  const double factor = o.pdo / std::log(2.0);
  const double offset = o.base_score - factor * std::log(o.base_odds);
  auto points = [&](double exact) {
    return (o.round_points ? std::round(exact) : exact) + 0.0;  // no -0
  };
  std::vector<double> coefficient(candidates.size(), 0);
  for (size_t k = 0; k < model.size(); ++k) {
    coefficient[model[k]] = raw.coefficients[k];
  }
  // Points per range bin and for missing, per candidate.
  std::vector<std::vector<double>> band_points(candidates.size());
  std::vector<double> missing_points(candidates.size(), 0);
  for (size_t f : model) {
    for (double w : binned[f].woe) {
      band_points[f].push_back(points(-factor * coefficient[f] * w));
    }
    missing_points[f] =
        points(-factor * coefficient[f] * binned[f].missing_woe);
  }
  // Whole-number tables read as a person expects (scorecards.md, "The
  // table"): a yes/no feature's lower value is the reference at 0 points
  // (its points move into base_points, so no total changes), adjacent bins
  // of equal points are one row, and rows worth 0 points are left out of
  // the scorecard (Criterion.otherwise_points: 0 covers them).
  double base_shift = 0;
  if (o.round_points) {
    for (size_t f : model) {
      Binned& b = binned[f];
      std::vector<double>& p = band_points[f];
      if (b.binary && b.bins.size() == 2) {
        const double reference = p[0];
        base_shift += reference;
        p[0] = 0;
        p[1] -= reference;
        // A missing value of a column never missing in training scores as
        // the reference.
        missing_points[f] =
            b.missing_count > 0 ? missing_points[f] - reference : 0.0;
        missing_points[f] += 0.0;  // no -0
      }
      for (size_t k = 0; k + 1 < b.bins.size();) {
        if (p[k] != p[k + 1]) {
          ++k;
          continue;
        }
        MergeWithNext(b.bins, k);
        b.woe.erase(b.woe.begin() + static_cast<std::ptrdiff_t>(k) + 1);
        b.woe[k] = b.WoeOfCounts(b.bins[k].count, b.bins[k].events);
        p.erase(p.begin() + static_cast<std::ptrdiff_t>(k) + 1);
      }
      // A feature worth 0 points everywhere adds nothing to any total.
      // (One stays, so the scorecard keeps a dimension.)
      const auto left = std::count(kept.begin(), kept.end(), uint8_t{1});
      if (left > 1 && missing_points[f] == 0 &&
          std::all_of(p.begin(), p.end(), [](double v) { return v == 0; })) {
        kept[f] = 0;
        reasons[f] = "every bin rounds to 0 points";
      }
    }
  }

  // The scorecard.
  v1::Scorecard& card = out.scorecard;
  card.set_name(options.name().empty() ? "learned_scorecard" : options.name());
  card.set_description(absl::StrFormat(
      "Learned from %d training rows (%d churners): %s bins, WoE logistic "
      "fit, %g points double the odds, %g points at odds %g",
      train.size(), churners,
      o.binning == Options::QUANTILE    ? "quantile"
      : o.binning == Options::MONOTONIC ? "monotonic"
                                        : "trend-detected",
      o.pdo, o.base_score, o.base_odds));
  card.set_source("learned from history (LearnScorecard)");
  card.set_base_points(points(offset - factor * raw.intercept) + base_shift);
  double green_min = PointsAtProbability(o.yellow_probability, offset, factor);
  double yellow_min = PointsAtProbability(o.red_probability, offset, factor);
  if (o.round_points) {
    green_min = std::ceil(green_min);
    yellow_min = std::ceil(yellow_min);
  }
  card.mutable_colours()->set_green_min(green_min);
  card.mutable_colours()->set_yellow_min(yellow_min);
  std::vector<std::vector<size_t>> dim_features;  // kept, per dimension
  v1::ScorecardReport& report = out.report;
  for (const DimensionSpec& spec : dims) {
    std::vector<size_t> features;
    for (size_t f : spec.features) {
      if (kept[f]) features.push_back(f);
    }
    if (features.empty()) continue;
    dim_features.push_back(features);
    v1::Dimension* dim = card.add_dimensions();
    dim->set_name(spec.name);
    dim->set_weight(1);
    dim->set_combine(v1::Dimension::SUM);
    for (size_t f : features) {
      const Binned& b = binned[f];
      const std::string& name = x.columns[candidates[f]];
      v1::Criterion* criterion = dim->add_criteria();
      criterion->set_feature(name);
      v1::LearnedFeature* learned = report.add_features();
      learned->set_feature(name);
      learned->set_dimension(spec.name);
      learned->set_information_value(b.iv);
      learned->set_coefficient(coefficient[f]);
      learned->set_increasing(b.increasing);
      learned->set_trend(b.trend);
      learned->set_binary(b.binary && b.bins.size() == 2);
      // With round_points, bands worth 0 points are covered by
      // otherwise_points instead of listed.
      auto band_of = [&](double pts) -> v1::Band* {
        if (o.round_points && pts == 0) {
          criterion->set_otherwise_points(0);
          return nullptr;
        }
        return criterion->add_bands();
      };
      v1::Band unlisted;
      std::vector<double> risk;
      for (size_t i : train) {
        risk.push_back(-b.WoeOf(x.values[i * d + candidates[f]]));
      }
      learned->set_auc(RocAuc(train_labels, risk).value_or(0.5));

      for (size_t k = 0; k < b.bins.size(); ++k) {
        const double lo = b.bins[k].lower;
        const double hi = k + 1 < b.bins.size() ? b.bins[k + 1].lower : kInf;
        v1::Band* band = band_of(band_points[f][k]);
        if (band == nullptr) unlisted.Clear(), band = &unlisted;
        v1::ScorecardBin* bin = learned->add_bins();
        if (lo != -kInf) band->set_min(lo), bin->set_min(lo);
        if (hi != kInf) band->set_max(hi), bin->set_max(hi);
        band->set_points(band_points[f][k]);
        band->set_label(
            learned->binary()
                ? absl::StrCat("= ", Number(k == 0 ? b.low : b.high))
                : BandLabel(lo, hi));
        bin->set_count(b.bins[k].count);
        bin->set_events(b.bins[k].events);
        bin->set_event_rate(b.bins[k].rate());
        bin->set_woe(b.woe[k]);
        bin->set_points(band->points());
        bin->set_label(band->label());
      }
      v1::Band* band = band_of(missing_points[f]);
      if (band == nullptr) band = &unlisted;
      band->Clear();
      band->set_missing(true);
      band->set_points(missing_points[f]);
      band->set_label("missing");
      v1::ScorecardBin* bin = learned->add_bins();
      bin->set_missing(true);
      bin->set_count(b.missing_count);
      bin->set_events(b.missing_events);
      bin->set_event_rate(b.missing_count > 0
                              ? static_cast<double>(b.missing_events) /
                                    static_cast<double>(b.missing_count)
                              : 0.0);
      bin->set_woe(b.missing_woe);
      bin->set_points(band->points());
      bin->set_label("missing");
    }
    if (!spec.description.empty()) {
      dim->set_description(spec.description);
    } else if (features.size() == 1) {
      const v1::LearnedFeature& last =
          report.features(report.features_size() - 1);
      dim->set_description(
          absl::StrFormat("learned: information value %.3f, AUC %.3f",
                          last.information_value(), last.auc()));
    } else {
      dim->set_description("learned: the sum of its features' points");
    }
  }
  for (size_t f = 0; f < candidates.size(); ++f) {
    if (kept[f]) continue;
    v1::DroppedFeature* dropped = report.add_dropped();
    dropped->set_feature(x.columns[candidates[f]]);
    dropped->set_reason(reasons[f]);
    dropped->set_information_value(binned[f].iv);
  }

  // Totals of every row, added in HealthScorer's order: base, then each
  // dimension's SUM of its criteria.
  out.totals.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    double total = card.base_points();
    for (const std::vector<size_t>& features : dim_features) {
      double dim = 0;
      for (size_t f : features) {
        const double v = x.values[i * d + candidates[f]];
        dim += std::isnan(v) ? missing_points[f]
                             : band_points[f][binned[f].BinOf(v)];
      }
      total += dim;
    }
    out.totals[i] = total;
  }

  // How well the totals separate churners, and their calibration.
  std::vector<double> risk[2];
  std::vector<uint8_t> held_labels[2];
  std::vector<double> train_totals;
  for (size_t i = 0; i < n; ++i) {
    risk[out.holdout[i]].push_back(-out.totals[i]);
    held_labels[out.holdout[i]].push_back(labels[i]);
    if (!out.holdout[i]) train_totals.push_back(out.totals[i]);
  }
  report.set_train_rows(static_cast<int64_t>(train.size()));
  report.set_train_events(churners);
  report.set_holdout_rows(static_cast<int64_t>(n - train.size()));
  int64_t held_events = 0;
  for (uint8_t y : held_labels[1]) held_events += y;
  report.set_holdout_events(held_events);
  absl::StatusOr<double> auc = RocAuc(train_labels, risk[0]);
  if (!auc.ok()) return auc.status();
  report.set_train_auc(*auc);
  if (held_events > 0 && held_events < report.holdout_rows()) {
    auc = RocAuc(held_labels[1], risk[1]);
    if (!auc.ok()) return auc.status();
    report.set_holdout_auc(*auc);
  }
  report.set_intercept(raw.intercept);
  report.set_factor(factor);
  report.set_offset(offset);
  report.mutable_implied()->set_intercept(offset / factor);
  report.mutable_implied()->set_slope(-1 / factor);
  // The line actually fitted to the training totals: a logistic
  // regression of churn on the total (negligible penalty).
  v1::FitOptions line_options;
  line_options.set_c(1e6);
  const std::string total_name = "total";
  absl::StatusOr<v1::LogisticModel> line = FitLogistic(
      MatrixView{train_totals, absl::MakeConstSpan(&total_name, 1), {}},
      train_labels, line_options);
  if (!line.ok()) return line.status();
  const RawCoefficients line_raw = ToRawUnits(*line);
  report.mutable_fitted()->set_intercept(line_raw.intercept);
  report.mutable_fitted()->set_slope(line_raw.coefficients[0]);

  // The scorecard must be one HealthScorer runs.
  absl::StatusOr<HealthScorer> scorer = HealthScorer::Create(
      card, std::vector<std::string>(x.columns.begin(), x.columns.end()));
  if (!scorer.ok()) {
    return absl::InternalError(absl::StrCat(
        "the learned scorecard is invalid: ", scorer.status().message()));
  }
  report.set_min_total(scorer->min_total());
  report.set_max_total(scorer->max_total());
  for (v1::Colour colour : {v1::GREEN, v1::YELLOW, v1::RED}) {
    int64_t rows[2] = {0, 0}, events[2] = {0, 0};
    for (size_t i = 0; i < n; ++i) {
      if (scorer->ColourOf(out.totals[i]) != colour) continue;
      ++rows[out.holdout[i]];
      events[out.holdout[i]] += labels[i];
    }
    v1::ColourSummary* s = report.add_colours();
    s->set_colour(colour);
    s->set_train_rows(rows[0]);
    s->set_holdout_rows(rows[1]);
    s->set_train_churn_rate(rows[0] > 0 ? static_cast<double>(events[0]) /
                                              static_cast<double>(rows[0])
                                        : 0.0);
    s->set_holdout_churn_rate(rows[1] > 0 ? static_cast<double>(events[1]) /
                                                static_cast<double>(rows[1])
                                          : 0.0);
  }
  return out;
}

}  // namespace

absl::StatusOr<LearnedScorecard> LearnScorecard(
    MatrixView x, absl::Span<const uint8_t> labels, const Options& options,
    absl::Span<const UnixSeconds> as_of) {
  absl::StatusOr<LearnedScorecard> learned =
      LearnOnce(x, labels, options, as_of, {});
  if (!learned.ok()) return learned;
  const Resolved o = Resolve(options);
  if (o.cv_folds == 0) return learned;

  // Stratified folds of the training rows, dealt per class after a
  // shuffle by `seed` (stream 1; the random holdout uses stream 0).
  const size_t d = x.num_cols();
  std::vector<size_t> train;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (!learned->holdout[i]) train.push_back(i);
  }
  std::vector<int> fold(train.size());
  internal::Rng rng(options.seed(), 1);
  for (uint8_t cls : {0, 1}) {
    std::vector<size_t> rows;
    for (size_t r = 0; r < train.size(); ++r) {
      if (labels[train[r]] == cls) rows.push_back(r);
    }
    for (size_t i = rows.size(); i > 1; --i) {  // Fisher-Yates
      std::swap(rows[i - 1], rows[rng.Below(i)]);
    }
    for (size_t k = 0; k < rows.size(); ++k) {
      fold[rows[k]] = static_cast<int>(k % static_cast<size_t>(o.cv_folds));
    }
  }
  std::vector<double> values;
  values.reserve(train.size() * d);
  std::vector<uint8_t> y;
  for (size_t i : train) {
    values.insert(values.end(), x.values.begin() + i * d,
                  x.values.begin() + (i + 1) * d);
    y.push_back(labels[i]);
  }
  const MatrixView sub{values, x.columns, {}};
  Options inner = options;
  inner.set_cv_folds(0);
  double sum = 0;
  for (int k = 0; k < o.cv_folds; ++k) {
    std::vector<uint8_t> held(train.size());
    for (size_t r = 0; r < train.size(); ++r) held[r] = fold[r] == k;
    absl::StatusOr<LearnedScorecard> part = LearnOnce(sub, y, inner, {}, held);
    if (!part.ok() || !part->report.has_holdout_auc()) {
      learned->report.clear_cv_fold_aucs();
      learned->report.add_warnings(absl::StrCat(
          "no cross-validated AUC: fold ", k + 1, " of ", o.cv_folds, " ",
          part.ok() ? "holds a single class"
                    : absl::StrCat("failed: ", part.status().message())));
      return learned;
    }
    learned->report.add_cv_fold_aucs(part->report.holdout_auc());
    sum += part->report.holdout_auc();
  }
  learned->report.set_cv_auc(sum / o.cv_folds);
  return learned;
}

}  // namespace churnkit
