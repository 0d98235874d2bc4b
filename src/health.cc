#include "churnkit/health.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "internal/config_util.h"
#include "internal/embedded_configs.h"

namespace churnkit {
namespace {

using internal::PathError;

constexpr double kInf = std::numeric_limits<double>::infinity();

struct RangeBand {
  double min, max, points;
  std::string label;
};

struct Criterion {
  int column;
  std::string feature;
  std::vector<RangeBand> bands;  // sorted, contiguous, covering the line
  bool has_missing = false;
  double missing_points = 0;
  std::string missing_label;
  double lowest_points = 0;
  double highest_points = 0;
};

struct Dimension {
  std::string name;
  double weight;
  v1::Dimension::Combine combine;
  std::vector<Criterion> criteria;
};

// Points and label of `value` under a criterion.
std::pair<double, const std::string*> Lookup(const Criterion& c, double value) {
  static const std::string* const kMissing = new std::string("missing");
  if (std::isnan(value)) {
    if (c.has_missing) return {c.missing_points, &c.missing_label};
    return {c.lowest_points, kMissing};
  }
  // Bands are few: a linear scan beats a binary search.
  for (const RangeBand& b : c.bands) {
    if (value < b.max) return {b.points, &b.label};
  }
  return {c.bands.back().points, &c.bands.back().label};
}

}  // namespace

struct HealthScorer::Impl {
  v1::Scorecard scorecard;
  std::vector<Dimension> dimensions;
  double min_total, max_total;
};

HealthScorer::HealthScorer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
HealthScorer::HealthScorer(HealthScorer&&) noexcept = default;
HealthScorer& HealthScorer::operator=(HealthScorer&&) noexcept = default;
HealthScorer::~HealthScorer() = default;

const v1::Scorecard& HealthScorer::scorecard() const {
  return impl_->scorecard;
}
double HealthScorer::min_total() const { return impl_->min_total; }
double HealthScorer::max_total() const { return impl_->max_total; }

absl::StatusOr<HealthScorer> HealthScorer::Create(
    const v1::Scorecard& card, const std::vector<std::string>& columns) {
  auto impl = std::make_unique<Impl>();
  impl->scorecard = card;
  if (!std::isfinite(card.base_points())) {
    return PathError("base_points", "must be finite");
  }
  impl->min_total = impl->max_total = card.base_points();
  if (card.dimensions().empty()) return PathError("dimensions", "empty");
  for (int d = 0; d < card.dimensions_size(); ++d) {
    const v1::Dimension& dim = card.dimensions(d);
    const std::string dpath = absl::StrCat("dimensions[", d, "]");
    Dimension out;
    out.name = dim.name().empty() ? dpath : dim.name();
    out.weight = dim.weight() == 0 ? 1.0 : dim.weight();
    if (!std::isfinite(dim.weight()) || dim.weight() < 0) {
      return PathError(dpath + ".weight", "must be finite and >= 0");
    }
    if (!v1::Dimension::Combine_IsValid(dim.combine())) {
      return PathError(dpath + ".combine", "unknown combine");
    }
    out.combine = dim.combine() == v1::Dimension::COMBINE_UNSPECIFIED
                      ? v1::Dimension::MIN
                      : dim.combine();
    if (dim.criteria().empty()) return PathError(dpath + ".criteria", "empty");
    for (int k = 0; k < dim.criteria_size(); ++k) {
      const v1::Criterion& cr = dim.criteria(k);
      const std::string cpath = absl::StrCat(dpath, ".criteria[", k, "]");
      Criterion c;
      c.feature = cr.feature();
      auto it = std::find(columns.begin(), columns.end(), cr.feature());
      if (it == columns.end()) {
        return PathError(cpath + ".feature",
                         absl::StrCat("unknown feature '", cr.feature(), "'"));
      }
      c.column = static_cast<int>(it - columns.begin());
      std::vector<std::pair<RangeBand, int>> ranges;
      for (int b = 0; b < cr.bands_size(); ++b) {
        const v1::Band& band = cr.bands(b);
        const std::string bpath = absl::StrCat(cpath, ".bands[", b, "]");
        if (!std::isfinite(band.points())) {
          return PathError(bpath + ".points", "must be finite");
        }
        if (band.missing()) {
          if (band.has_min() || band.has_max()) {
            return PathError(bpath, "a missing band takes no min or max");
          }
          if (c.has_missing) {
            return PathError(bpath + ".missing", "a second missing band");
          }
          c.has_missing = true;
          c.missing_points = band.points();
          c.missing_label = band.label();
          continue;
        }
        const double lo = band.has_min() ? band.min() : -kInf;
        const double hi = band.has_max() ? band.max() : kInf;
        if (std::isnan(lo) || std::isnan(hi) || !(lo < hi)) {
          return PathError(bpath + ".max", absl::StrCat("must be above min (",
                                                        lo, " .. ", hi, ")"));
        }
        ranges.push_back({{lo, hi, band.points(), band.label()}, b});
      }
      if (cr.has_otherwise_points()) {
        // Fill every gap (and the ends) with the otherwise points.
        const double other = cr.otherwise_points();
        if (!std::isfinite(other)) {
          return PathError(cpath + ".otherwise_points", "must be finite");
        }
        std::sort(ranges.begin(), ranges.end(),
                  [](const auto& a, const auto& b) {
                    return a.first.min < b.first.min;
                  });
        std::vector<std::pair<RangeBand, int>> filled;
        double from = -kInf;
        for (auto& r : ranges) {
          if (from < r.first.min) {
            filled.push_back({{from, r.first.min, other, "other values"}, -1});
          }
          from = std::max(from, r.first.max);
          filled.push_back(std::move(r));
        }
        if (from < kInf) {
          filled.push_back({{from, kInf, other, "other values"}, -1});
        }
        ranges = std::move(filled);
        if (!c.has_missing) {
          c.has_missing = true;
          c.missing_points = other;
          c.missing_label = "missing";
        }
      }
      if (ranges.empty()) return PathError(cpath + ".bands", "no range band");
      std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) {
        return a.first.min < b.first.min;
      });
      if (ranges.front().first.min != -kInf) {
        return PathError(
            absl::StrCat(cpath, ".bands[", ranges.front().second, "].min"),
            absl::StrCat("values below ", ranges.front().first.min,
                         " fall in no band (leave min unset on the lowest)"));
      }
      if (ranges.back().first.max != kInf) {
        return PathError(
            absl::StrCat(cpath, ".bands[", ranges.back().second, "].max"),
            absl::StrCat("values from ", ranges.back().first.max,
                         " up fall in no band (leave max unset on the "
                         "highest)"));
      }
      for (size_t i = 1; i < ranges.size(); ++i) {
        const RangeBand& prev = ranges[i - 1].first;
        const RangeBand& cur = ranges[i].first;
        const std::string path =
            absl::StrCat(cpath, ".bands[", ranges[i - 1].second, "].max");
        if (prev.max > cur.min) {
          return PathError(
              path, absl::StrCat("overlaps bands[", ranges[i].second, "] (",
                                 prev.max, " > ", cur.min, ")"));
        }
        if (prev.max < cur.min) {
          return PathError(path,
                           absl::StrCat("leaves a gap before ", cur.min,
                                        " (band ends at ", prev.max, ")"));
        }
      }
      for (auto& [band, unused] : ranges) c.bands.push_back(std::move(band));
      c.lowest_points = c.highest_points = c.bands[0].points;
      for (const RangeBand& b : c.bands) {
        c.lowest_points = std::min(c.lowest_points, b.points);
        c.highest_points = std::max(c.highest_points, b.points);
      }
      if (c.has_missing) {
        c.lowest_points = std::min(c.lowest_points, c.missing_points);
        c.highest_points = std::max(c.highest_points, c.missing_points);
      }
      out.criteria.push_back(std::move(c));
    }
    // Range of the dimension's points, for min_total / max_total.
    double lo = 0, hi = 0;
    const auto& cs = out.criteria;
    switch (out.combine) {
      case v1::Dimension::SUM:
      case v1::Dimension::MEAN:
        for (const Criterion& c : cs) {
          lo += c.lowest_points;
          hi += c.highest_points;
        }
        if (out.combine == v1::Dimension::MEAN) {
          lo /= cs.size();
          hi /= cs.size();
        }
        break;
      case v1::Dimension::MAX:
        lo = hi = -kInf;
        for (const Criterion& c : cs) {
          lo = std::max(lo, c.lowest_points);
          hi = std::max(hi, c.highest_points);
        }
        break;
      default:  // MIN
        lo = hi = kInf;
        for (const Criterion& c : cs) {
          lo = std::min(lo, c.lowest_points);
          hi = std::min(hi, c.highest_points);
        }
    }
    impl->min_total += out.weight * lo;
    impl->max_total += out.weight * hi;
    impl->dimensions.push_back(std::move(out));
  }
  const v1::ColourCutoffs& cut = card.colours();
  if (!std::isfinite(cut.green_min()) || !std::isfinite(cut.yellow_min())) {
    return PathError("colours", "cut-offs must be finite");
  }
  if (cut.green_min() < cut.yellow_min()) {
    return PathError("colours.green_min",
                     absl::StrCat("must be >= yellow_min (", cut.green_min(),
                                  " < ", cut.yellow_min(), ")"));
  }
  return HealthScorer(std::move(impl));
}

v1::Colour ColourUnder(const v1::ColourCutoffs& cutoffs, double total) {
  if (total >= cutoffs.green_min()) return v1::GREEN;
  if (total >= cutoffs.yellow_min()) return v1::YELLOW;
  return v1::RED;
}

v1::Colour HealthScorer::ColourOf(double total) const {
  return ColourUnder(impl_->scorecard.colours(), total);
}

namespace {

// Scores `row` dimension by dimension: `visit(dim, points, label)` after
// each (points after the weight); returns the total.
template <typename Visit>
double Walk(const std::vector<Dimension>& dimensions, double base,
            absl::Span<const double> row, Visit visit) {
  double total = base;
  for (const Dimension& dim : dimensions) {
    double points = 0;
    const std::string* label = nullptr;
    for (size_t k = 0; k < dim.criteria.size(); ++k) {
      const auto [p, l] = Lookup(dim.criteria[k], row[dim.criteria[k].column]);
      switch (dim.combine) {
        case v1::Dimension::SUM:
        case v1::Dimension::MEAN:
          points += p;
          if (k == 0) label = l;
          break;
        case v1::Dimension::MAX:
          if (k == 0 || p > points) points = p, label = l;
          break;
        default:  // MIN
          if (k == 0 || p < points) points = p, label = l;
      }
    }
    if (dim.combine == v1::Dimension::MEAN) points /= dim.criteria.size();
    points *= dim.weight;
    total += points;
    visit(dim, points, *label);
  }
  return total;
}

}  // namespace

HealthScore HealthScorer::Score(absl::Span<const double> row) const {
  HealthScore out;
  out.dimensions.reserve(impl_->dimensions.size());
  out.total =
      Walk(impl_->dimensions, impl_->scorecard.base_points(), row,
           [&](const Dimension& dim, double points, const std::string& label) {
             DimensionResult& r = out.dimensions.emplace_back();
             r.name = dim.name;
             r.points = points;
             r.label = label;
             for (const Criterion& c : dim.criteria) {
               r.values.emplace_back(c.feature, row[c.column]);
             }
           });
  out.colour = ColourOf(out.total);
  return out;
}

double HealthScorer::Total(absl::Span<const double> row) const {
  return Walk(impl_->dimensions, impl_->scorecard.base_points(), row,
              [](const Dimension&, double, const std::string&) {});
}

double HealthScorer::ScoreInto(
    absl::Span<const double> row,
    google::protobuf::RepeatedPtrField<v1::DimensionScore>* out) const {
  // Lists sized once: growing them step by step on an arena leaves each
  // outgrown array behind.
  out->Reserve(out->size() + static_cast<int>(impl_->dimensions.size()));
  return Walk(
      impl_->dimensions, impl_->scorecard.base_points(), row,
      [&](const Dimension& dim, double points, const std::string& label) {
        v1::DimensionScore& d = *out->Add();
        d.set_name(dim.name);
        d.set_points(points);
        d.set_label(label);
        d.mutable_values()->Reserve(static_cast<int>(dim.criteria.size()));
        for (const Criterion& c : dim.criteria) {
          v1::FeatureValue& v = *d.add_values();
          v.set_feature(c.feature);
          v.set_value(row[c.column]);
        }
      });
}

namespace {
absl::StatusOr<v1::Scorecard> ShippedScorecard(const char* text,
                                               const char* file) {
  v1::Scorecard card;
  if (absl::Status s = internal::ParseShippedConfig(text, file, &card);
      !s.ok()) {
    return s;
  }
  return card;
}
}  // namespace

absl::StatusOr<v1::Scorecard> DefaultScorecard() {
  return ShippedScorecard(internal::kDefaultHealthTextproto,
                          "configs/health/default.textproto");
}

absl::StatusOr<v1::Scorecard> WeightedScorecard() {
  return ShippedScorecard(internal::kWeightedHealthTextproto,
                          "configs/health/weighted.textproto");
}

const char* ColourName(v1::Colour colour) {
  switch (colour) {
    case v1::GREEN:
      return "GREEN";
    case v1::YELLOW:
      return "YELLOW";
    case v1::RED:
      return "RED";
    default:
      return "UNSPECIFIED";
  }
}

}  // namespace churnkit
