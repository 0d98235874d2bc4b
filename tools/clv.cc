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

  absl::StatusOr<RfmSummaries> rfm;
  if (!summary_file.empty()) {
    rfm = ReadSummaries(summary_file, unit);
  } else {
    if (as_of == kNoTime) {
      return parser.UsageError("--as-of is required with PATH");
    }
    v1::LoadOptions options;
    LoadResult loaded;
    if (int code = ReadInput(parser, input, &options, &loaded);
        code != kExitOk) {
      return code;
    }
    v1::RfmOptions rfm_options;
    rfm_options.set_time_unit(unit);
    rfm_options.set_keep_same_day_orders(keep_same_day);
    rfm = ComputeRfmSummaries(loaded.dataset, as_of, rfm_options);
  }
  if (!rfm.ok()) return Fail(parser, rfm.status());

  v1::ClvFitOptions fit;
  fit.set_penalizer_coef(penalizer);
  v1::ClvModel model;
  absl::StatusOr<v1::BgNbdModel> bg = FitBgNbd(*rfm, fit);
  if (!bg.ok()) return Fail(parser, bg.status());
  *model.mutable_bg_nbd() = *bg;
  const bool spend = !rfm->monetary.empty();
  if (spend) {
    absl::StatusOr<v1::GammaGammaModel> gg = FitGammaGamma(*rfm, fit);
    if (!gg.ok()) return Fail(parser, gg.status());
    *model.mutable_gamma_gamma() = *gg;
  }

  v1::ClvPredictOptions predict;
  predict.set_horizon(horizon > 0 ? horizon
                                  : (unit == v1::CLV_WEEKS ? 52.0 : 365.0));
  predict.set_margin(margin);
  if (discount_rate > 0) {
    predict.set_discount_rate(discount_rate);
    predict.set_discount_period(
        discount_period > 0 ? discount_period
                            : (unit == v1::CLV_WEEKS ? 52.0 / 12 : 30.0));
  }
  absl::StatusOr<ClvPredictions> p =
      PredictClv(*rfm, *bg, spend ? &model.gamma_gamma() : nullptr, predict);
  if (!p.ok()) return Fail(parser, p.status());

  if (!out_file.empty()) {
    absl::StatusOr<std::unique_ptr<MessageCsvWriter>> w =
        MessageCsvWriter::Open(out_file, v1::CustomerClv::descriptor());
    if (!w.ok()) return Fail(parser, w.status());
    for (size_t i = 0; i < rfm->size(); ++i) {
      if (absl::Status s = (*w)->Write(CustomerClvRow(*rfm, *p, i)); !s.ok()) {
        return Fail(parser, s);
      }
    }
    if (absl::Status s = (*w)->Close(); !s.ok()) return Fail(parser, s);
  }
  if (json) {
    if (absl::Status s = PrintJson(model); !s.ok()) return Fail(parser, s);
    return kExitOk;
  }

  const int64_t repeat =
      std::count_if(rfm->frequency.begin(), rfm->frequency.end(),
                    [](double x) { return x > 0; });
  std::printf("CLV of %s customers (%s repeat buyers), time in %s",
              FormatCount(rfm->size()).c_str(), FormatCount(repeat).c_str(),
              unit_name.c_str());
  if (rfm->customers_without_orders > 0) {
    std::printf("; %s without an order left out",
                FormatCount(rfm->customers_without_orders).c_str());
  }
  std::printf("\n\n");
  std::printf(
      "BG/NBD       r = %.6f  alpha = %.6f  a = %.6f  b = %.6f\n"
      "             log-likelihood %.6f, %s after %d iterations\n",
      bg->r(), bg->alpha(), bg->a(), bg->b(), bg->log_likelihood(),
      bg->converged() ? "converged" : "NOT converged", bg->iterations());
  if (spend) {
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
  const double n = static_cast<double>(std::max<size_t>(1, rfm->size()));
  const auto sum = [](const std::vector<double>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0);
  };
  std::printf(
      "\nHorizon %g %s, margin %g%s: mean P(alive) %.4f, expected purchases "
      "%.1f, total CLV %.2f\n",
      predict.horizon(), unit_name.c_str(), margin,
      discount_rate > 0
          ? absl::StrFormat(", discount %g per %g %s", discount_rate,
                            predict.discount_period(), unit_name)
                .c_str()
          : "",
      sum(p->p_alive) / n, sum(p->expected_purchases), sum(p->clv));
  if (top > 0 && rfm->size() > 0) {
    std::vector<size_t> order(rfm->size());
    std::iota(order.begin(), order.end(), 0);
    const size_t k = std::min<size_t>(static_cast<size_t>(top), order.size());
    std::partial_sort(
        order.begin(), order.begin() + k, order.end(), [&](size_t a, size_t b) {
          return p->clv[a] != p->clv[b] ? p->clv[a] > p->clv[b] : a < b;
        });
    using Align = TextTable::Align;
    TextTable table({Align::kLeft, Align::kRight, Align::kRight, Align::kRight,
                     Align::kRight, Align::kRight, Align::kRight});
    table.AddRow({"Customer", "Frequency", "Recency", "Age", "P(alive)",
                  "Purchases", "CLV"});
    for (size_t j = 0; j < k; ++j) {
      const size_t i = order[j];
      table.AddRow({rfm->customer_ids[i],
                    absl::StrFormat("%g", rfm->frequency[i]),
                    absl::StrFormat("%.2f", rfm->recency[i]),
                    absl::StrFormat("%.2f", rfm->age[i]),
                    absl::StrFormat("%.3f", p->p_alive[i]),
                    absl::StrFormat("%.2f", p->expected_purchases[i]),
                    absl::StrFormat("%.2f", p->clv[i])});
    }
    std::printf("\nTop %zu customers by CLV\n%s", k, table.Render().c_str());
  }
  return kExitOk;
}

}  // namespace churnkit::cli
