// Assessments over customer partitions (assess.h: Totals, Cutoffs,
// Candidates, Route, AssessPartition, MergeAlertSummaries) equal Assess on
// the whole data set: every customer bit for bit (colours, alerts, ranks,
// tasks, routing) and the alert summary (issue 17).
#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "churnkit/assess.h"
#include "churnkit/generator.h"
#include "churnkit/io.h"
#include "churnkit/model.h"
#include "churnkit/partition.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "internal/exact_sum.h"
#include "toy_risk_model.h"

namespace churnkit {
namespace {

namespace fs = std::filesystem;
using ::google::protobuf::util::DefaultFieldComparator;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

// A generated data set, whole and in three customer partitions.
struct Data {
  Dataset whole;
  std::vector<Dataset> parts;
};

const Data& Generated() {
  static const Data* data = [] {
    const fs::path dir = fs::path(::testing::TempDir()) /
                         ("assess_partitioned_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    v1::GeneratorConfig config;
    config.set_customers(400);
    config.set_seed(5);
    config.set_start_date("2024-01-01");
    config.set_end_date("2024-12-31");
    // Few owners, so each has customers in every partition.
    config.mutable_owners()->set_customers_per_owner(60);
    EXPECT_TRUE(Generate(config, v1::CSV, (dir / "data").string()).ok());
    v1::PartitionRequest request;
    request.mutable_input()->add_paths((dir / "data").string());
    request.set_partitions(3);
    request.set_out_dir((dir / "parts").string());
    const v1::PartitionResult parts = PartitionData(request).value();
    auto* out = new Data{std::move(LoadDataset(request.input())->dataset), {}};
    for (const v1::DataPartition& p : parts.parts()) {
      out->parts.push_back(std::move(LoadDataset(p.load())->dataset));
    }
    fs::remove_all(dir);
    return out;
  }();
  return *data;
}

const UnixSeconds kAsOf = *ParseTime("2024-10-01");

struct Partitioned {
  std::map<std::string, v1::CustomerAssessment> customers;
  v1::AlertSummary summary;
  v1::ColourCutoffs colours;
};

// The four steps over the partitions.
Partitioned AssessOverParts(const Assessor& assessor,
                            const std::vector<Dataset>& parts,
                            const AssessOptions& options) {
  std::vector<v1::HealthTotals> totals;
  for (const Dataset& p : parts) {
    totals.push_back(assessor.Totals(p, kAsOf).value());
  }
  const v1::ColourCutoffs colours = assessor.Cutoffs(totals).value();
  std::vector<v1::AlertCandidates> candidates;
  for (const Dataset& p : parts) {
    candidates.push_back(
        assessor.Candidates(p, kAsOf, colours, options).value());
  }
  const std::vector<v1::AlertPlan> plans = assessor.Route(candidates).value();
  Partitioned out;
  out.colours = colours;
  std::vector<v1::AlertSummary> summaries;
  for (size_t i = 0; i < parts.size(); ++i) {
    AssessResult r =
        assessor.AssessPartition(parts[i], kAsOf, plans[i], options).value();
    EXPECT_TRUE(
        MessageDifferencer::Equals(r.assessment().colours(), out.colours));
    summaries.push_back(r.assessment().alert_summary());
    for (v1::CustomerAssessment& c :
         *r.mutable_assessment()->mutable_customers()) {
      const std::string id = c.customer_id();
      EXPECT_TRUE(out.customers.emplace(id, std::move(c)).second) << id;
    }
  }
  out.summary = MergeAlertSummaries(summaries).value();
  return out;
}

// Assess of the whole against the partitioned steps; returns the whole.
v1::Assessment ExpectEqualToTheWhole(const v1::AssessmentConfig& config,
                                     bool with_model) {
  const Assessor assessor = Assessor::Create(config).value();
  const v1::LogisticModel model =
      ToyRiskModel(assessor, Generated().whole, kAsOf);
  AssessOptions options;
  if (with_model) options.model = &model;
  const AssessResult whole =
      assessor.Assess(Generated().whole, kAsOf, options).value();
  const Partitioned parts =
      AssessOverParts(assessor, Generated().parts, options);

  DefaultFieldComparator exact;  // doubles compared exactly, NaN == NaN
  exact.set_treat_nan_as_equal(true);
  MessageDifferencer differ;
  differ.set_field_comparator(&exact);
  EXPECT_EQ(parts.customers.size(),
            static_cast<size_t>(whole.assessment().customers_size()));
  for (const v1::CustomerAssessment& c : whole.assessment().customers()) {
    auto it = parts.customers.find(c.customer_id());
    if (it == parts.customers.end()) {
      ADD_FAILURE() << c.customer_id() << " missing";
      continue;
    }
    std::string diff;
    differ.ReportDifferencesToString(&diff);
    EXPECT_TRUE(differ.Compare(c, it->second)) << c.customer_id() << diff;
  }
  EXPECT_TRUE(MessageDifferencer::Equals(parts.summary,
                                         whole.assessment().alert_summary()))
      << parts.summary.DebugString() << "\nwhole:\n"
      << whole.assessment().alert_summary().DebugString();
  EXPECT_TRUE(
      MessageDifferencer::Equals(parts.colours, whole.assessment().colours()));
  return whole.assessment();
}

// Owners whose alerted or routed customers live in more than one partition.
int OwnersAcrossPartitions(const v1::Assessment& whole) {
  std::map<std::string, int> partition_of;
  for (size_t i = 0; i < Generated().parts.size(); ++i) {
    const Dataset& p = Generated().parts[i];
    for (size_t c = 0; c < p.num_customers(); ++c) {
      partition_of[std::string(p.customer_id(static_cast<CustomerIndex>(c)))] =
          static_cast<int>(i);
    }
  }
  std::map<std::string, std::set<int>> spans;
  const Dataset& ds = Generated().whole;
  std::map<std::string, std::string> owner_of;
  for (size_t c = 0; c < ds.num_customers(); ++c) {
    owner_of[std::string(ds.customer_id(static_cast<CustomerIndex>(c)))] =
        std::string(ds.str(ds.customers().owner_id[c]));
  }
  for (const v1::CustomerAssessment& c : whole.customers()) {
    if (c.alerts_size() > 0 || c.has_routed_alert()) {
      spans[owner_of[c.customer_id()]].insert(partition_of[c.customer_id()]);
    }
  }
  return static_cast<int>(
      std::count_if(spans.begin(), spans.end(),
                    [](const auto& s) { return s.second.size() > 1; }));
}

TEST(AssessPartitioned, EqualsTheWholeWithAndWithoutAModelOrRedShare) {
  for (bool with_model : {false, true}) {
    for (bool red_share : {false, true}) {
      SCOPED_TRACE(::testing::Message()
                   << "model " << with_model << ", red_share " << red_share);
      v1::AssessmentConfig config;
      config.mutable_alerts()->set_tasks_per_owner_per_week(2);
      if (red_share) config.set_red_share(0.1);
      const v1::Assessment whole = ExpectEqualToTheWhole(config, with_model);
      const v1::AlertSummary& s = whole.alert_summary();
      // The cases that need the whole run: capacity binds for owners whose
      // customers span partitions, the floor and red_share are run-wide.
      EXPECT_GT(s.alerts(), 0);
      EXPECT_GT(s.routed_to_automated_care() - s.routed_below_risk_floor(), 0);
      EXPECT_GE(OwnersAcrossPartitions(whole), 2);
      if (with_model) {
        EXPECT_GT(s.risk_floor(), 0);
      }
      if (red_share) {
        int red = 0, active = 0;
        for (const v1::CustomerAssessment& c : whole.customers()) {
          active += !c.churned();
          red += !c.churned() && c.colour() == v1::RED;
        }
        EXPECT_GT(red, 0);
        EXPECT_LE(red, 0.1 * active);
      }
    }
  }
}

TEST(AssessPartitioned, AnyPartitionOrderGivesTheSamePlans) {
  const Assessor assessor = Assessor::Create({}).value();
  const v1::LogisticModel model =
      ToyRiskModel(assessor, Generated().whole, kAsOf);
  AssessOptions options;
  options.model = &model;
  const v1::ColourCutoffs colours = assessor.Cutoffs({}).value();
  std::vector<v1::AlertCandidates> candidates;
  for (const Dataset& p : Generated().parts) {
    candidates.push_back(
        assessor.Candidates(p, kAsOf, colours, options).value());
  }
  const std::vector<v1::AlertPlan> plans = assessor.Route(candidates).value();
  std::reverse(candidates.begin(), candidates.end());
  const std::vector<v1::AlertPlan> reversed =
      assessor.Route(candidates).value();
  for (size_t i = 0; i < plans.size(); ++i) {
    EXPECT_EQ(plans[i].SerializeAsString(),
              reversed[plans.size() - 1 - i].SerializeAsString());
  }
}

TEST(AssessPartitioned, MismatchedInputsAreClearErrors) {
  const Assessor assessor = Assessor::Create({}).value();
  const std::vector<Dataset>& parts = Generated().parts;
  const v1::ColourCutoffs colours = assessor.Cutoffs({}).value();
  std::vector<v1::AlertCandidates> candidates;
  for (const Dataset& p : parts) {
    candidates.push_back(assessor.Candidates(p, kAsOf, colours).value());
  }
  const std::vector<v1::AlertPlan> plans = assessor.Route(candidates).value();

  // A plan applied to another partition.
  absl::StatusOr<AssessResult> wrong =
      assessor.AssessPartition(parts[0], kAsOf, plans[1]);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("plan: routes"));
  // A plan of another config.
  v1::AssessmentConfig other;
  other.mutable_alerts()->set_tasks_per_owner_per_week(1);
  wrong = Assessor::Create(other).value().AssessPartition(parts[0], kAsOf,
                                                          plans[0]);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(),
              HasSubstr("plan.capacity_per_owner: 5, but this config's is 1"));

  // Candidates that are not of one run.
  std::vector<v1::AlertCandidates> bad = candidates;
  bad.push_back(candidates[0]);
  EXPECT_THAT(assessor.Route(bad).status().message(),
              HasSubstr("candidates[3].candidates[0]: customer '"));
  bad = candidates;
  bad[2].mutable_colours()->set_yellow_min(-1);
  EXPECT_THAT(assessor.Route(bad).status().message(),
              HasSubstr("candidates[2].colours: not candidates[0]'s"));
  bad = candidates;
  bad[1].set_model(true);
  EXPECT_THAT(assessor.Route(bad).status().message(),
              HasSubstr("candidates[1].model: assessed with a model"));
  bad = candidates;
  bad[0].mutable_candidates(0)->set_churn_probability(std::nan(""));
  EXPECT_THAT(assessor.Route(bad).status().message(),
              HasSubstr("candidates[0].candidates[0]: figures must be finite"));
  EXPECT_THAT(assessor.Route({}).status().message(),
              HasSubstr("candidates: none given"));

  // Malformed totals, summaries of different runs.
  v1::HealthTotals totals;
  totals.add_totals(3);
  totals.add_totals(2);
  totals.add_counts(1);
  totals.add_counts(1);
  EXPECT_THAT(assessor.Cutoffs({totals}).status().message(),
              HasSubstr("totals[0].totals[1]: totals must be finite and "
                        "ascending"));
  v1::AlertSummary a, b;
  a.set_capacity_per_owner(5);
  b.set_capacity_per_owner(3);
  EXPECT_THAT(MergeAlertSummaries({a, b}).status().message(),
              HasSubstr("summaries[1]: of another run"));
  b.set_capacity_per_owner(5);
  b.set_alerts(-1);
  EXPECT_THAT(MergeAlertSummaries({a, b}).status().message(),
              HasSubstr("summaries[1].alerts: negative"));
  EXPECT_THAT(MergeAlertSummaries({}).status().message(),
              HasSubstr("summaries: none given"));
}

TEST(ExactSum, IsCorrectlyRoundedWhateverTheOrder) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> x(10000);
  for (double& v : x) v = u(rng) * (u(rng) < 0.01 ? 1e-12 : 1);
  internal::ExactSum forward;
  for (double v : x) forward.Add(v);
  std::shuffle(x.begin(), x.end(), rng);
  // In three parts merged through their partials, as partitions do.
  internal::ExactSum merged;
  for (size_t part = 0; part < 3; ++part) {
    internal::ExactSum s;
    for (size_t i = part; i < x.size(); i += 3) s.Add(x[i]);
    for (double p : s.partials()) merged.Add(p);
  }
  EXPECT_EQ(forward.Value(), merged.Value());
  internal::ExactSum tie;  // 1 + 2^-53 + 2^-106: rounds up, not to even
  for (double v : {1.0, std::ldexp(1, -53), std::ldexp(1, -106)}) tie.Add(v);
  EXPECT_EQ(tie.Value(), 1 + std::ldexp(1, -52));
}

}  // namespace
}  // namespace churnkit
