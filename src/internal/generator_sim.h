// The data generator's model and its per-customer simulation, shared by
// Generate() (streaming to files) and GenerateInMemory() (a Dataset).
// See docs/generator.md for the model.
#ifndef CHURNKIT_SRC_INTERNAL_GENERATOR_SIM_H_
#define CHURNKIT_SRC_INTERNAL_GENERATOR_SIM_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "churnkit/dataset.h"
#include "churnkit/v1/data.pb.h"
#include "churnkit/v1/generator.pb.h"

namespace churnkit::internal {

// The churn reasons of domain.md §8, in this fixed order.
inline constexpr int kNumReasons = 7;
inline constexpr const char* kReasonNames[kNumReasons] = {
    "product_mismatch",   "poor_service",  "price",           "competitor",
    "relationship_drift", "falling_value", "strategic_change"};

struct SimIndustry {
  std::string name;
  bool contractual = false;
  int contract_months = 12;
  double logins_per_day = 0;
  double feature_uses_per_day = 0;
  // Activity weight of each weekday, Monday first, mean 1.
  std::array<double, 7> weekday{};
  double max_weekday = 1;
  double order_interval_days = 0;
  double api_share = 0;
  int window_days = 0;
  double hazard_multiplier = 1;
  double value_scale = 1;
  double interaction_factor = 1;
  bool invoice_orders = false;
  // Activity weight of each calendar month, January first, mean 1.
  std::array<double, 12> month{};
  double max_month = 1;
  std::vector<std::string> features, products, order_categories;
};

struct SimTier {
  std::string name;
  // Upper end of the tier's value quantile band (cumulative share).
  double cumulative_share = 1;
  double interactions_per_day = 0;
  int billing_months = 12;
  double hazard_multiplier = 1;
};

struct SimArm {
  std::string name;
  double effect = 0;  // probability of averting a pending churn
};

struct SimStrategy {
  std::string id;
  double cost = 0;
  std::vector<SimArm> arms;
  std::vector<double> arm_shares;  // drawn with these weights
};

struct SimReason {
  double share = 0;
  double lead_days = 30;
  bool recoverable = true;
};

// Everything the simulation reads, derived once from a resolved, valid
// config. Immutable and shared by all worker threads.
struct SimModel {
  uint64_t seed = 0;
  int64_t customers = 0;
  int id_width = 6;                    // digits of customer ids
  int64_t start_day = 0, end_day = 0;  // days since 1970-01-01, inclusive
  // Calendar month (0-11) of each day start_day .. end_day.
  std::vector<uint8_t> month_of;
  // Marketing campaigns: the day each is sent (to every customer) and its
  // key, e.g. "cmp-2024-03-16".
  std::vector<int64_t> campaign_days;
  std::vector<std::string> campaign_keys;

  double existing_share = 0;
  int history_years = 1;
  std::vector<std::string> regions, lead_sources;
  std::vector<double> region_shares, lead_source_shares;
  double chinese_name_share = 0;

  std::vector<SimIndustry> industries;
  std::vector<double> industry_shares;
  std::vector<SimTier> tiers;

  double pareto_alpha = 1, min_value = 1, max_value = 1;
  // Median of the (unscaled) value distribution and the mean of the usage
  // size factor over it, so that rates hold for an average customer.
  double median_value = 1, size_norm = 1;

  // Owners: the table, each owner's diligence, and the indices of those
  // who hold accounts (sales reps and CSMs).
  std::vector<v1::Owner> owners;
  std::vector<double> diligence;
  std::vector<uint32_t> account_owners;
  double owner_changes_per_day = 0;

  v1::GeneratorConfig::EventRates rates;  // every field set

  // Annual hazard of an average established customer, calibrated so that
  // the population's one-year churn share is churn.annual_rate.
  double base_hazard = 0;
  std::array<double, 3> type_shares{};  // active, passive, hidden
  std::array<SimReason, kNumReasons> reasons{};
  double cause_spread = 0;
  int critical_days = 90;
  double critical_multiplier = 1, first_term_multiplier = 1;
  double termination_share = 0;
  double hidden_drop_min = 0.4, hidden_drop_max = 0.7;

  double decline_share = 0, expression_share = 0;
  double false_alarm_share = 0, false_alarm_days = 56;

  double targeting_share = 0, proactive_per_day = 0, detection_days = 21;
  std::vector<SimStrategy> strategies;
  std::vector<double> strategy_shares;

  std::vector<std::string> competitors, issue_keys;
};

// Builds the model of a resolved config that passed
// ValidateGeneratorConfig.
SimModel BuildSimModel(const v1::GeneratorConfig& resolved);

// One generated event. Keys and groups are short (most fit the small-string
// buffer), so a customer's history costs few allocations.
struct SimEvent {
  UnixSeconds time = 0;
  uint32_t seq = 0;  // creation order, breaks ties of time
  uint8_t kind = 0;
  uint8_t flags = 0;
  uint16_t subtype = 0;
  double amount = 0;
  double value = 0;
  std::string key;
  std::string group;
};

// Everything generated for one customer.
struct CustomerOutput {
  v1::Customer customer;
  std::vector<v1::Contact> contacts;
  std::vector<v1::Contract> contracts;
  std::vector<SimEvent> events;  // sorted by (time, seq)
  v1::GroundTruth truth;
};

// Simulates customer `index` (0-based) from its own random stream; the
// result depends only on the model and the index.
void SimulateCustomer(const SimModel& model, uint32_t index,
                      CustomerOutput* out);

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_GENERATOR_SIM_H_
