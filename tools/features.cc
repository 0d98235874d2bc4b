// churnkit features: point-in-time feature values of every customer.

#include "churnkit/features.h"

#include <cmath>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "args.h"
#include "churnkit/dataset.h"
#include "churnkit/io.h"
#include "commands.h"
#include "data_input.h"
#include "table.h"

namespace churnkit::cli {
namespace {

// Shortest text that reads back as the same double; NaN as an empty cell.
std::string Cell(double v) {
  if (std::isnan(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  // Prefer the short form when it round-trips.
  char shorter[32];
  std::snprintf(shorter, sizeof(shorter), "%.10g", v);
  return std::strtod(shorter, nullptr) == v ? shorter : buf;
}

}  // namespace

absl::Status ParseAsOf(absl::string_view text, UnixSeconds* out) {
  absl::StatusOr<UnixSeconds> t = ParseTime(text);
  if (!t.ok()) return t.status();
  *out = *t;
  return absl::OkStatus();
}

absl::Status ParseDates(absl::string_view text, std::vector<UnixSeconds>* out) {
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    UnixSeconds t = kNoTime;
    if (absl::Status s = ParseAsOf(item, &t); !s.ok()) return s;
    out->push_back(t);
  }
  return absl::OkStatus();
}

int RunFeatures(CommandArgs args) {
  ArgParser parser(
      "churnkit features",
      "Computes every feature of a feature set (default: the shipped set of\n"
      "domain warning signals) for each customer signed up before --as-of,\n"
      "from events strictly before it, and prints one CSV row per customer:\n"
      "customer_id, then one column per feature. An empty cell is a value\n"
      "that is not defined for the customer (e.g. days since a login that\n"
      "never happened).");
  DataInput input;
  std::string config_file;
  UnixSeconds as_of = kNoTime;
  AddDataInputArgs(parser, &input);
  parser.AddOption("as-of", "DATE",
                   "Compute as of this date (required), e.g. 2025-01-01",
                   [&](absl::string_view v) { return ParseAsOf(v, &as_of); });
  parser.AddString("config", "FILE",
                   "A churnkit.v1.FeatureSet textproto (default: the shipped "
                   "configs/features/default.textproto)",
                   &config_file);
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
  if (as_of == kNoTime) return parser.UsageError("--as-of is required");

  absl::StatusOr<v1::FeatureSet> set = DefaultFeatureSet();
  if (!config_file.empty()) {
    set = v1::FeatureSet();
    if (absl::Status s = ReadConfigFile(config_file, &*set); !s.ok()) {
      return Fail(parser, s);
    }
  }
  if (!set.ok()) return Fail(parser, set.status());
  absl::StatusOr<FeatureEngine> engine = FeatureEngine::Create(*set);
  if (!engine.ok()) return Fail(parser, engine.status());

  v1::LoadOptions options;
  LoadResult loaded;
  if (int code = ReadInput(parser, input, &options, &loaded); code != kExitOk) {
    return code;
  }

  absl::StatusOr<FeatureMatrix> m = engine->Compute(loaded.dataset, as_of);
  if (!m.ok()) return Fail(parser, m.status());
  std::string line = "customer_id";
  for (const std::string& c : m->columns) absl::StrAppend(&line, ",", c);
  std::printf("%s\n", line.c_str());
  for (size_t r = 0; r < m->num_rows(); ++r) {
    line = CsvCell(m->customer_ids[r]);
    for (double v : m->row(r)) absl::StrAppend(&line, ",", Cell(v));
    std::printf("%s\n", line.c_str());
  }
  std::fprintf(stderr, "%s: %zu customers x %zu features as of %s\n",
               parser.program().c_str(), m->num_rows(), m->num_cols(),
               FormatTime(as_of).c_str());
  return kExitOk;
}

}  // namespace churnkit::cli
