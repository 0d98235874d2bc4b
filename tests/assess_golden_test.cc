// Golden assessment of a generated data set: any change to features,
// scorecard, rules, care plans or the generator that alters what a customer-
// success team would see shows up here as a diff. Regenerate deliberately:
//   CHURNKIT_UPDATE_GOLDEN=1 build/default/tests/assess_golden_test
// and review the diff of tests/golden/assessment_generated.txt.
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "churnkit/assess.h"
#include "churnkit/generator.h"
#include "churnkit/health.h"
#include "churnkit/io.h"
#include "gtest/gtest.h"
#include "test_paths.h"

namespace churnkit {
namespace {

std::string Digest(const v1::Assessment& a) {
  std::map<std::string, int> colours, alerts, reasons, tasks;
  int churned = 0;
  auto level_of = [](const v1::Alert& al) {
    return absl::StrCat(al.rule(), " ", v1::Level_Name(al.level()));
  };
  for (const v1::CustomerAssessment& c : a.customers()) {
    ++colours[ColourName(c.colour())];
    churned += c.churned();
    for (const v1::Alert& al : c.alerts()) ++alerts[level_of(al)];
    for (const v1::Alert* al :
         {c.alerts().empty() ? nullptr : &c.alerts(0),
          c.has_routed_alert() ? &c.routed_alert() : nullptr}) {
      if (al == nullptr) continue;
      for (const v1::Alert& r : al->reasons()) ++reasons[level_of(r)];
    }
    for (const v1::Task& t : c.tasks()) ++tasks[t.type()];
  }
  const v1::AlertSummary& stream = a.alert_summary();
  std::ostringstream out;
  out << "customers " << a.customers_size() << " churned " << churned << "\n";
  out << "stream alerts " << stream.alerts() << " reasons " << stream.reasons()
      << " routed " << stream.routed_to_automated_care() << " capacity "
      << stream.capacity_per_owner() << " owners " << stream.owners_size()
      << "\n";
  for (const auto& [k, n] : colours) out << "colour " << k << " " << n << "\n";
  for (const auto& [k, n] : alerts) out << "alert " << k << " " << n << "\n";
  for (const auto& [k, n] : reasons) out << "reason " << k << " " << n << "\n";
  for (const auto& [k, n] : tasks) out << "task " << k << " " << n << "\n";
  for (int i = 0; i < a.customers_size() && i < 25; ++i) {
    const v1::CustomerAssessment& c = a.customers(i);
    out << "customer " << c.customer_id() << " score " << c.score() << " "
        << ColourName(c.colour());
    for (const v1::DimensionScore& d : c.dimensions()) out << " " << d.label();
    for (const v1::Alert& al : c.alerts()) out << " !" << al.rule();
    if (c.has_routed_alert()) out << " ~" << c.routed_alert().rule();
    out << "\n";
  }
  return out.str();
}

TEST(AssessGolden, GeneratedDataSetAssessmentIsStable) {
  v1::GeneratorConfig config;
  ASSERT_TRUE(ParseTextProto(R"pb(customers: 400
                                  seed: 7
                                  start_date: "2024-01-01"
                                  end_date: "2025-06-30")pb",
                             &config)
                  .ok());
  absl::StatusOr<GeneratedData> data = GenerateInMemory(config);
  ASSERT_TRUE(data.ok()) << data.status();
  const Assessor assessor = Assessor::Create({}).value();
  absl::StatusOr<AssessResult> r =
      assessor.Assess(data->dataset, ParseTime("2025-07-01").value());
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string digest = Digest(r->assessment());
  const std::string path =
      churnkit::testing::SourceDir() + "/tests/golden/assessment_generated.txt";
  if (std::getenv("CHURNKIT_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << digest;
    GTEST_SKIP() << "rewrote " << path;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "missing " << path;
  std::stringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(digest, golden.str());
}

}  // namespace
}  // namespace churnkit
