// churnkit generate: a synthetic CRM history (docs/generator.md).

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "args.h"
#include "churnkit/dataset.h"
#include "churnkit/generator.h"
#include "churnkit/io.h"
#include "churnkit/jobs.h"
#include "commands.h"
#include "data_input.h"
#include "google/protobuf/text_format.h"
#include "table.h"

namespace churnkit::cli {
namespace {

// Runs at least this large report their progress on stderr.
constexpr int64_t kProgressFrom = 50000;

std::string ChurnLine(const v1::GeneratorSummary& s) {
  int64_t churned = 0;
  for (const auto& [type, n] : s.churned_by_type()) churned += n;
  std::string line =
      absl::StrCat("Churned in the period: ", FormatCount(churned), " of ",
                   FormatCount(s.customers()), " (",
                   FormatShare(churned, s.customers()), ")");
  const char* sep = ": ";
  for (const char* type : {"active", "passive", "hidden"}) {
    const auto it = s.churned_by_type().find(type);
    const int64_t n = it == s.churned_by_type().end() ? 0 : it->second;
    absl::StrAppend(&line, sep, type, " ", FormatCount(n), " (",
                    FormatShare(n, churned), ")");
    sep = ", ";
  }
  return line;
}

}  // namespace

int RunGenerate(CommandArgs args) {
  ArgParser parser(
      "churnkit generate",
      "Generates a realistic synthetic CRM history: customers of several\n"
      "industries and tiers, their owners, contacts, contracts and a\n"
      "time-sorted event log of every kind, with churners who show noisy\n"
      "warning signals before they leave (docs/generator.md). The ground\n"
      "truth (who churned, when, how and why) goes to DIR/truth.csv, never\n"
      "into the events. The same seed and config always give the same bytes.\n"
      "Options override the --config file; unset values take the shipped\n"
      "defaults (print them with --print-config). Files appear only when\n"
      "complete; DIR/generator_config.textproto, written last, marks a\n"
      "finished run.");
  int64_t customers = 0, threads = 0;
  bool seed_given = false, print_config = false, quiet = false;
  uint64_t seed = 0;
  std::string start, end, out, config_file;
  v1::Format format = v1::CSV;
  parser.AddInt("customers", "N", "Number of customers (default 1000)", 1,
                1'000'000'000, &customers);
  parser.AddOption(
      "seed", "S", "Random seed, an unsigned integer (default 0)",
      [&](absl::string_view text) {
        if (!absl::SimpleAtoi(text, &seed)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "--seed expects an unsigned integer, got '", text, "'"));
        }
        seed_given = true;
        return absl::OkStatus();
      });
  auto date_option = [&](const char* name, std::string* target) {
    return [name, target](absl::string_view text) {
      absl::StatusOr<UnixSeconds> t = ParseTime(text);
      if (!t.ok() || *t % 86400 != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", name, " expects a date YYYY-MM-DD, got '", text, "'"));
      }
      *target = FormatTime(*t);
      return absl::OkStatus();
    };
  };
  parser.AddOption("start", "YYYY-MM-DD",
                   "First day of the simulated period (default 2024-01-01)",
                   date_option("start", &start));
  parser.AddOption("end", "YYYY-MM-DD",
                   "Last day of the simulated period (default 2025-12-31)",
                   date_option("end", &end));
  parser.AddString("out", "DIR", "Output directory (required)", &out);
  parser.AddOption(
      "format", "csv|jsonl|pb",
      "Output format (default csv): csv writes the five table "
      "files, jsonl and pb write DIR/records.jsonl or "
      "DIR/records.pb",
      [&format](absl::string_view name) {
        absl::StatusOr<v1::Format> f = ParseFormat(name);
        if (!f.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "--format must be csv, jsonl or pb, got '", name, "'"));
        }
        format = *f;
        return absl::OkStatus();
      });
  parser.AddString("config", "FILE",
                   "A churnkit.v1.GeneratorConfig textproto (binary when "
                   "the name ends in .pb or .binpb)",
                   &config_file);
  parser.AddInt("threads", "N",
                "Worker threads (default 0: one per core); the output does "
                "not depend on it",
                0, 1024, &threads);
  parser.AddFlag("print-config",
                 "Print the resolved config (every default filled in) as a "
                 "textproto and exit",
                 &print_config);
  parser.AddFlag("quiet", "No progress on stderr", &quiet);
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
  if (out.empty() && !print_config) return parser.UsageError("missing --out");

  v1::GeneratorConfig config;
  if (!config_file.empty()) {
    if (absl::Status s = ReadConfigFile(config_file, &config); !s.ok()) {
      return Fail(parser, s);
    }
  }
  if (customers > 0) config.set_customers(customers);
  if (seed_given) config.set_seed(seed);
  if (!start.empty()) config.set_start_date(start);
  if (!end.empty()) config.set_end_date(end);
  v1::GenerateRequest request;
  *request.mutable_config() = config;
  request.set_format(format);
  request.set_out_dir(out);
  request.set_resolve_only(print_config);
  request.set_threads(static_cast<int32_t>(threads));
  // Check the config before anything is written.
  v1::GenerateRequest check = request;
  check.set_resolve_only(true);
  absl::StatusOr<v1::GenerateResult> resolved = GenerateData(check);
  if (!resolved.ok()) {
    // The flags and --config are the request's config: name its fields.
    return parser.UsageError(absl::StrCat(
        "invalid generator config: ",
        absl::StripPrefix(resolved.status().message(), "config.")));
  }
  if (print_config) {
    std::string text;
    google::protobuf::TextFormat::PrintToString(resolved->config(), &text);
    std::fputs(text.c_str(), stdout);
    return kExitOk;
  }

  ProgressLine progress("churnkit generate");
  const auto began = std::chrono::steady_clock::now();
  absl::StatusOr<v1::GenerateResult> generated =
      GenerateData(request, [&](int64_t done, int64_t total) {
        if (quiet || total < kProgressFrom) return;
        progress.Show(absl::StrCat(FormatCount(done), " / ", FormatCount(total),
                                   " customers"),
                      static_cast<int>(100 * done / total));
      });
  if (!generated.ok()) return Fail(parser, generated.status());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began)
          .count();
  const v1::GeneratorSummary& s = generated->summary();
  const v1::GeneratorConfig& resolved_config = generated->config();
  std::printf(
      "Generated %s customers, %s events, %s contacts, %s contracts and %s "
      "owners\n",
      FormatCount(s.customers()).c_str(), FormatCount(s.events()).c_str(),
      FormatCount(s.contacts()).c_str(), FormatCount(s.contracts()).c_str(),
      FormatCount(s.owners()).c_str());
  std::printf(
      "into %s (%s) in %.1f s (%s events/s)\n", out.c_str(),
      FormatName(format).c_str(), seconds,
      FormatCount(static_cast<int64_t>(s.events() / std::max(seconds, 1e-3)))
          .c_str());
  std::printf("Period %s .. %s, seed %llu\n",
              resolved_config.start_date().c_str(),
              resolved_config.end_date().c_str(),
              static_cast<unsigned long long>(resolved_config.seed()));
  std::printf("%s\n", ChurnLine(s).c_str());
  std::printf("Ground truth: %s (not part of the events)\n",
              (std::filesystem::path(out) / kGeneratorTruthFile).c_str());
  return kExitOk;
}

}  // namespace churnkit::cli
