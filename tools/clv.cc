// churnkit clv: non-contractual customer lifetime value (BG/NBD +
// Gamma-Gamma) from an order log or from RFM summaries.

#include "churnkit/clv.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "args.h"
#include "churnkit/dataset.h"
#include "churnkit/io.h"
#include "churnkit/jobs.h"
#include "commands.h"
#include "data_input.h"
#include "table.h"

namespace churnkit::cli {
namespace {

// An option holding a finite double with a lower bound.
std::function<absl::Status(absl::string_view)> DoubleOption(const char* name,
                                                            double min,
                                                            bool strict,
                                                            double* out) {
  return [=](absl::string_view v) -> absl::Status {
    double d = 0;
    if (!absl::SimpleAtod(v, &d) || !std::isfinite(d) ||
        (strict ? d <= min : d < min)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " must be a number ",
                       strict ? "> " : ">= ", min, ", not '", v, "'"));
    }
    *out = d;
    return absl::OkStatus();
  };
}

// Reads a summary CSV: frequency (or x), recency (or t_x), T (or age),
// optional monetary (or zbar) and id (customer_id, id or ID).
absl::StatusOr<RfmSummaries> ReadSummaries(const std::string& path,
                                           v1::ClvTimeUnit unit) {
  absl::StatusOr<PlainTable> t = ReadPlainTable(path);
  if (!t.ok()) return t.status();
  auto find = [&](std::initializer_list<const char*> names) {
    for (const char* n : names) {
      if (std::optional<size_t> c = t->ColumnIndex(n)) return c;
    }
    return std::optional<size_t>();
  };
  const std::optional<size_t> x = find({"frequency", "x"}),
                              tx = find({"recency", "t_x"}),
                              age = find({"T", "age"}),
                              m = find({"monetary", "monetary_value", "zbar"}),
                              id = find({"customer_id", "id", "ID"});
  if (!x || !tx || !age) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": needs columns frequency, recency and T (or x, t_x, T)"));
  }
  RfmSummaries rfm;
  rfm.time_unit = unit;
  for (size_t r = 0; r < t->num_rows(); ++r) {
    double v[4] = {0, 0, 0, 0};
    const size_t cols[4] = {*x, *tx, *age, m ? *m : *x};
    for (int k = 0; k < (m ? 4 : 3); ++k) {
      if (!absl::SimpleAtod(t->cell(r, cols[k]), &v[k])) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ":", t->lines[r], ": column '", t->columns[cols[k]],
            "' is not a number: '", t->cell(r, cols[k]), "'"));
      }
    }
    rfm.customer_ids.push_back(id ? t->cell(r, *id)
                                  : absl::StrCat(t->lines[r]));
    rfm.frequency.push_back(v[0]);
    rfm.recency.push_back(v[1]);
    rfm.age.push_back(v[2]);
    if (m) rfm.monetary.push_back(v[3]);
  }
  return rfm;
}

}  // namespace

int RunClv(CommandArgs args) {
  ArgParser parser(
      "churnkit clv",
      "Customer lifetime value for non-contractual (order-based) customers:\n"
      "summarises each customer's orders as frequency / recency / age /\n"
      "mean repeat spend, fits the BG/NBD purchase model and the "
      "Gamma-Gamma\n"
      "spend model by maximum likelihood, and predicts P(alive), expected\n"
      "purchases over --horizon, expected spend and CLV per customer.\n"
      "Input: a data set (PATH..., with --as-of) or --summary FILE.\n"
      "See docs/clv.md.");
  DataInput input;
  std::string summary_file, out_file, unit_name = "days";
  UnixSeconds as_of = kNoTime;
  bool keep_same_day = false, json = false;
  double penalizer = 0, horizon = 0, margin = 1, discount_rate = 0,
         discount_period = 0;
  int64_t top = 10;
  AddDataInputArgs(parser, &input);
  parser.AddString("summary", "FILE",
                   "Read RFM summaries (CSV: frequency,recency,T[,monetary]"
                   "[,customer_id]) instead of a data set",
                   &summary_file);
  parser.AddOption("as-of", "DATE",
                   "End of the observation: orders strictly before it count "
                   "(required with PATH)",
                   [&](absl::string_view v) { return ParseAsOf(v, &as_of); });
  parser.AddOption("unit", "days|weeks",
                   "Time unit of recency, age and --horizon (default days)",
                   [&](absl::string_view v) -> absl::Status {
                     if (v != "days" && v != "weeks") {
                       return absl::InvalidArgumentError(absl::StrCat(
                           "--unit must be days or weeks, not '", v, "'"));
                     }
                     unit_name = std::string(v);
                     return absl::OkStatus();
                   });
  parser.AddFlag("keep-same-day",
                 "Count every order as a purchase (default: one purchase per "
                 "customer and day, amounts summed)",
                 &keep_same_day);
  parser.AddOption("penalizer", "X",
                   "L2 penalty on the parameters, as lifetimes' "
                   "penalizer_coef (default 0)",
                   DoubleOption("penalizer", 0, false, &penalizer));
  parser.AddOption("horizon", "T",
                   "Prediction horizon in --unit (default one year: 365 days "
                   "or 52 weeks)",
                   DoubleOption("horizon", 0, true, &horizon));
  parser.AddOption("margin", "M", "Gross margin on spend (default 1)",
                   DoubleOption("margin", 0, true, &margin));
  parser.AddOption("discount-rate", "D",
                   "Discount rate per --discount-period (default 0)",
                   DoubleOption("discount-rate", 0, false, &discount_rate));
  parser.AddOption("discount-period", "P",
                   "Length of a discount period in --unit (default: 30 days "
                   "or 52/12 weeks)",
                   DoubleOption("discount-period", 0, true, &discount_period));
  parser.AddInt("top", "N", "Customers listed by CLV (default 10)", 0, 1000000,
                &top);
  parser.AddString("out", "FILE",
                   "Write one CSV row per customer (id, frequency, recency, "
                   "age, monetary, p_alive, expected_purchases, "
                   "expected_spend, clv)",
                   &out_file);
  parser.AddFlag("json", "Print the fitted churnkit.v1.ClvModel as JSON",
                 &json);
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
  const v1::ClvTimeUnit unit =
      unit_name == "weeks" ? v1::CLV_WEEKS : v1::CLV_DAYS;
  if (summary_file.empty() == input.paths.empty()) {
    return parser.UsageError("give either PATH... or --summary FILE");
  }

  v1::ClvRequest request;
  request.mutable_rfm()->set_time_unit(unit);
  request.mutable_rfm()->set_keep_same_day_orders(keep_same_day);
  request.mutable_fit()->set_penalizer_coef(penalizer);
  request.mutable_predict()->set_horizon(horizon);
  request.mutable_predict()->set_margin(margin);
  request.mutable_predict()->set_discount_rate(discount_rate);
  request.mutable_predict()->set_discount_period(discount_period);
  absl::StatusOr<v1::ClvResponse> result;
  if (!summary_file.empty()) {
    absl::StatusOr<RfmSummaries> rfm = ReadSummaries(summary_file, unit);
    if (!rfm.ok()) return Fail(parser, rfm.status());
    result = ClvFromSummaries(*rfm, request);
  } else {
    if (as_of == kNoTime) {
      return parser.UsageError("--as-of is required with PATH");
    }
    request.set_as_of(FormatTime(as_of));
    v1::LoadOptions options;
    LoadResult loaded;
    if (int code = ReadInput(parser, input, &options, &loaded);
        code != kExitOk) {
      return code;
    }
    result = ComputeClv(loaded.dataset, request);
  }
  if (!result.ok()) return Fail(parser, result.status());
  const v1::ClvResponse& r = *result;
  const v1::ClvModel& model = r.model();
  const v1::ClvPredictOptions& predict = r.predict();

  if (!out_file.empty()) {
    absl::StatusOr<std::unique_ptr<MessageCsvWriter>> w =
        MessageCsvWriter::Open(out_file, v1::CustomerClv::descriptor());
    if (!w.ok()) return Fail(parser, w.status());
    for (const v1::CustomerClv& c : r.customers()) {
      if (absl::Status s = (*w)->Write(c); !s.ok()) return Fail(parser, s);
    }
    if (absl::Status s = (*w)->Close(); !s.ok()) return Fail(parser, s);
  }
  if (json) {
    if (absl::Status s = PrintJson(model); !s.ok()) return Fail(parser, s);
    return kExitOk;
  }

  const int64_t repeat =
      std::count_if(r.customers().begin(), r.customers().end(),
                    [](const v1::CustomerClv& c) { return c.frequency() > 0; });
  std::printf("CLV of %s customers (%s repeat buyers), time in %s",
              FormatCount(r.customers_size()).c_str(),
              FormatCount(repeat).c_str(), unit_name.c_str());
  if (r.customers_without_orders() > 0) {
    std::printf("; %s without an order left out",
                FormatCount(r.customers_without_orders()).c_str());
  }
  std::printf("\n\n");
  const v1::BgNbdModel& bg = model.bg_nbd();
  std::printf(
      "BG/NBD       r = %.6f  alpha = %.6f  a = %.6f  b = %.6f\n"
      "             log-likelihood %.6f, %s after %d iterations\n",
      bg.r(), bg.alpha(), bg.a(), bg.b(), bg.log_likelihood(),
      bg.converged() ? "converged" : "NOT converged", bg.iterations());
  if (model.has_gamma_gamma()) {
    const v1::GammaGammaModel& gg = model.gamma_gamma();
    std::printf(
        "Gamma-Gamma  p = %.6f  q = %.6f  v = %.6f\n"
        "             log-likelihood %.6f on %s repeat buyers, %s after %d "
        "iterations\n",
        gg.p(), gg.q(), gg.v(), gg.log_likelihood(),
        FormatCount(gg.num_customers()).c_str(),
        gg.converged() ? "converged" : "NOT converged", gg.iterations());
  } else {
    std::printf("Gamma-Gamma  not fitted (no monetary column)\n");
  }
  std::printf(
      "\nHorizon %g %s, margin %g%s: mean P(alive) %.4f, expected purchases "
      "%.1f, total CLV %.2f\n",
      predict.horizon(), unit_name.c_str(), margin,
      discount_rate > 0
          ? absl::StrFormat(", discount %g per %g %s", discount_rate,
                            predict.discount_period(), unit_name)
                .c_str()
          : "",
      r.mean_p_alive(), r.expected_purchases(), r.total_clv());
  if (top > 0 && r.customers_size() > 0) {
    std::vector<int> order(r.customers_size());
    std::iota(order.begin(), order.end(), 0);
    const int k = std::min<int>(static_cast<int>(top), order.size());
    std::partial_sort(
        order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
          const double x = r.customers(a).clv(), y = r.customers(b).clv();
          return x != y ? x > y : a < b;
        });
    using Align = TextTable::Align;
    TextTable table({Align::kLeft, Align::kRight, Align::kRight, Align::kRight,
                     Align::kRight, Align::kRight, Align::kRight});
    table.AddRow({"Customer", "Frequency", "Recency", "Age", "P(alive)",
                  "Purchases", "CLV"});
    for (int j = 0; j < k; ++j) {
      const v1::CustomerClv& c = r.customers(order[j]);
      table.AddRow({c.customer_id(), absl::StrFormat("%g", c.frequency()),
                    absl::StrFormat("%.2f", c.recency()),
                    absl::StrFormat("%.2f", c.age()),
                    absl::StrFormat("%.3f", c.p_alive()),
                    absl::StrFormat("%.2f", c.expected_purchases()),
                    absl::StrFormat("%.2f", c.clv())});
    }
    std::printf("\nTop %d customers by CLV\n%s", k, table.Render().c_str());
  }
  return kExitOk;
}

}  // namespace churnkit::cli
