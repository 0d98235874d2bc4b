// examples/churn_report.cc: the churn report of a churnkit CSV export
// through the C++ API — the churn rate of the first half of 2024 by tier,
// and the median customer lifetime.
//
// Usage: churn_report_cxx [DIR]   (default: examples/data)
//
// Build against an installed churnkit:
//   c++ -std=c++20 churn_report.cc $(pkg-config --cflags --libs churnkit-cxx)
#include <cstdio>
#include <string>

#include "churnkit/io.h"
#include "churnkit/report.h"

namespace {

// "58.3%", or "-" for a rate over zero customers (absent in the report).
std::string Rate(const churnkit::v1::ChurnFigures& f) {
  if (!f.has_churn_rate()) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", f.churn_rate());
  return text;
}

int Fail(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "churn_report: error: %s: %s\n", what,
               std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  churnkit::v1::LoadOptions load;
  load.add_paths(argc > 1 ? argv[1] : "examples/data");
  absl::StatusOr<churnkit::LoadResult> loaded = churnkit::LoadDataset(load);
  if (!loaded.ok()) return Fail("load", loaded.status());

  // The shipped churn definition; the period's end is also the report date.
  churnkit::v1::ReportRequest request;
  absl::Status parsed = churnkit::ParseTextProto(
      R"pb(
        period { start: "2024-01-01" end: "2024-06-28" }
        breakdowns: "tier"
        survival {}
      )pb",
      &request);
  if (!parsed.ok()) return Fail("request", parsed);
  absl::StatusOr<churnkit::v1::ChurnReport> report =
      churnkit::BuildChurnReport(loaded->dataset, request);
  if (!report.ok()) return Fail("report", report.status());

  const churnkit::v1::PeriodChurn& period = report->period();
  const churnkit::v1::ChurnFigures& all = period.overall();
  std::printf(
      "churn rate %s .. %s: %s of %lld customers at the start (%lld churns, "
      "%lld returns)\n",
      period.start().c_str(), period.end().c_str(), Rate(all).c_str(),
      static_cast<long long>(all.customers_at_start()),
      static_cast<long long>(all.churned()),
      static_cast<long long>(all.reactivated()));
  for (const churnkit::v1::GroupFigures& g : period.breakdowns(0).groups()) {
    std::printf("  tier %s: %s\n", g.value().c_str(),
                Rate(g.figures()).c_str());
  }
  const churnkit::v1::SurvivalCurve& curve = report->survival(0);
  if (curve.has_median_days()) {
    std::printf("median lifetime: %.0f days\n", curve.median_days());
  } else {
    std::printf("median lifetime: not reached\n");
  }
  return 0;
}
