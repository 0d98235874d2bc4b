// One customer at a time (Assessor::AssessCustomer, Dataset::CustomerSlice):
// a customer with new events is assessed as Assess of the whole data set
// with those events appended assesses it, bit for bit (issue 19, goal 4).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "churnkit/assess.h"
#include "churnkit/generator.h"
#include "churnkit/io.h"
#include "churnkit/model.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "toy_risk_model.h"

namespace churnkit {
namespace {

namespace fs = std::filesystem;
using ::google::protobuf::util::DefaultFieldComparator;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

const UnixSeconds kAsOf = *ParseTime("2024-10-01");

struct Data {
  fs::path dir;
  Dataset whole;
  // The whole with kAdded appended to its input (an extra events table).
  Dataset appended;
  std::string customer;  // the one the events are added to
};

// New events of the customer, in the extra table's order: a ticket with a
// complaint, a login, an out-of-order earlier order, a survey.
const char* const kAdded[][4] = {
    {"TICKET", "2024-09-28T10:00:00Z", "0", "1"},
    {"LOGIN", "2024-09-29", "0", "0"},
    {"ORDER", "2024-09-02", "120.5", "0"},
    {"SURVEY", "2024-09-30", "0", "0"},
};

std::vector<EventInput> Added(const std::string& customer) {
  std::vector<EventInput> out;
  for (const auto& row : kAdded) {
    EventInput e;
    e.customer_id = customer;
    v1::EventKind kind = v1::EVENT_KIND_UNSPECIFIED;
    EXPECT_TRUE(v1::EventKind_Parse(row[0], &kind)) << row[0];
    e.kind = kind;
    e.time = *ParseTime(row[1]);
    e.amount = std::stod(row[2]);
    e.flags = row[3][0] == '1' ? kFlagComplaint : 0;
    out.push_back(e);
  }
  return out;
}

const Data& Generated() {
  static const Data* data = [] {
    auto* d = new Data;
    d->dir = fs::path(::testing::TempDir()) /
             ("assess_customer_" + std::to_string(::getpid()));
    fs::remove_all(d->dir);
    v1::GeneratorConfig config;
    config.set_customers(300);
    config.set_seed(9);
    config.set_start_date("2024-01-01");
    config.set_end_date("2024-12-31");
    EXPECT_TRUE(Generate(config, v1::CSV, (d->dir / "data").string()).ok());
    v1::LoadOptions load;
    load.add_paths((d->dir / "data").string());
    d->whole = std::move(LoadDataset(load)->dataset);
    d->customer = std::string(d->whole.customer_id(7));
    {
      std::ofstream extra(d->dir / "extra.csv");
      extra << "customer_id,kind,time,amount,complaint\n";
      for (const auto& row : kAdded) {
        extra << d->customer << "," << row[0] << "," << row[1] << "," << row[2]
              << "," << (row[3][0] == '1' ? "true" : "false") << "\n";
      }
    }
    v1::TableMapping* extra = load.add_tables();
    extra->set_table(v1::EVENTS);
    extra->set_path((d->dir / "extra.csv").string());
    LoadResult appended = LoadDataset(load).value();
    EXPECT_EQ(appended.report.total_errors(), 0);
    d->appended = std::move(appended.dataset);
    // Both data sets are in memory: the files are not needed again (each
    // test runs in a process of its own, which would leave one per test).
    fs::remove_all(d->dir);
    return d;
  }();
  return *data;
}

TEST(AssessCustomer, EqualsTheWholeRunWithTheEventsAppended) {
  const Data& d = Generated();
  v1::AssessmentConfig config;
  config.set_red_share(0.2);
  // Owners' capacity large enough that the run alerts every candidate, as
  // the single customer's alert goes to its owner.
  config.mutable_alerts()->set_tasks_per_owner_per_week(100000);
  config.mutable_alerts()->set_min_relative_risk(0);
  const Assessor assessor = Assessor::Create(config).value();
  const v1::LogisticModel model =
      ToyRiskModel(assessor, Generated().whole, kAsOf);
  AssessOptions options;
  options.model = &model;
  const AssessResult run = assessor.Assess(d.appended, kAsOf, options).value();
  std::map<std::string, v1::CustomerAssessment> expected;
  for (v1::CustomerAssessment c : run.assessment().customers()) {
    for (v1::Alert& a : *c.mutable_alerts()) a.set_rank(0);  // run-wide
    expected[c.customer_id()] = c;
  }
  DefaultFieldComparator exact;  // doubles compared exactly, NaN == NaN
  exact.set_treat_nan_as_equal(true);
  MessageDifferencer differ;
  differ.set_field_comparator(&exact);
  std::string diff;
  differ.ReportDifferencesToString(&diff);

  const std::vector<EventInput> added = Added(d.customer);
  int alerted = 0, compared = 0;
  for (size_t c = 0; c < d.whole.num_customers(); c += 3) {
    const std::string id(d.whole.customer_id(static_cast<CustomerIndex>(c)));
    if (!expected.count(id) && id != d.customer) continue;
    absl::StatusOr<CustomerAssessResult> one = assessor.AssessCustomer(
        d.whole, id, {}, kAsOf, run.assessment().colours(), options);
    ASSERT_TRUE(one.ok()) << id << ": " << one.status();
    EXPECT_TRUE(differ.Compare(one->assessment, expected[id])) << id << diff;
    alerted += one->assessment.alerts_size();
    ++compared;
  }
  EXPECT_GT(compared, 90);
  EXPECT_GT(alerted, 0);

  // The customer with the new events, out of order among them.
  absl::StatusOr<CustomerAssessResult> changed = assessor.AssessCustomer(
      d.whole, d.customer, added, kAsOf, run.assessment().colours(), options);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(differ.Compare(changed->assessment, expected[d.customer]))
      << diff;
  const absl::StatusOr<CustomerAssessResult> before = assessor.AssessCustomer(
      d.whole, d.customer, {}, kAsOf, run.assessment().colours(), options);
  EXPECT_FALSE(
      MessageDifferencer::Equals(before->assessment, changed->assessment));
}

TEST(CustomerSlice, HoldsTheCustomerWithTheWholesHistorySpan) {
  const Data& d = Generated();
  const std::vector<EventInput> added = Added(d.customer);
  const CustomerIndex c = *d.whole.FindCustomer(d.customer);
  const Dataset slice = d.whole.CustomerSlice(c, added).value();
  ASSERT_EQ(slice.num_customers(), 1u);
  EXPECT_EQ(slice.customer_id(0), d.customer);
  EXPECT_EQ(slice.num_events(),
            d.whole.event_end(c) - d.whole.event_begin(c) + added.size());
  EXPECT_TRUE(
      std::is_sorted(slice.events().time.begin(), slice.events().time.end()));
  EXPECT_EQ(slice.first_event_time(), d.whole.first_event_time());
  EXPECT_EQ(slice.num_contracts(), d.whole.contracts().offsets[c + 1] -
                                       d.whole.contracts().offsets[c]);
  const CustomerIndex a = *d.appended.FindCustomer(d.customer);
  EXPECT_EQ(slice.events().time,
            std::vector<UnixSeconds>(
                d.appended.events().time.begin() + d.appended.event_begin(a),
                d.appended.events().time.begin() + d.appended.event_end(a)));
}

TEST(CustomerSlice, SharesTheStringsAndReusesAnEarlierSlice) {
  const Data& d = Generated();
  std::vector<EventInput> added = Added(d.customer);
  added[0].key = "a key no event of the data set has";
  const CustomerIndex c = *d.whole.FindCustomer(d.customer);
  const Dataset fresh = d.whole.CustomerSlice(c, added).value();
  // Ids carry over; the new key is the slice's own.
  EXPECT_EQ(fresh.customers().name[0], d.whole.customers().name[c]);
  EXPECT_EQ(fresh.str(fresh.customers().industry[0]),
            d.whole.str(d.whole.customers().industry[c]));
  EXPECT_GE(fresh.strings().size(), d.whole.strings().size() + 1);
  EXPECT_FALSE(d.whole.strings().Find(added[0].key).has_value());

  // Into a slice of another customer: the same as a fresh one.
  Dataset reused = d.whole.CustomerSlice(c == 0 ? 1 : 0, {}).value();
  ASSERT_TRUE(d.whole.CustomerSlice(c, added, {}, &reused).ok());
  EXPECT_EQ(reused.customer_id(0), d.customer);
  EXPECT_EQ(reused.events().time, fresh.events().time);
  EXPECT_EQ(reused.events().key, fresh.events().key);
  EXPECT_EQ(reused.contacts().id, fresh.contacts().id);
  EXPECT_EQ(reused.contracts().start_time, fresh.contracts().start_time);
  EXPECT_EQ(reused.owners().id, fresh.owners().id);
  EXPECT_EQ(reused.customers().attr_key, fresh.customers().attr_key);

  reused.Clear();
  EXPECT_EQ(reused.num_customers(), 0u);
  EXPECT_EQ(reused.num_events(), 0u);
  EXPECT_EQ(reused.strings().size(), 1u);
  EXPECT_EQ(reused.first_event_time(), kNoTime);
}

TEST(AssessCustomer, BadInputIsAClearError) {
  const Data& d = Generated();
  v1::AssessmentConfig config;
  config.set_red_share(0.2);
  const Assessor assessor = Assessor::Create(config).value();
  const AssessResult run = assessor.Assess(d.whole, kAsOf).value();
  const v1::ColourCutoffs& colours = run.assessment().colours();

  absl::StatusOr<CustomerAssessResult> r =
      assessor.AssessCustomer(d.whole, "nobody", {}, kAsOf, colours);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("customer_id: no customer"));

  r = assessor.AssessCustomer(d.whole, d.customer, {}, kAsOf, {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("colours: required"));

  std::vector<EventInput> bad = Added(d.customer);
  bad[1].customer_id = "someone-else";
  r = assessor.AssessCustomer(d.whole, d.customer, bad, kAsOf, colours);
  EXPECT_THAT(r.status().message(),
              HasSubstr("added event:2: customer_id: 'someone-else'"));
  bad = Added(d.customer);
  bad[2].time = kNoTime;
  bad[3].amount = -4;
  r = assessor.AssessCustomer(d.whole, d.customer, bad, kAsOf, colours);
  EXPECT_THAT(r.status().message(), HasSubstr("added event:3: time"));
  bad[2].time = *ParseTime("2024-09-01");
  r = assessor.AssessCustomer(d.whole, d.customer, bad, kAsOf, colours);
  EXPECT_THAT(r.status().message(), HasSubstr("added event:4: amount"));
  bad[3].amount = std::numeric_limits<double>::quiet_NaN();
  r = assessor.AssessCustomer(d.whole, d.customer, bad, kAsOf, colours);
  EXPECT_THAT(r.status().message(),
              HasSubstr("added event:4: amount: not a finite number"));
  bad[3].amount = 0;
  bad[0].time = *ParseTime("1900-01-01");  // outside the accepted range
  r = assessor.AssessCustomer(d.whole, d.customer, bad, kAsOf, colours);
  EXPECT_THAT(r.status().message(),
              HasSubstr("added event:1: time: 1900-01-01 is outside"));

  // Signed up after the date: not assessed.
  r = assessor.AssessCustomer(d.whole, d.customer, {}, *ParseTime("2023-01-01"),
                              colours);
  EXPECT_FALSE(r.ok());

  EXPECT_EQ(d.whole.CustomerSlice(CustomerIndex(d.whole.num_customers()), {})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // Into no data set, or into the one being sliced.
  EXPECT_THAT(d.whole.CustomerSlice(0, {}, {}, nullptr).message(),
              HasSubstr("slice: null"));
  Dataset one = d.whole.CustomerSlice(0, {}).value();
  EXPECT_EQ(one.CustomerSlice(0, {}, {}, &one).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(one.num_customers(), 1u);  // untouched
}

}  // namespace
}  // namespace churnkit
