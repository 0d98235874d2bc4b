// Tests of the synthetic CRM history generator (src/generator.cc and
// src/internal/generator_sim.cc): config defaults and validation,
// determinism, failure without partial output, and realism checks on a few
// thousand generated customers with stated tolerances.
#include "churnkit/generator.h"

#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "churnkit/io.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "test_paths.h"

namespace churnkit {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kDay = 86400;

v1::GeneratorConfig Config(const std::string& textproto) {
  v1::GeneratorConfig config;
  const absl::Status s = ParseTextProto(textproto, &config);
  EXPECT_TRUE(s.ok()) << s;
  return config;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (fs::path(::testing::TempDir()) / "generator_test_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  fs::path operator/(const std::string& name) const { return path_ / name; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Every regular file under `dir` with its bytes.
std::map<std::string, std::string> Files(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      files[entry.path().filename().string()] = ReadFile(entry.path());
    }
  }
  return files;
}

// ---- Config
// -------------------------------------------------------------------

TEST(GeneratorConfig, EmbeddedDefaultsAreTheShippedFileAndValid) {
  const v1::GeneratorConfig resolved = ResolveGeneratorConfig({});
  v1::GeneratorConfig file;
  ASSERT_TRUE(
      ReadConfigFile(
          testing::SourceDir() + "/configs/generator/default.textproto", &file)
          .ok());
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(resolved, file));
  EXPECT_EQ(resolved.customers(), 1000);
  EXPECT_EQ(resolved.start_date(), "2024-01-01");
  EXPECT_EQ(resolved.industries_size(), 5);
  EXPECT_EQ(resolved.churn().reasons_size(), 7);
  EXPECT_TRUE(ValidateGeneratorConfig({}).ok());
}

TEST(GeneratorConfig, UserFieldsOverlayTheDefaults) {
  const v1::GeneratorConfig resolved = ResolveGeneratorConfig(Config(R"pb(
    customers: 12
    industries { name: "saas" share: 0.6 }
    industries {
      name: "retail"
      share: 0.4
      inactivity_window_days: 30
      hazard_multiplier: 1
      value_scale: 1
    }
    churn {
      type_mix { active: 1 }
      annual_rate: 0
    }
    rates { tickets_per_year: 0 }
  )pb"));
  EXPECT_EQ(resolved.customers(), 12);
  ASSERT_EQ(resolved.industries_size(), 2);
  // A listed default entry keeps its other defaults...
  EXPECT_EQ(resolved.industries(0).share(), 0.6);
  EXPECT_EQ(resolved.industries(0).inactivity_window_days(), 90);
  EXPECT_TRUE(resolved.industries(0).contractual());
  // ... a new one starts from zeros.
  EXPECT_EQ(resolved.industries(1).logins_per_week(), 0);
  EXPECT_EQ(resolved.industries(1).inactivity_window_days(), 30);
  // A mix is replaced whole; explicit zeros are kept.
  EXPECT_EQ(resolved.churn().type_mix().active(), 1);
  EXPECT_EQ(resolved.churn().type_mix().passive(), 0);
  EXPECT_EQ(resolved.churn().annual_rate(), 0);
  EXPECT_EQ(resolved.churn().reasons_size(), 7);
  EXPECT_EQ(resolved.rates().tickets_per_year(), 0);
  EXPECT_EQ(resolved.rates().resolution_hours(), 16);
  EXPECT_TRUE(ValidateGeneratorConfig(resolved).ok())
      << ValidateGeneratorConfig(resolved);
}

TEST(GeneratorConfig, ValidationNamesTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"customers: -1", "customers: must be in [0, 1000000000], got -1"},
      {R"pb(start_date: "2024-02-30")pb",
       "start_date: '2024-02-30' is not a date"},
      {R"pb(start_date: "2024-01-01" end_date: "2023-06-30")pb",
       "end_date: 2023-06-30 is not after start_date 2024-01-01"},
      {R"pb(industries { name: "saas" share: 0.5 }
            industries { name: "ecommerce" share: 1.5 })pb",
       "industries[1].share: must be in [0, 1], got 1.5"},
      {R"pb(industries { name: "saas" share: 0.5 }
            industries { name: "ecommerce" share: 0.3 })pb",
       "industries: shares sum to 0.8, must be 1"},
      {R"pb(industries { name: "saas" share: 0.5 }
            industries { name: "saas" share: 0.5 })pb",
       "industries[1].name: duplicate 'saas'"},
      {R"pb(industries { name: "saas" share: 0.5 }
            industries { name: "retail" share: 0.5 })pb",
       "industries[1].inactivity_window_days: must be in [1, 3650], got 0"},
      {R"pb(industries {
              name: "saas"
              share: 1
              month_factors: [ 1, 2 ]
            })pb",
       "industries[0].month_factors: must hold 12 factors"},
      {R"pb(tiers { name: "A" share: 0.2 }
            tiers { name: "B" share: 0.8 billing_months: 0 })pb",
       "tiers[1].billing_months: must be in [1, 120], got 0"},
      {"churn { type_mix { active: 0.5 passive: 0.3 } }",
       "churn.type_mix: shares sum to 0.8, must be 1"},
      {"churn { type_mix { active: -0.5 passive: 1.5 } }",
       "churn.type_mix.active: must be in [0, 1], got -0.5"},
      {R"pb(churn { reasons { name: "boredom" share: 1 lead_days: 10 } })pb",
       "churn.reasons[0].name: unknown reason 'boredom' (one of "
       "product_mismatch, "},
      {"churn { annual_rate: 1 }", "churn.annual_rate: must be in [0, 0.999]"},
      {"churn { hidden_drop_min: 0.8 hidden_drop_max: 0.5 }",
       "churn.hidden_drop_max: must be >= churn.hidden_drop_min (0.8), got "
       "0.5"},
      {"rates { tickets_per_year: -2 }",
       "rates.tickets_per_year: must be >= 0, got -2"},
      {"rates { marketing_open_rate: 1.2 }",
       "rates.marketing_open_rate: must be in [0, 1], got 1.2"},
      {"rates { first_response_hours: 0 }",
       "rates.first_response_hours: must be > 0, got 0"},
      {"value { min_annual_value: 100 max_annual_value: 50 }",
       "value.max_annual_value: must be >= value.min_annual_value (100), got "
       "50"},
      {"owners { customers_per_owner: 0 }",
       "owners.customers_per_owner: must be in [1, "},
      {"signals { expression_share: 2 }",
       "signals.expression_share: must be in [0, 1], got 2"},
      {R"pb(interventions {
              strategies {
                id: "x"
                share: 1
                arms { name: "A" share: 0.7 }
                arms { name: "B" share: 0.7 }
              }
            })pb",
       "interventions.strategies[0].arms: shares sum to 1.4, must be 1"},
      {R"pb(interventions {
              strategies {
                id: "x"
                share: 1
                arms { name: "A" share: 1 effect: 1.5 }
              }
            })pb",
       "interventions.strategies[0].arms[0].effect: must be in [0, 1]"},
      {"population { existing_share: -0.1 }",
       "population.existing_share: must be in [0, 1], got -0.1"},
      {R"pb(population { regions { name: "" share: 1 } })pb",
       "population.regions[0].name: is empty"},
  };
  for (const auto& [textproto, expected] : cases) {
    const absl::Status s = ValidateGeneratorConfig(Config(textproto));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << textproto;
    EXPECT_NE(s.message().find(expected), absl::string_view::npos)
        << "config: " << textproto << "\n  expected: " << expected
        << "\n  got: " << s.message();
  }
}

TEST(GeneratorConfig, InvalidConfigGeneratesNothing) {
  TempDir dir;
  const auto r =
      Generate(Config("customers: -3"), v1::CSV, (dir / "out").string());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_EQ(GenerateInMemory(Config("customers: -3")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- Determinism and output
// ------------------------------------------------------

constexpr char kSmall[] =
    R"pb(
  customers: 300 seed: 11 start_date: "2024-01-01" end_date: "2024-12-31"
    )pb";

TEST(Generate, SameSeedSameBytesWhateverTheThreads) {
  TempDir dir;
  for (v1::Format format : {v1::CSV, v1::JSONL, v1::PB}) {
    std::map<std::string, std::string> first;
    for (int threads : {1, 3, 8}) {
      const fs::path out =
          dir / absl::StrCat(v1::Format_Name(format), "_", threads);
      GenerateOptions options;
      options.threads = threads;
      const auto summary =
          Generate(Config(kSmall), format, out.string(), options);
      ASSERT_TRUE(summary.ok()) << summary.status();
      const auto files = Files(out);
      if (threads == 1) {
        first = files;
        EXPECT_EQ(summary->customers(), 300);
        EXPECT_GT(summary->events(), 300 * 20);
        EXPECT_TRUE(files.count("truth.csv"));
        EXPECT_TRUE(files.count("generator_config.textproto"));
        continue;
      }
      EXPECT_EQ(files.size(), first.size());
      for (const auto& [name, bytes] : first) {
        EXPECT_TRUE(files.count(name) && files.at(name) == bytes)
            << v1::Format_Name(format) << " " << name << " differs with "
            << threads << " threads";
      }
    }
  }
  // Another seed, other data.
  const fs::path other = dir / "other_seed";
  v1::GeneratorConfig config = Config(kSmall);
  config.set_seed(12);
  ASSERT_TRUE(Generate(config, v1::CSV, other.string()).ok());
  EXPECT_NE(ReadFile(other / "events.csv"),
            ReadFile(dir / "CSV_1" / "events.csv"));
}

TEST(Generate, FilesHoldTheInMemoryDataAndTruth) {
  TempDir dir;
  const auto summary = Generate(Config(kSmall), v1::CSV, dir.path().string());
  ASSERT_TRUE(summary.ok()) << summary.status();
  v1::LoadOptions options;
  options.add_paths(dir.path().string());
  options.mutable_validation()->set_policy(v1::STRICT);
  absl::StatusOr<LoadResult> loaded = LoadDataset(options);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  GenerateOptions four;
  four.threads = 4;
  absl::StatusOr<GeneratedData> memory = GenerateInMemory(Config(kSmall), four);
  ASSERT_TRUE(memory.ok()) << memory.status();

  const Dataset& a = loaded->dataset;
  const Dataset& b = memory->dataset;
  ASSERT_EQ(a.num_customers(), b.num_customers());
  ASSERT_EQ(a.num_events(), b.num_events());
  EXPECT_EQ(a.num_contacts(), b.num_contacts());
  EXPECT_EQ(a.num_contracts(), b.num_contracts());
  EXPECT_EQ(a.num_owners(), b.num_owners());
  EXPECT_EQ(static_cast<int64_t>(a.num_events()), summary->events());
  for (size_t e = 0; e < a.num_events(); ++e) {
    ASSERT_EQ(a.events().time[e], b.events().time[e]) << e;
    ASSERT_EQ(a.events().kind[e], b.events().kind[e]) << e;
    ASSERT_EQ(a.events().subtype[e], b.events().subtype[e]) << e;
    ASSERT_EQ(a.events().amount[e], b.events().amount[e]) << e;
    ASSERT_EQ(a.events().value[e], b.events().value[e]) << e;
    ASSERT_EQ(a.str(a.events().key[e]), b.str(b.events().key[e])) << e;
  }

  // truth.csv: a header of the GroundTruth fields and a row per customer,
  // in customer order.
  std::istringstream truth(ReadFile(dir / "truth.csv"));
  std::string line;
  std::getline(truth, line);
  EXPECT_EQ(line.rfind("customer_id,churned,churn_type,churn_date,reason,", 0),
            0u)
      << line;
  int rows = 0;
  int churned = 0;
  while (std::getline(truth, line)) {
    ASSERT_LT(rows, static_cast<int>(memory->truth.size()));
    const v1::GroundTruth& t = memory->truth[rows];
    EXPECT_EQ(line.rfind(absl::StrCat(t.customer_id(), ",", t.churned() ? 1 : 0,
                                      ",", t.churn_type(), ","),
                         0),
              0u)
        << line;
    churned += t.churned();
    ++rows;
  }
  EXPECT_EQ(rows, 300);
  int64_t by_type = 0;
  for (const auto& [type, n] : summary->churned_by_type()) by_type += n;
  EXPECT_EQ(by_type, churned);
}

TEST(Generate, UnwritableOutputFailsWithoutFilesThatLookComplete) {
  TempDir dir;
  // Under a regular file: nothing can be created.
  std::ofstream(dir / "plain") << "not a directory\n";
  const auto under_file =
      Generate(Config(kSmall), v1::CSV, (dir / "plain" / "out").string());
  EXPECT_FALSE(under_file.ok());
  EXPECT_EQ(ReadFile(dir / "plain"), "not a directory\n");

  // A stale complete run, then a run that fails when publishing (events.csv
  // is taken by a directory): the old manifest goes first, and nothing of
  // the failed run stays, temporary files included.
  const fs::path out = dir / "out";
  ASSERT_TRUE(Generate(Config(kSmall), v1::CSV, out.string()).ok());
  ASSERT_TRUE(fs::exists(out / kGeneratorConfigFile));
  fs::remove(out / "events.csv");
  fs::create_directory(out / "events.csv");
  fs::remove(out / kGeneratorTruthFile);
  const auto failed = Generate(Config(kSmall), v1::CSV, out.string());
  EXPECT_FALSE(failed.ok());
  std::set<std::string> left;
  for (const auto& entry : fs::directory_iterator(out)) {
    left.insert(entry.path().filename().string());
  }
  EXPECT_EQ(left, std::set<std::string>{"events.csv"})
      << "left: " << left.size() << " entries";
  EXPECT_TRUE(fs::is_directory(out / "events.csv"));

  // Same for a single-file format whose target is taken.
  const fs::path pb = dir / "pb";
  fs::create_directories(pb / "records.pb");
  EXPECT_FALSE(Generate(Config(kSmall), v1::PB, pb.string()).ok());
  EXPECT_FALSE(fs::exists(pb / kGeneratorTruthFile));
  EXPECT_FALSE(fs::exists(pb / kGeneratorConfigFile));
}

// ---- Realism
// -----------------------------------------------------------------------

// A generated population with per-customer event helpers.
struct Population {
  v1::GeneratorConfig config;  // resolved
  GeneratedData data;
  int64_t start = 0, end = 0;  // period, seconds (end: the last day's start)

  const Dataset& ds() const { return data.dataset; }
  std::string Str(StringId id) const { return std::string(ds().str(id)); }
  UnixSeconds ChurnTime(CustomerIndex c) const {
    return data.truth[c].churn_date().seconds();
  }
  // Usage events (logins, feature use, orders) of customer c in [from, to).
  int Usage(CustomerIndex c, UnixSeconds from, UnixSeconds to) const {
    int n = 0;
    const EventTable& ev = ds().events();
    for (size_t e = ds().event_begin(c); e < ds().event_end(c); ++e) {
      const int k = ev.kind[e];
      if ((k == v1::LOGIN || k == v1::FEATURE_USE || k == v1::ORDER) &&
          ev.time[e] >= from && ev.time[e] < to) {
        ++n;
      }
    }
    return n;
  }
};

Population Make(const std::string& textproto) {
  Population p;
  p.config = ResolveGeneratorConfig(Config(textproto));
  absl::StatusOr<GeneratedData> data = GenerateInMemory(p.config);
  EXPECT_TRUE(data.ok()) << data.status();
  if (data.ok()) p.data = *std::move(data);
  p.start = *ParseTime(p.config.start_date());
  p.end = *ParseTime(p.config.end_date());
  return p;
}

// Defaults, a few thousand customers. Shared by the realism tests.
const Population& Default() {
  static const Population* p = new Population(Make("customers: 3000 seed: 5"));
  return *p;
}

TEST(GeneratorRealism, ChurnTypeAndReasonMixFollowTheConfig) {
  const Population& p = Default();
  std::map<std::string, int> types, reasons;
  int churned = 0;
  for (const v1::GroundTruth& t : p.data.truth) {
    if (!t.churned()) continue;
    ++churned;
    ++types[t.churn_type()];
    ++reasons[t.reason()];
  }
  ASSERT_GT(churned, 400);
  for (const auto& [type, n] : types) {
    RecordProperty("share_" + type, absl::StrCat(n / double(churned)));
  }
  // Tolerance: four standard errors of a share among `churned` (about 0.06
  // for ~650 churners); the types get 0.02 more, since contractual active
  // churners leave at a renewal and some renewals fall after the period
  // (active is about 0.28 in large samples).
  auto tolerance = [churned](double p) {
    return 4 * std::sqrt(p * (1 - p) / churned);
  };
  const auto& mix = p.config.churn().type_mix();
  for (const auto& [type, share] :
       {std::pair{"active", mix.active()}, std::pair{"passive", mix.passive()},
        std::pair{"hidden", mix.hidden()}}) {
    EXPECT_NEAR(types[type] / double(churned), share, tolerance(share) + 0.02)
        << type;
  }
  for (const auto& r : p.config.churn().reasons()) {
    RecordProperty("share_" + r.name(),
                   absl::StrCat(reasons[r.name()] / double(churned)));
    EXPECT_NEAR(reasons[r.name()] / double(churned), r.share(),
                tolerance(r.share()))
        << r.name();
  }
}

TEST(GeneratorRealism, TopFifthOfCustomersHoldsAboutEightyPercentOfValue) {
  const Population& p = Default();
  std::vector<double> values = p.ds().customers().annual_value;
  std::sort(values.rbegin(), values.rend());
  double total = 0, top = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    total += values[i];
    if (i < values.size() / 5) top += values[i];
  }
  RecordProperty("top_fifth_value_share", absl::StrCat(top / total));
  EXPECT_NEAR(top / total, 0.8, 0.05);
  // Tiers follow their shares, A the most valuable.
  std::map<std::string, std::vector<double>> by_tier;
  for (CustomerIndex c = 0; c < p.ds().num_customers(); ++c) {
    by_tier[p.Str(p.ds().customers().tier[c])].push_back(
        p.ds().customers().annual_value[c]);
  }
  for (const auto& t : p.config.tiers()) {
    EXPECT_NEAR(by_tier[t.name()].size() / 3000.0, t.share(), 0.03) << t.name();
  }
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  EXPECT_GT(median(by_tier["A"]), 2 * median(by_tier["B"]));
  EXPECT_GT(median(by_tier["B"]), median(by_tier["C"]));
}

TEST(GeneratorRealism, EveryEventKindAppearsAtTheConfiguredRates) {
  const Population& p = Default();
  const Dataset& ds = p.ds();
  std::array<int64_t, v1::EventKind_ARRAYSIZE> kinds{};
  for (uint8_t k : ds.events().kind) ++kinds[k];
  for (int k = 1; k < v1::EventKind_ARRAYSIZE; ++k) {
    if (k == v1::RETURN) continue;  // the generator simulates no returns
    EXPECT_GT(kinds[k], 0) << v1::EventKind_Name(k);
  }

  // Rates of customers who neither churn nor raise a false alarm (their
  // activity is at its normal level): per industry logins and orders, per
  // tier the owners' routine interactions (those without a care-plan
  // topic), weekday against weekend logins. Tolerance 12%: the customers
  // differ in size and engagement, so a few hundred customers give a few
  // percent of sampling error.
  std::map<std::string, std::pair<double, double>> logins, orders, contact;
  double weekday_logins = 0, weekend_logins = 0;
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    const v1::GroundTruth& t = p.data.truth[c];
    if (t.churned() || t.false_alarm() || t.churn_averted()) continue;
    const std::string industry = p.Str(ds.customers().industry[c]);
    const std::string tier = p.Str(ds.customers().tier[c]);
    const UnixSeconds first =
        std::max<UnixSeconds>(p.start, ds.customers().signup_time[c]);
    const double weeks = (p.end + kDay - first) / (7.0 * kDay);
    logins[industry].second += weeks;
    orders[industry].second += weeks;
    contact[tier].second += weeks * 12 / 52.0;  // months
    for (size_t e = ds.event_begin(c); e < ds.event_end(c); ++e) {
      const int k = ds.events().kind[e];
      if (k == v1::LOGIN) {
        logins[industry].first += 1;
        if (industry == "saas") {
          const int weekday = ((ds.events().time[e] / kDay) % 7 + 3) % 7;
          (weekday >= 5 ? weekend_logins : weekday_logins) += 1;
        }
      }
      if (k == v1::ORDER) orders[industry].first += 1;
      if (k == v1::INTERACTION && ds.str(ds.events().key[e]).empty()) {
        contact[tier].first += 1;
      }
    }
  }
  for (const auto& in : p.config.industries()) {
    const auto [n, weeks] = logins[in.name()];
    RecordProperty("logins_per_week_" + in.name(), absl::StrCat(n / weeks));
    EXPECT_NEAR(n / weeks, in.logins_per_week(), 0.12 * in.logins_per_week())
        << in.name();
    if (in.order_interval_days() > 0) {
      const double per_week = 7 / in.order_interval_days();
      EXPECT_NEAR(orders[in.name()].first / orders[in.name()].second, per_week,
                  0.12 * per_week)
          << in.name();
    } else {
      EXPECT_EQ(orders[in.name()].first, 0) << in.name();
    }
  }
  for (const auto& tier : p.config.tiers()) {
    const auto [n, months] = contact[tier.name()];
    RecordProperty("interactions_per_month_" + tier.name(),
                   absl::StrCat(n / months));
    // Services customers get interaction_factor 1.5 x the cadence.
    const double expected = tier.interactions_per_month() * (1 + 0.5 * 0.15);
    EXPECT_NEAR(n / months, expected, 0.12 * expected) << tier.name();
  }
  // Weekly seasonality: a weekend day has weekend_factor (0.25) of a
  // weekday's logins.
  const double ratio = (weekend_logins / 2) / (weekday_logins / 5);
  RecordProperty("saas_weekend_to_weekday", absl::StrCat(ratio));
  EXPECT_NEAR(ratio, p.config.industries(0).weekend_factor(), 0.05);
}

TEST(GeneratorRealism, ContractsOnlyForContractualIndustries) {
  const Population& p = Default();
  const Dataset& ds = p.ds();
  std::map<std::string, bool> contractual;
  for (const auto& in : p.config.industries()) {
    contractual[in.name()] = in.contractual();
  }
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    const std::string industry = p.Str(ds.customers().industry[c]);
    const uint32_t n =
        ds.contracts().offsets[c + 1] - ds.contracts().offsets[c];
    if (contractual[industry]) {
      EXPECT_GE(n, 1u) << ds.customer_id(c);
    } else {
      EXPECT_EQ(n, 0u) << ds.customer_id(c);
    }
  }
}

TEST(GeneratorRealism, ChurnTypesLeaveTheirMarks) {
  const Population& p = Default();
  const Dataset& ds = p.ds();
  const EventTable& ev = ds.events();
  const std::set<std::string> reasons = {
      "product_mismatch",   "poor_service",  "price",           "competitor",
      "relationship_drift", "falling_value", "strategic_change"};
  double hidden_ratio = 0;
  int hidden = 0;
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    const v1::GroundTruth& t = p.data.truth[c];
    int cancellations = 0;
    for (size_t e = ds.event_begin(c); e < ds.event_end(c); ++e) {
      if (ev.kind[e] == v1::CANCELLATION) {
        ++cancellations;
        EXPECT_TRUE(reasons.count(p.Str(ev.key[e]))) << p.Str(ev.key[e]);
      }
    }
    const UnixSeconds d = p.ChurnTime(c);
    const size_t last = ds.event_end(c) - 1;
    if (t.churn_type() == "active") {
      // A cancellation with the reason, and nothing after it.
      EXPECT_EQ(cancellations, 1) << ds.customer_id(c);
      EXPECT_EQ(ev.kind[last], v1::CANCELLATION) << ds.customer_id(c);
      EXPECT_EQ(p.Str(ev.key[last]), t.reason());
    } else {
      EXPECT_EQ(cancellations, 0) << ds.customer_id(c);
    }
    if (t.churn_type() == "passive" && ds.event_end(c) > ds.event_begin(c)) {
      EXPECT_LT(ev.time[last], d + kDay) << ds.customer_id(c);
    }
    const UnixSeconds onset = t.signal_onset().seconds();
    if (t.churn_type() == "hidden" && d < p.end - 150 * kDay &&
        onset - 150 * kDay >=
            std::max<UnixSeconds>(p.start, ds.customers().signup_time[c])) {
      // Still active, at 30-60% of the level before the warning signs
      // (orders drop less in number: they also shrink in value).
      const double before = p.Usage(c, onset - 150 * kDay, onset);
      const double after = p.Usage(c, d, d + 150 * kDay);
      if (before >= 10) {
        hidden_ratio += after / before;
        ++hidden;
      }
    }
  }
  ASSERT_GT(hidden, 20);
  RecordProperty("hidden_after_to_before", absl::StrCat(hidden_ratio / hidden));
  EXPECT_NEAR(hidden_ratio / hidden, 0.45, 0.15);
}

TEST(GeneratorRealism, ChurnersSlowDownBeforeLeavingMoreOftenThanOthers) {
  const Population& p = Default();
  const Dataset& ds = p.ds();
  // Usage in the 8 weeks before the churn date against the customer's own
  // baseline (weeks 9 to 34 before), scaled to 8 weeks. Non-churners are
  // measured at the churners' dates, in turn.
  std::vector<UnixSeconds> dates;
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    const v1::GroundTruth& t = p.data.truth[c];
    if (t.churned() && t.churn_type() != "hidden")
      dates.push_back(p.ChurnTime(c));
  }
  ASSERT_GT(dates.size(), 300u);
  int lower[2] = {0, 0}, counted[2] = {0, 0};
  size_t next_date = 0;
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    const v1::GroundTruth& t = p.data.truth[c];
    if (t.churn_type() == "hidden" || t.churn_averted()) continue;
    const int group = t.churned() ? 1 : 0;
    const UnixSeconds d =
        group == 1 ? p.ChurnTime(c) : dates[next_date++ % dates.size()];
    const UnixSeconds base_from = d - 34 * 7 * kDay;
    if (base_from <
        std::max<UnixSeconds>(p.start, ds.customers().signup_time[c])) {
      continue;
    }
    const double recent = p.Usage(c, d - 8 * 7 * kDay, d);
    const double baseline = p.Usage(c, base_from, d - 8 * 7 * kDay) * 8 / 26.0;
    if (baseline < 2) continue;
    ++counted[group];
    if (recent < baseline) ++lower[group];
  }
  ASSERT_GT(counted[1], 150);
  ASSERT_GT(counted[0], 600);
  const double churners = lower[1] / double(counted[1]);
  const double others = lower[0] / double(counted[0]);
  RecordProperty("slowdown_churners", absl::StrCat(churners));
  RecordProperty("slowdown_others", absl::StrCat(others));
  // Signals exist: churners slow down far more often...
  EXPECT_GT(churners, others + 0.25) << churners << " vs " << others;
  // ... but they are noisy: not every churner, and many healthy customers
  // have a quieter spell too.
  EXPECT_LT(churners, 0.97);
  EXPECT_GT(others, 0.25);
  EXPECT_LT(others, 0.65);
}

TEST(GeneratorRealism, HealthyCustomersRaiseFalseAlarms) {
  const Population& p = Default();
  int healthy = 0, alarms = 0;
  for (const v1::GroundTruth& t : p.data.truth) {
    if (t.churned()) continue;
    ++healthy;
    alarms += t.false_alarm();
  }
  // false_alarm_share of the customers who show no pre-churn signals.
  const double share = alarms / double(healthy);
  RecordProperty("false_alarm_share", absl::StrCat(share));
  EXPECT_GT(share, 0.6 * p.config.signals().false_alarm_share());
  EXPECT_LT(share, 1.1 * p.config.signals().false_alarm_share());
}

TEST(GeneratorRealism, InterventionArmsAreRandomAndHaveTheirTrueEffects) {
  const Population& p = Default();
  std::map<std::string, std::pair<int, int>> arms;  // assigned, averted
  int interventions = 0;
  const EventTable& ev = p.ds().events();
  for (size_t e = 0; e < p.ds().num_events(); ++e) {
    if (ev.kind[e] == v1::INTERVENTION) ++interventions;
  }
  for (const v1::GroundTruth& t : p.data.truth) {
    if (t.intervention_arm().empty()) continue;
    auto& [n, averted] = arms[absl::StrCat(t.intervention_strategy(), "/",
                                           t.intervention_arm())];
    ++n;
    averted += t.churn_averted();
  }
  int total = 0;
  for (const auto& [arm, counts] : arms) total += counts.first;
  EXPECT_EQ(total, interventions);
  ASSERT_EQ(arms.size(), 4u);
  // Strategies and arms are drawn 50/50: shares within four standard
  // errors of one half.
  auto half = [](int a, int b) {
    const double n = a + b;
    EXPECT_NEAR(a / n, 0.5, 4 * std::sqrt(0.25 / n)) << a << " vs " << b;
  };
  const int loyalty_a = arms["loyalty-offer/A"].first;
  const int loyalty_b = arms["loyalty-offer/B"].first;
  const int call_a = arms["success-call/A"].first;
  const int call_control = arms["success-call/control"].first;
  half(loyalty_a + loyalty_b, call_a + call_control);
  half(loyalty_a, loyalty_b);
  half(call_a, call_control);
  for (const auto& [arm, counts] : arms) {
    RecordProperty("averted_" + arm,
                   absl::StrCat(counts.second, "/", counts.first));
  }
  EXPECT_EQ(arms["success-call/control"].second, 0);
  EXPECT_GT(arms["success-call/A"].second, 0);
  EXPECT_GT(arms["loyalty-offer/B"].second, arms["loyalty-offer/A"].second / 2);
}

TEST(GeneratorRealism, AnnualChurnRateMatchesTheConfig) {
  // Without interventions (which avert some churns), the share of the
  // customers present on 2025-01-01 who churn during 2025 is the
  // configured annual rate. Tolerance 0.03: about four standard errors.
  const Population p = Make(R"pb(
    customers: 3000
    seed: 9
    interventions { targeting_share: 0 proactive_per_year: 0 }
  )pb");
  const Dataset& ds = p.ds();
  const UnixSeconds year = *ParseTime("2025-01-01");
  const UnixSeconds next = *ParseTime("2026-01-01");
  int cohort = 0, churned = 0;
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    const v1::GroundTruth& t = p.data.truth[c];
    if (ds.customers().signup_time[c] >= year) continue;
    if (t.churned() && p.ChurnTime(c) < year) continue;
    ++cohort;
    churned += t.churned() && p.ChurnTime(c) < next;
  }
  ASSERT_GT(cohort, 1500);
  RecordProperty("annual_churn_rate", absl::StrCat(churned / double(cohort)));
  EXPECT_NEAR(churned / double(cohort), p.config.churn().annual_rate(), 0.03);
}

}  // namespace
}  // namespace churnkit
