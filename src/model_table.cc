// Plain customer tables for the model: encoding a table's columns into
// features (EncodeTable) and a table in a model's encoding (EncodeForModel).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "churnkit/io.h"
#include "churnkit/model.h"
#include "internal/status_macros.h"
#include "internal/table_encoding.h"
#include "internal/utf8.h"

namespace churnkit {
namespace internal {

std::vector<std::string> EncodedNames(const v1::TableEncoding& encoding) {
  std::vector<std::string> names;
  for (const v1::ColumnEncoding& c : encoding.columns()) {
    if (!c.categorical()) {
      names.push_back(c.column());
      continue;
    }
    for (int k = c.drop_first() ? 1 : 0; k < c.levels_size(); ++k) {
      names.push_back(absl::StrCat(c.column(), "=", c.levels(k)));
    }
  }
  return names;
}

}  // namespace internal

namespace {

using internal::EncodedNames;

const std::vector<std::string>& DefaultMissingTokens() {
  static const auto* tokens =
      new std::vector<std::string>{"", "NA", "N/A", "NaN", "null"};
  return *tokens;
}

bool ParseNumber(absl::string_view s, double* out) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Parses a label cell: `positive` means 1 and anything else 0; with no
// `positive`, 1/true/yes and 0/false/no (any case).
absl::StatusOr<uint8_t> ParseLabel(absl::string_view cell,
                                   const std::string& positive) {
  if (!positive.empty()) return cell == positive ? 1 : 0;
  for (absl::string_view yes : {"1", "true", "yes"}) {
    if (absl::EqualsIgnoreCase(cell, yes)) return 1;
  }
  for (absl::string_view no : {"0", "false", "no"}) {
    if (absl::EqualsIgnoreCase(cell, no)) return 0;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "'", cell,
      "' is not a label (1/true/yes or 0/false/no); name the churned value "
      "with positive_label"));
}

std::string Where(const PlainTable& t, size_t row) {
  return absl::StrCat(t.source, ":", t.lines[row]);
}

absl::StatusOr<size_t> RequireColumn(const PlainTable& t,
                                     const std::string& name,
                                     absl::string_view role) {
  std::optional<size_t> c = t.ColumnIndex(name);
  if (!c.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(t.source, ": no ", role, " column '", name,
                     "'; columns are: ", absl::StrJoin(t.columns, ", ")));
  }
  return *c;
}

// Reads the label column (if `column` is set) into 0/1.
absl::StatusOr<std::vector<uint8_t>> ReadLabels(const PlainTable& t,
                                                size_t column,
                                                const std::string& positive) {
  std::vector<uint8_t> labels(t.num_rows());
  for (size_t r = 0; r < t.num_rows(); ++r) {
    const absl::string_view cell =
        absl::StripAsciiWhitespace(t.cell(r, column));
    absl::StatusOr<uint8_t> y = ParseLabel(cell, positive);
    if (!y.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(t, r), ": column '", t.columns[column],
                       "': ", y.status().message()));
    }
    labels[r] = *y;
  }
  return labels;
}

std::vector<std::string> RowIds(const PlainTable& t,
                                std::optional<size_t> id_column) {
  std::vector<std::string> ids(t.num_rows());
  for (size_t r = 0; r < t.num_rows(); ++r) {
    ids[r] =
        id_column.has_value()
            ? std::string(absl::StripAsciiWhitespace(t.cell(r, *id_column)))
            : absl::StrCat("row ", r + 1);
  }
  return ids;
}

// Writes the features of `encoding` for `table` into `out` (row-major);
// `unseen[f]` is the value of indicator f for a level not in training.
absl::Status FillFeatures(const PlainTable& table,
                          const v1::TableEncoding& encoding,
                          absl::Span<const size_t> source_columns,
                          absl::Span<const double> unseen, FeatureMatrix* out) {
  absl::flat_hash_set<std::string> missing(encoding.missing_tokens().begin(),
                                           encoding.missing_tokens().end());
  const size_t n = table.num_rows(), d = out->columns.size();
  out->values.assign(n * d, 0.0);
  size_t f = 0;
  for (int c = 0; c < encoding.columns_size(); ++c) {
    const v1::ColumnEncoding& enc = encoding.columns(c);
    const size_t src = source_columns[c];
    if (!enc.categorical()) {
      for (size_t r = 0; r < n; ++r) {
        const absl::string_view cell =
            absl::StripAsciiWhitespace(table.cell(r, src));
        double v = std::numeric_limits<double>::quiet_NaN();
        if (!missing.contains(cell) && !ParseNumber(cell, &v)) {
          return absl::InvalidArgumentError(
              absl::StrCat(Where(table, r), ": column '", enc.column(), "': '",
                           cell, "' is not a number"));
        }
        out->values[r * d + f] = v;
      }
      ++f;
      continue;
    }
    absl::flat_hash_map<std::string, int> level;
    for (int k = 0; k < enc.levels_size(); ++k) level[enc.levels(k)] = k;
    const int first = enc.drop_first() ? 1 : 0;
    const size_t width = static_cast<size_t>(enc.levels_size() - first);
    for (size_t r = 0; r < n; ++r) {
      const std::string cell(absl::StripAsciiWhitespace(table.cell(r, src)));
      double* row = out->values.data() + r * d + f;
      if (missing.contains(cell)) {
        std::fill(row, row + width, std::numeric_limits<double>::quiet_NaN());
        continue;
      }
      auto it = level.find(cell);
      if (it == level.end()) {
        for (size_t k = 0; k < width; ++k) row[k] = unseen[f + k];
      } else if (it->second >= first) {
        row[it->second - first] = 1.0;
      }
    }
    f += width;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EncodedTable> EncodeTable(const PlainTable& table,
                                         const v1::TableOptions& options) {
  if (options.label_column().empty()) {
    return absl::InvalidArgumentError("label_column: required");
  }
  absl::StatusOr<size_t> label =
      RequireColumn(table, options.label_column(), "label");
  if (!label.ok()) return label.status();
  std::optional<size_t> id;
  if (!options.id_column().empty()) {
    absl::StatusOr<size_t> c = RequireColumn(table, options.id_column(), "id");
    if (!c.ok()) return c.status();
    id = *c;
  }
  absl::flat_hash_set<std::string> categorical, numeric, ignore;
  for (const auto& [list, set, role] :
       {std::tuple{&options.categorical(), &categorical, "categorical"},
        std::tuple{&options.numeric(), &numeric, "numeric"},
        std::tuple{&options.ignore(), &ignore, "ignored"}}) {
    for (const std::string& name : *list) {
      absl::StatusOr<size_t> c = RequireColumn(table, name, role);
      if (!c.ok()) return c.status();
      set->insert(name);
    }
  }
  const int max_levels = options.max_levels() > 0 ? options.max_levels() : 100;
  EncodedTable out;
  v1::TableEncoding& enc = out.encoding;
  enc.set_id_column(options.id_column());
  enc.set_label_column(options.label_column());
  enc.set_positive_label(options.positive_label());
  if (options.missing_tokens_size() > 0) {
    *enc.mutable_missing_tokens() = options.missing_tokens();
  } else {
    for (const std::string& t : DefaultMissingTokens()) {
      enc.add_missing_tokens(t);
    }
  }
  absl::flat_hash_set<std::string> missing(enc.missing_tokens().begin(),
                                           enc.missing_tokens().end());
  std::vector<size_t> sources;
  const size_t n = table.num_rows();
  for (size_t c = 0; c < table.num_cols(); ++c) {
    const std::string& name = table.columns[c];
    if (c == *label || (id.has_value() && c == *id) || ignore.contains(name)) {
      continue;
    }
    bool is_numeric = !categorical.contains(name);
    if (is_numeric) {
      for (size_t r = 0; r < n; ++r) {
        const absl::string_view cell =
            absl::StripAsciiWhitespace(table.cell(r, c));
        double v;
        if (missing.contains(cell) || ParseNumber(cell, &v)) continue;
        if (numeric.contains(name)) {
          return absl::InvalidArgumentError(
              absl::StrCat(Where(table, r), ": column '", name, "': '", cell,
                           "' is not a number"));
        }
        is_numeric = false;
        break;
      }
    }
    v1::ColumnEncoding& column = *enc.add_columns();
    column.set_column(name);
    sources.push_back(c);
    if (is_numeric) continue;
    column.set_categorical(true);
    column.set_drop_first(options.drop_first_level());
    std::vector<std::string> levels;
    absl::flat_hash_set<std::string> seen;
    for (size_t r = 0; r < n; ++r) {
      std::string cell(absl::StripAsciiWhitespace(table.cell(r, c)));
      if (missing.contains(cell) || !seen.insert(cell).second) continue;
      levels.push_back(std::move(cell));
      if (levels.size() > static_cast<size_t>(max_levels)) {
        return absl::InvalidArgumentError(absl::StrCat(
            table.source, ": column '", name, "' has more than ", max_levels,
            " distinct values; if it is an id name it as the id column, else "
            "ignore it or raise max_levels"));
      }
    }
    std::sort(levels.begin(), levels.end());
    for (std::string& l : levels) column.add_levels(std::move(l));
  }
  out.features.columns = EncodedNames(enc);
  if (out.features.columns.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(table.source, ": no feature columns left"));
  }
  out.features.customer_ids = RowIds(table, id);
  out.features.as_of.assign(n, kNoTime);
  const std::vector<double> unseen(out.features.columns.size(), 0.0);
  CK_RETURN_IF_ERROR(FillFeatures(table, enc, sources, unseen, &out.features));
  absl::StatusOr<std::vector<uint8_t>> labels =
      ReadLabels(table, *label, options.positive_label());
  if (!labels.ok()) return labels.status();
  out.labels = *std::move(labels);
  return out;
}

absl::StatusOr<EncodedTable> EncodeForModel(const v1::LogisticModel& model,
                                            const PlainTable& table) {
  CK_RETURN_IF_ERROR(ValidateModel(model));
  const v1::TableEncoding& enc = model.encoding();
  if (enc.columns_size() == 0) {
    return absl::FailedPreconditionError(
        "the model was not fitted on a plain table (it has no encoding)");
  }
  std::vector<size_t> sources;
  for (const v1::ColumnEncoding& c : enc.columns()) {
    absl::StatusOr<size_t> s = RequireColumn(table, c.column(), "feature");
    if (!s.ok()) return s.status();
    sources.push_back(*s);
  }
  EncodedTable out;
  out.encoding = enc;
  out.features.columns.assign(model.feature_names().begin(),
                              model.feature_names().end());
  std::optional<size_t> id;
  if (!enc.id_column().empty()) id = table.ColumnIndex(enc.id_column());
  out.features.customer_ids = RowIds(table, id);
  out.features.as_of.assign(table.num_rows(), kNoTime);
  const std::vector<double> unseen(model.means().begin(), model.means().end());
  CK_RETURN_IF_ERROR(FillFeatures(table, enc, sources, unseen, &out.features));
  if (std::optional<size_t> label = table.ColumnIndex(enc.label_column());
      label.has_value() && !enc.label_column().empty()) {
    absl::StatusOr<std::vector<uint8_t>> labels =
        ReadLabels(table, *label, enc.positive_label());
    if (!labels.ok()) return labels.status();
    out.labels = *std::move(labels);
  }
  return out;
}

}  // namespace churnkit
