#include "internal/generator_sim.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "internal/random.h"
#include "internal/time.h"

namespace churnkit::internal {
namespace {

constexpr double kDaysPerYear = 365.0;
constexpr double kDaysPerMonth = 365.0 / 12.0;
constexpr int64_t kSecondsPerDay = 86400;

// Streams beyond any customer index, for the model-level draws. The
// calibration stream also has a fixed seed so that the hazard scale does
// not depend on `seed`.
constexpr uint64_t kOwnerStream = uint64_t{1} << 62;
constexpr uint64_t kCalibrationStream = (uint64_t{1} << 62) + 1;
constexpr uint64_t kCalibrationSeed = 0x636875726e6b6974ULL;  // "churnkit"

enum Reason {
  kProductMismatch,
  kPoorService,
  kPrice,
  kCompetitor,
  kRelationshipDrift,
  kFallingValue,
  kStrategicChange,
};

enum ChurnType { kActive, kPassive, kHidden };
constexpr const char* kChurnTypeNames[] = {"active", "passive", "hidden"};

// Warning signals of domain.md §3 that an episode may express.
enum Signal {
  kMoreTickets,
  kRepeatIssue,
  kSlowResponse,
  kComplaints,
  kLowScores,
  kUnansweredTraining,
  kFeatureCollapse,
  kDocFailures,
  kDiscountRequests,
  kPricingViews,
  kPaymentDelays,
  kShorterTerm,
  kCompetitorContent,
  kCompetitorTrial,
  kDataExport,
  kSeatRemoval,
  kApiSurge,
  kContactLeaves,
  kOwnerChange,
  kFewerInteractions,
  kMarketingIgnored,
  kRenewalSilence,
  kRemindersRejected,
  kOrderShrink,
  kStockouts,
  kOpportunityStalled,
  kNumSignals
};

// The signs of each reason (domain.md §8's reason matrix), each list ended
// by kNumSignals.
constexpr Signal kReasonSignals[kNumReasons][8] = {
    /*product_mismatch*/
    {kFeatureCollapse, kDocFailures, kMoreTickets, kUnansweredTraining,
     kLowScores, kOpportunityStalled, kNumSignals},
    /*poor_service*/
    {kMoreTickets, kRepeatIssue, kSlowResponse, kComplaints, kLowScores,
     kUnansweredTraining, kStockouts, kNumSignals},
    /*price*/
    {kDiscountRequests, kPricingViews, kPaymentDelays, kShorterTerm,
     kRemindersRejected, kNumSignals},
    /*competitor*/
    {kCompetitorContent, kCompetitorTrial, kDataExport, kSeatRemoval, kApiSurge,
     kPricingViews, kNumSignals},
    /*relationship_drift*/
    {kContactLeaves, kOwnerChange, kFewerInteractions, kMarketingIgnored,
     kRenewalSilence, kRemindersRejected, kNumSignals},
    /*falling_value*/
    {kOrderShrink, kPaymentDelays, kLowScores, kFewerInteractions,
     kOpportunityStalled, kMarketingIgnored, kNumSignals},
    /*strategic_change*/
    {kContactLeaves, kOpportunityStalled, kDataExport, kNumSignals},
};
// Signs any leaving customer may show, whatever the reason.
constexpr Signal kGeneralSignals[] = {kLowScores, kMarketingIgnored,
                                      kRenewalSilence, kRemindersRejected};

// ---- Names -----------------------------------------------------------------

constexpr const char* kNamePrefixes[] = {
    "North", "Blue",  "Silver", "Bright",  "Summit", "Harbor", "Pine", "Red",
    "Iron",  "Clear", "Golden", "Quantum", "Vertex", "Lumen",  "Ever", "Orbit",
    "Delta", "Kite",  "Maple",  "Cedar",   "Falcon", "Atlas",  "Nova", "Coral"};
constexpr const char* kNameSuffixes[] = {"wind",   "stone", "field", "path",
                                         "bridge", "view",  "ridge", "gate",
                                         "line",   "point", "water", "crest"};
constexpr const char* kChineseCities[] = {"北京", "上海", "深圳", "杭州",
                                          "成都", "广州", "苏州", "南京"};
constexpr const char* kChineseBrands[] = {
    "星云", "华信", "恒通", "远航", "天行", "博雅", "鼎盛", "瑞丰",
    "金桥", "蓝海", "青松", "东方", "中科", "启明", "同创", "新锐"};
constexpr const char* kFirstNames[] = {
    "Emily", "Tom",  "Anna",   "James", "Sofia", "Daniel", "Grace", "Lucas",
    "Mia",   "Noah", "Olivia", "Ethan", "Chloe", "Ryan",   "Laura", "Kevin"};
constexpr const char* kLastNames[] = {
    "Carter", "Reed", "Lee",    "Patel", "Kim",    "Garcia", "Nguyen", "Smith",
    "Brown",  "Chen", "Wright", "Lopez", "Walker", "Young",  "Hall",   "Moore"};
constexpr const char* kChineseSurnames[] = {"王", "李", "张", "刘", "陈", "杨",
                                            "赵", "黄", "周", "吴", "孙", "徐",
                                            "马", "朱", "胡", "郭"};
constexpr const char* kChineseGiven[] = {"伟", "敏", "静", "磊", "洋", "丽",
                                         "强", "军", "杰", "娟", "涛", "明",
                                         "超", "艳", "勇", "霞", "婷", "鹏"};
constexpr const char* kDecisionRoles[] = {"ceo", "cto", "cfo", "owner",
                                          "vp_operations"};
constexpr const char* kOtherRoles[] = {
    "admin",   "it_manager",        "purchasing", "ops_manager",
    "finance", "marketing_manager", "engineer",   "team_lead"};
constexpr const char* kSizes[] = {"small", "medium", "large", "enterprise"};

template <typename T, size_t N>
const char* PickName(Rng& rng, T (&names)[N]) {
  return names[rng.Below(N)];
}

// English words naming a company of an industry.
const std::vector<const char*>& IndustryWords(absl::string_view industry) {
  static const auto* words =
      new std::vector<std::pair<const char*, std::vector<const char*>>>{
          {"saas", {"Analytics", "Software", "Cloud", "Labs", "Systems"}},
          {"ecommerce", {"Goods", "Store", "Market", "Outfitters", "Supply"}},
          {"education", {"Academy", "Learning", "School", "Institute"}},
          {"manufacturing",
           {"Manufacturing", "Precision", "Tools", "Fabrication"}},
          {"services", {"Consulting", "Partners", "Services", "Advisory"}},
      };
  static const auto* generic = new std::vector<const char*>{"Company", "Group"};
  for (const auto& [name, list] : *words) {
    if (industry == name) return list;
  }
  return *generic;
}

const char* ChineseIndustryWord(absl::string_view industry) {
  if (industry == "saas") return "科技";
  if (industry == "ecommerce") return "商贸";
  if (industry == "education") return "教育";
  if (industry == "manufacturing") return "机械";
  if (industry == "services") return "咨询";
  return "实业";
}

std::string PersonName(Rng& rng, bool chinese) {
  if (chinese) {
    std::string name = PickName(rng, kChineseSurnames);
    name += PickName(rng, kChineseGiven);
    if (rng.Bernoulli(0.5)) name += PickName(rng, kChineseGiven);
    return name;
  }
  return absl::StrCat(PickName(rng, kFirstNames), " ",
                      PickName(rng, kLastNames));
}

// ---- Calendar --------------------------------------------------------------

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// The same day of the month `months` later (clamped to the month's end).
int64_t AddMonths(int64_t day, int months) {
  int64_t y;
  int m, d;
  CivilFromDays(day, &y, &m, &d);
  int64_t total = y * 12 + (m - 1) + months;
  y = total / 12;
  m = static_cast<int>(total % 12) + 1;
  return DaysFromCivil(y, m, std::min(d, DaysInMonth(y, m)));
}

// Monday = 0; 1970-01-01 was a Thursday.
int Weekday(int64_t day) { return static_cast<int>(((day % 7) + 7 + 3) % 7); }

double Clamp(double x, double lo, double hi) {
  return std::min(hi, std::max(lo, x));
}

// Standard normal CDF.
double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// ---- One customer
// ------------------------------------------------------------

// An episode of warning signals: the run-up to a churn, or a false alarm.
struct Episode {
  bool present = false;
  bool churn = false;
  int reason = 0;
  double onset = 0;  // first day of the signals
  double peak = 0;   // signals peak, usage bottoms out
  bool recovers = false;
  double recovery_days = 30;
  bool decline = false;  // usage decays towards `floor`
  double floor = 1;
  bool expressed[kNumSignals] = {};
};

class CustomerSim {
 public:
  CustomerSim(const SimModel& m, uint32_t index, CustomerOutput* out)
      : m_(m), index_(index), rng_(m.seed, index), out_(out) {}

  void Run() {
    out_->customer.Clear();
    out_->contacts.clear();
    out_->contracts.clear();
    out_->events.clear();
    out_->truth.Clear();
    DrawProfile();
    PlanTerms();
    DrawChurn();
    PlanEpisode();
    PlanIntervention();
    SetLastDay();
    PlanOwners();
    Contacts();
    Contracts();
    Usage();
    Orders();
    Interactions();
    Tickets();
    Surveys();
    Marketing();
    WebSignals();
    PriceAndCompetitor();
    Opportunities();
    TrainingRequests();
    Churn();
    Finish();
  }

 private:
  // ---- Profile ----
  void DrawProfile() {
    id_ = absl::StrFormat("c%0*d", m_.id_width, index_ + 1);
    industry_ = &m_.industries[rng_.Pick(m_.industry_shares)];
    const SimIndustry& ind = *industry_;

    // Value: Pareto by inversion; its quantile also sets the tier.
    const double u = rng_.Uniform();
    const double raw = std::min(
        m_.max_value, m_.min_value * std::pow(1.0 - u, -1.0 / m_.pareto_alpha));
    value_ = std::round(raw * ind.value_scale);
    tier_index_ = 0;
    const double top = 1.0 - u;  // share of customers above this one
    while (tier_index_ + 1 < static_cast<int>(m_.tiers.size()) &&
           top >= m_.tiers[tier_index_].cumulative_share) {
      ++tier_index_;
    }
    tier_ = &m_.tiers[tier_index_];
    size_ =
        Clamp(std::pow(raw / m_.median_value, 0.35), 0.5, 4.0) / m_.size_norm;
    const double size_score =
        std::log(raw / m_.min_value) + 0.6 * rng_.Normal();
    size_index_ = size_score < 1.0   ? 0
                  : size_score < 2.2 ? 1
                  : size_score < 3.5 ? 2
                                     : 3;
    chinese_ = rng_.Bernoulli(m_.chinese_name_share);

    // Signup: an existing customer or one who joins during the period.
    if (rng_.Bernoulli(m_.existing_share)) {
      signup_ = m_.start_day - 1 -
                static_cast<int64_t>(rng_.Uniform() * m_.history_years *
                                     kDaysPerYear);
    } else {
      signup_ =
          m_.start_day + static_cast<int64_t>(rng_.Uniform() *
                                              (m_.end_day - m_.start_day + 1));
    }
    first_day_ = std::max(signup_, m_.start_day);
    last_day_ = m_.end_day;

    // Latent causes and their consequences.
    for (double& z : cause_) z = rng_.Normal();
    fit_ = Phi(-cause_[kProductMismatch]);
    engagement_ = std::exp(0.35 * rng_.Normal() - 0.06125) *
                  std::exp(-0.35 * cause_[kProductMismatch] - 0.06125);
    service_ = std::exp(0.6 * cause_[kPoorService] - 0.18);
    relationship_ = std::exp(-0.5 * cause_[kRelationshipDrift] - 0.125);
    price_ = std::exp(0.7 * cause_[kPrice] - 0.245);
    competitor_ = std::exp(0.9 * cause_[kCompetitor] - 0.405);
    open_affinity_ = std::exp(0.5 * rng_.Normal() - 0.125);
    const int n_features = static_cast<int>(ind.features.size());
    breadth_ = std::clamp(
        static_cast<int>(std::lround(n_features * (0.2 + 0.7 * fit_))), 1,
        std::max(1, n_features));
    has_api_ = rng_.Bernoulli(ind.api_share);
    seats_ = std::max<int64_t>(2, std::llround(value_ / 500.0));

    v1::Customer& c = out_->customer;
    c.set_id(id_);
    if (chinese_) {
      c.set_name(absl::StrCat(PickName(rng_, kChineseCities),
                              PickName(rng_, kChineseBrands),
                              ChineseIndustryWord(ind.name), "有限公司"));
    } else {
      const auto& words = IndustryWords(ind.name);
      c.set_name(absl::StrCat(PickName(rng_, kNamePrefixes),
                              PickName(rng_, kNameSuffixes), " ",
                              words[rng_.Below(words.size())]));
    }
    c.set_industry(ind.name);
    c.set_size(kSizes[size_index_]);
    c.set_region(m_.regions[rng_.Pick(m_.region_shares)]);
    c.set_tier(tier_->name);
    if (!ind.products.empty()) {
      c.set_product(
          ind.products[std::min<size_t>(tier_index_, ind.products.size() - 1)]);
    }
    c.mutable_signup_time()->set_seconds(signup_ * kSecondsPerDay);
    c.set_annual_value(value_);
    (*c.mutable_attributes())["lead_source"] =
        m_.lead_sources[rng_.Pick(m_.lead_source_shares)];
    if (ind.contractual) {
      (*c.mutable_attributes())["seats"] = absl::StrCat(seats_);
    }
  }

  // ---- Contract terms ----
  void PlanTerms() {
    const SimIndustry& ind = *industry_;
    if (!ind.contractual) return;
    term_months_ = ind.contract_months;
    if (tier_index_ == 0 && rng_.Bernoulli(0.4)) term_months_ *= 2;
    int64_t start = signup_;
    // Terms until one starts after the period (plus one for censoring).
    while (start <= m_.end_day + 400) {
      const int64_t end = AddMonths(start, term_months_);
      term_start_.push_back(start);
      term_end_.push_back(end);
      start = end;
    }
  }
  int64_t RenewalDay(size_t j) const { return term_end_[j] - 30; }

  // ---- Churn ----
  void DrawChurn() {
    const SimIndustry& ind = *industry_;
    const double s = m_.cause_spread;
    double mix = 0;
    for (int r = 0; r < kNumReasons; ++r) {
      reason_weight_[r] =
          m_.reasons[r].share * std::exp(s * cause_[r] - 0.5 * s * s);
      mix += reason_weight_[r];
    }
    hazard_ =
        m_.base_hazard * ind.hazard_multiplier * tier_->hazard_multiplier * mix;
    const double first_term_end =
        ind.contractual ? static_cast<double>(term_end_[0])
                        : static_cast<double>(signup_) + kDaysPerYear;
    // Piecewise-constant hazard from the first observed day.
    double remaining = rng_.Exponential(1.0);
    const double per_day = hazard_ / kDaysPerYear;
    const std::pair<double, double> pieces[] = {
        {static_cast<double>(signup_) + m_.critical_days,
         m_.critical_multiplier},
        {first_term_end, m_.first_term_multiplier},
        {1e18, 1.0}};
    double t = first_day_;
    decision_ = 1e18;
    if (per_day > 0) {
      for (const auto& [until, multiplier] : pieces) {
        if (t >= until) continue;
        const double rate = per_day * multiplier;
        const double need = remaining / rate;
        if (t + need <= until) {
          decision_ = t + need;
          break;
        }
        remaining -= (until - t) * rate;
        t = until;
      }
    }
    type_ = static_cast<int>(rng_.Pick(m_.type_shares));
    reason_ = static_cast<int>(rng_.Pick(reason_weight_));
    terminate_ = rng_.Bernoulli(m_.termination_share);
    hidden_level_ = 1.0 - rng_.Uniform(m_.hidden_drop_min, m_.hidden_drop_max);

    if (decision_ > m_.end_day + 400) return;  // no churn in sight
    churn_day_ = static_cast<int64_t>(decision_);
    if (type_ == kActive && ind.contractual && !terminate_) {
      // Contractual customers leave at a renewal decision: the one nearest
      // to the latent decision (so that, on average, churn is neither
      // delayed nor advanced), not before the first observed day.
      double best = 1e18;
      for (size_t j = 0; j < term_end_.size(); ++j) {
        const int64_t renewal = RenewalDay(j);
        if (renewal < first_day_) continue;
        const double distance = std::fabs(renewal - decision_);
        if (distance < best) {
          best = distance;
          churn_day_ = renewal;
          churn_term_ = static_cast<int>(j);
        }
      }
    }
    pending_ = true;
  }

  // ---- Signals ----
  void Express(Episode& e) {
    for (const Signal* s = kReasonSignals[e.reason]; *s != kNumSignals; ++s) {
      e.expressed[*s] = rng_.Bernoulli(m_.expression_share);
    }
    for (Signal s : kGeneralSignals) {
      if (!e.expressed[s]) {
        e.expressed[s] = rng_.Bernoulli(0.5 * m_.expression_share);
      }
    }
    e.decline = rng_.Bernoulli(m_.decline_share);
  }

  void PlanEpisode() {
    Episode& e = episode_;
    if (pending_) {
      const double lead = Clamp(
          rng_.Gamma(6.0, m_.reasons[reason_].lead_days / 6.0), 7.0, 240.0);
      e.churn = true;
      e.reason = reason_;
      e.peak = static_cast<double>(churn_day_);
      e.onset = e.peak - lead;
      Express(e);
      e.floor = type_ == kPassive  ? 0.03
                : type_ == kHidden ? hidden_level_
                                   : rng_.Uniform(0.15, 0.45);
      e.present = e.onset <= m_.end_day;
      if (e.present) return;
    }
    const double span = static_cast<double>(m_.end_day - first_day_);
    if (span > 28 && rng_.Bernoulli(m_.false_alarm_share)) {
      const double length =
          Clamp(rng_.Gamma(3.0, m_.false_alarm_days / 3.0), 14.0, 180.0);
      e = Episode();
      e.present = true;
      e.reason = static_cast<int>(rng_.Pick(reason_weight_));
      e.onset = first_day_ + rng_.Uniform() * (span - 14);
      e.peak = e.onset + 0.6 * length;
      e.recovers = true;
      e.recovery_days = 0.4 * length;
      Express(e);
      e.floor = rng_.Uniform(0.35, 0.75);
      false_alarm_ = true;
    }
  }

  // Strength in [0, 1] of signal `s` at day `t`.
  double Sig(Signal s, double t) const {
    const Episode& e = episode_;
    if (!e.present || !e.expressed[s] || t < e.onset) return 0;
    if (t <= e.peak) {
      const double p =
          e.peak > e.onset ? (t - e.onset) / (e.peak - e.onset) : 1;
      return 0.3 + 0.7 * p;
    }
    if (e.recovers) return std::max(0.0, 1.0 - (t - e.peak) / e.recovery_days);
    return type_ == kHidden ? 0.5 : 1.0;
  }

  // Usage relative to the customer's normal level (1), at day `t`.
  double Trajectory(double t) const {
    const Episode& e = episode_;
    double f = 1;
    if (e.present && e.decline && t >= e.onset) {
      if (t <= e.peak) {
        const double p =
            e.peak > e.onset ? (t - e.onset) / (e.peak - e.onset) : 1;
        // A first drop when the trouble starts, then a steady decay.
        f = 1 - (1 - e.floor) * (0.6 + 0.4 * p);
      } else if (e.recovers) {
        f = e.floor +
            (1 - e.floor) * std::min(1.0, (t - e.peak) / e.recovery_days);
      } else {
        f = e.floor;
      }
    }
    if (churned_ && t >= churn_day_) {
      f = type_ == kHidden ? std::min(f, hidden_level_) : 0.0;
    }
    return f;
  }

  double Month(double t) const {
    const int64_t day = static_cast<int64_t>(t);
    const int64_t i =
        std::clamp<int64_t>(day - m_.start_day, 0, m_.end_day - m_.start_day);
    return industry_->month[m_.month_of[i]];
  }
  double WeekdayWeight(double t) const {
    return industry_->weekday[Weekday(static_cast<int64_t>(t))];
  }

  // ---- Interventions ----
  void PlanIntervention() {
    // A churn is cancelled only if the intervention averts it; until then
    // it is pending.
    churned_ = pending_ && churn_day_ <= m_.end_day;
    double when = -1;
    const Episode& e = episode_;
    if (e.present && rng_.Bernoulli(m_.targeting_share)) {
      when = std::max(e.onset, static_cast<double>(first_day_)) +
             rng_.Gamma(2.0, m_.detection_days / 2.0);
      if (e.churn && when >= churn_day_) when = -1;  // too late
    } else {
      const double days = static_cast<double>(last_day_ - first_day_ + 1);
      if (rng_.Bernoulli(1 - std::exp(-m_.proactive_per_day * days))) {
        when = first_day_ + rng_.Uniform() * days;
      }
    }
    if (when < 0 || when >= m_.end_day + 1 ||
        (churned_ && when >= churn_day_)) {
      return;
    }
    const SimStrategy& st = m_.strategies[rng_.Pick(m_.strategy_shares)];
    const SimArm& arm = st.arms[rng_.Pick(st.arm_shares)];
    SimEvent& ev = Add(Stamp(when, 9, 9), v1::INTERVENTION);
    ev.key = st.id;
    ev.group = arm.name;
    ev.amount = st.cost;
    v1::GroundTruth& truth = out_->truth;
    truth.set_intervention_strategy(st.id);
    truth.set_intervention_arm(arm.name);
    truth.mutable_intervention_time()->set_seconds(ev.time);
    const bool averts = rng_.Bernoulli(arm.effect);
    if (pending_ && when < churn_day_ && m_.reasons[reason_].recoverable &&
        averts) {
      // Averted: the signals fade after the intervention, usage recovers
      // and the customer stays (not re-drawn within the period).
      truth.set_churn_averted(true);
      pending_ = false;
      churned_ = false;
      if (episode_.present) {
        episode_.peak = std::max(episode_.onset, when);
        episode_.recovers = true;
        episode_.recovery_days = rng_.Uniform(14, 42);
      }
    }
  }

  // Active and passive churners are not seen after their churn day.
  void SetLastDay() {
    if (churned_ && type_ != kHidden) last_day_ = churn_day_;
  }

  // ---- Owners ----
  void PlanOwners() {
    owner_changes_.clear();
    const auto& owners = m_.account_owners;
    uint32_t current = owners[rng_.Below(owners.size())];
    owner_changes_.push_back({-1e18, current});
    std::vector<double> times;
    for (double t = first_day_ + rng_.Exponential(m_.owner_changes_per_day);
         t < last_day_ + 1; t += rng_.Exponential(m_.owner_changes_per_day)) {
      times.push_back(t);
    }
    if (episode_.present && episode_.expressed[kOwnerChange]) {
      const double t = episode_.onset + rng_.Uniform(0.1, 0.6) *
                                            (episode_.peak - episode_.onset);
      if (t >= first_day_ && t < last_day_ + 1) times.push_back(t);
    }
    std::sort(times.begin(), times.end());
    for (double t : times) {
      if (owners.size() < 2) break;
      uint32_t next = owners[rng_.Below(owners.size() - 1)];
      if (next == current) next = owners.back();
      current = next;
      owner_changes_.push_back({t, current});
      SimEvent& ev = Add(Stamp(t, 9, 8), v1::OWNER_CHANGE);
      ev.key = m_.owners[current].id();
    }
    out_->customer.set_owner_id(m_.owners[current].id());
  }
  double Diligence(double t) const {
    double d = 1;
    for (const auto& [from, owner] : owner_changes_) {
      if (from <= t) d = m_.diligence[owner];
    }
    return d;
  }
  double MaxDiligence() const {
    double d = 0;
    for (const auto& change : owner_changes_) {
      d = std::max(d, m_.diligence[change.second]);
    }
    return d;
  }

  // ---- Contacts ----
  void Contacts() {
    const int n = std::clamp<int>(
        1 + static_cast<int>(rng_.Poisson(0.5 + 0.8 * size_index_)), 1, 8);
    struct Pending {
      double added;
      std::string role;
      bool decision_maker;
    };
    std::vector<Pending> queue;
    for (int i = 0; i < n; ++i) {
      const bool dm =
          i == 0 || (size_index_ >= 2 && i == 1 && rng_.Bernoulli(0.4));
      queue.push_back(
          {signup_ + rng_.Uniform(0, 10),
           dm ? PickName(rng_, kDecisionRoles) : PickName(rng_, kOtherRoles),
           dm});
    }
    // The key contact leaving before churn (relationship, strategic change).
    double forced_leave = -1;
    bool forced_role_change = false;
    if (episode_.present && episode_.expressed[kContactLeaves]) {
      forced_leave = episode_.onset +
                     rng_.Uniform(0.2, 0.7) * (episode_.peak - episode_.onset);
      forced_role_change =
          episode_.reason == kStrategicChange && rng_.Bernoulli(0.5);
    }
    const double turnover = m_.rates.contact_turnover_per_year() / kDaysPerYear;
    const double role_rate = m_.rates.role_changes_per_year() / kDaysPerYear;
    const double end = last_day_ + 1;
    for (size_t i = 0; i < queue.size() && queue.size() < 40; ++i) {
      const Pending p = queue[i];
      if (p.added >= end) continue;
      v1::Contact& c = out_->contacts.emplace_back();
      c.set_id(absl::StrCat(id_, "-p", i + 1));
      c.set_customer_id(id_);
      c.set_name(PersonName(rng_, chinese_));
      c.set_role(p.role);
      c.set_decision_maker(p.decision_maker);
      c.mutable_added_time()->set_seconds(static_cast<int64_t>(p.added) *
                                          kSecondsPerDay);
      const uint8_t dm_flag = p.decision_maker ? kFlagDecisionMaker : 0;
      if (p.added >= first_day_) {
        SimEvent& ev =
            Add(Stamp(p.added, 9, 8), v1::CONTACT_CHANGE, v1::CONTACT_ADDED);
        ev.key = c.id();
        ev.flags = dm_flag;
      }
      double leave = turnover > 0 ? p.added + rng_.Exponential(turnover) : 1e18;
      bool replace = true;
      if (forced_leave >= p.added && p.decision_maker && forced_leave < leave) {
        if (forced_role_change) {
          if (forced_leave >= first_day_ && forced_leave < end) {
            SimEvent& ev = Add(Stamp(forced_leave, 9, 8), v1::CONTACT_CHANGE,
                               v1::CONTACT_ROLE_CHANGED);
            ev.key = c.id();
            ev.flags = dm_flag;
            c.set_role(PickName(rng_, kOtherRoles));
          }
        } else {
          leave = forced_leave;
          // No successor before the churn; a slow one after a false alarm.
          replace = episode_.recovers;
        }
        forced_leave = -1;
      }
      if (role_rate > 0) {
        const double change = p.added + rng_.Exponential(role_rate);
        if (change < std::min(leave, end) && change >= first_day_) {
          SimEvent& ev = Add(Stamp(change, 9, 8), v1::CONTACT_CHANGE,
                             v1::CONTACT_ROLE_CHANGED);
          ev.key = c.id();
          ev.flags = dm_flag;
          c.set_role(p.decision_maker ? PickName(rng_, kDecisionRoles)
                                      : PickName(rng_, kOtherRoles));
        }
      }
      if (leave < end) {
        c.mutable_left_time()->set_seconds(static_cast<int64_t>(leave) *
                                           kSecondsPerDay);
        if (leave >= first_day_) {
          SimEvent& ev =
              Add(Stamp(leave, 9, 8), v1::CONTACT_CHANGE, v1::CONTACT_LEFT);
          ev.key = c.id();
          ev.flags = dm_flag;
        }
        if (replace) {
          const double delay = episode_.recovers && leave >= episode_.onset
                                   ? rng_.Uniform(30, 90)
                                   : rng_.Gamma(2.0, 15.0);
          queue.push_back({leave + delay, p.role, p.decision_maker});
        }
      }
    }
  }

  // ---- Contracts, renewals and their payments ----
  void Contracts() {
    const SimIndustry& ind = *industry_;
    if (!ind.contractual) return;
    double annual = value_;
    int months = term_months_;
    for (size_t j = 0; j < term_start_.size(); ++j) {
      const int64_t start = term_start_[j];
      if (start > last_day_) break;
      const int64_t end = j == 0 ? term_end_[0] : AddMonths(start, months);
      term_end_[j] = end;
      if (j + 1 < term_start_.size()) term_start_[j + 1] = end;
      const double contract_value =
          std::round(annual * months / 12.0 * 100) / 100;
      v1::Contract& k = out_->contracts.emplace_back();
      const std::string contract_id = absl::StrCat(id_, "-k", j + 1);
      k.set_id(contract_id);
      k.set_customer_id(id_);
      k.mutable_start_time()->set_seconds(start * kSecondsPerDay);
      k.mutable_end_time()->set_seconds(end * kSecondsPerDay);
      k.mutable_renewal_time()->set_seconds((end - 30) * kSecondsPerDay);
      k.set_value(contract_value);
      k.set_product(out_->customer.product());
      if (j == 0 && start >= first_day_) {
        SimEvent& ev =
            Add(start * kSecondsPerDay, v1::CONTRACT, v1::CONTRACT_SIGNED);
        ev.key = contract_id;
        ev.amount = contract_value;
        ev.value = months;
      }
      Invoices(start, end, annual);

      // The renewal decision of this term.
      const int64_t renewal = end - 30;
      const bool leaves_here =
          churned_ && type_ == kActive && churn_term_ == static_cast<int>(j);
      // Passive churners go quiet: they answer no renewal reminder.
      const bool quiet = churned_ && type_ == kPassive && churn_day_ < end;
      if (renewal - 30 > last_day_) break;
      Renewal(j, contract_id, contract_value, months, leaves_here, quiet);
      if (leaves_here || end > last_day_) break;
      // Next term: a hidden churner or a customer in a price episode
      // downgrades; a healthy, well-fitted one may upgrade.
      v1::EventSubtype outcome = v1::CONTRACT_RENEWED;
      const double t = static_cast<double>(end);
      if (churned_ && type_ == kHidden && end >= churn_day_) {
        outcome = v1::CONTRACT_DOWNGRADED;
        annual *= hidden_level_;
      } else if (Sig(kShorterTerm, t) > 0 || Sig(kDiscountRequests, t) > 0) {
        outcome = v1::CONTRACT_DOWNGRADED;
        annual *= rng_.Uniform(0.7, 0.9);
      } else if (rng_.Bernoulli(0.04 + 0.1 * fit_)) {
        outcome = v1::CONTRACT_UPGRADED;
        annual *= rng_.Uniform(1.15, 1.5);
      }
      // Contracts get shorter at renewals under pressure, unless that would
      // move the renewal this customer leaves at.
      if (churn_term_ < 0 &&
          (Sig(kShorterTerm, t) > 0 ||
           (episode_.present && t >= episode_.onset && t <= episode_.peak))) {
        months = std::max(6, months / 2);
      }
      SimEvent& ev = Add(end * kSecondsPerDay, v1::CONTRACT, outcome);
      ev.key = absl::StrCat(id_, "-k", j + 2);
      ev.amount = std::round(annual * months / 12.0 * 100) / 100;
      ev.value = months;
    }
  }

  void Invoices(int64_t start, int64_t end, double annual) {
    const int billing = tier_->billing_months;
    for (int64_t due = start; due < end; due = AddMonths(due, billing)) {
      if (due > last_day_) break;
      const double amount = std::round(annual * billing / 12.0 * 100) / 100;
      Payment(static_cast<double>(due), amount);
    }
  }

  // A PAYMENT_DUE on `due` and its PAYMENT_PAID, if paid inside the period.
  void Payment(double due, double amount) {
    if (due >= first_day_) {
      SimEvent& ev = Add(static_cast<int64_t>(due) * kSecondsPerDay,
                         v1::PAYMENT, v1::PAYMENT_DUE);
      ev.amount = amount;
    }
    double late = rng_.Normal() * m_.rates.payment_days_late_sd() +
                  m_.rates.payment_days_late() +
                  2.0 * std::max(0.0, cause_[kPrice]);
    const double delay = Sig(kPaymentDelays, due);
    if (delay > 0) late += delay * rng_.Uniform(10, 45);
    late = std::round(late);
    const double paid = std::floor(due) + late;
    if (paid < first_day_ || paid > last_day_) return;  // unpaid at export
    SimEvent& ev = Add(static_cast<int64_t>(paid) * kSecondsPerDay, v1::PAYMENT,
                       v1::PAYMENT_PAID);
    ev.amount = amount;
    ev.value = late;
    if (late > 15 && rng_.Bernoulli(0.6)) ev.flags = kFlagCreditUsed;
  }

  void Renewal(size_t j, const std::string& contract_id, double value,
               int months, bool leaves_here, bool quiet) {
    const int64_t renewal = term_end_[j] - 30;
    const double first_reminder = static_cast<double>(renewal - 30);
    const bool silent = quiet || Sig(kRenewalSilence, first_reminder) > 0;
    const bool rejects = Sig(kRemindersRejected, first_reminder) > 0;
    // Reminders every two weeks until answered, at most three.
    for (int r = 0; r < 3; ++r) {
      const double sent = first_reminder + 14 * r;
      SimEvent& ev =
          Add(Stamp(sent, 9, 2), v1::CONTRACT, v1::RENEWAL_REMINDER_SENT);
      ev.key = contract_id;
      const double reply = sent + rng_.Uniform(1, 12);
      if (rejects && (leaves_here || rng_.Bernoulli(0.5))) {
        SimEvent& no = Add(Stamp(reply, 9, 9), v1::CONTRACT,
                           v1::RENEWAL_REMINDER_REJECTED);
        no.key = contract_id;
        continue;
      }
      if (leaves_here || silent || rng_.Bernoulli(0.2)) continue;
      SimEvent& yes =
          Add(Stamp(reply, 9, 9), v1::CONTRACT, v1::RENEWAL_REMINDER_ACCEPTED);
      yes.key = contract_id;
      break;
    }
    // Renewal care (domain.md §6): a call at -60 days, a meeting at -30
    // for the top tiers; skipped when the renewal goes silent.
    if (!silent) {
      Interaction(first_reminder - rng_.Uniform(0, 5), v1::CALL, "renewal");
      if (tier_index_ <= 1) {
        Interaction(renewal - rng_.Uniform(0, 7), v1::MEETING, "renewal");
      }
    }
    // The renewal deal of the top tiers as an opportunity.
    if (tier_index_ <= 1) {
      const std::string opp = absl::StrCat(id_, "-r", j + 1);
      SimEvent& open = Add(Stamp(term_end_[j] - 90.0, 9, 8), v1::OPPORTUNITY,
                           v1::OPPORTUNITY_OPENED);
      open.key = opp;
      open.amount = value;
      if (Sig(kOpportunityStalled, renewal - 45.0) > 0 || leaves_here) {
        SimEvent& st = Add(Stamp(renewal - 45.0, 9, 8), v1::OPPORTUNITY,
                           v1::OPPORTUNITY_STALLED);
        st.key = opp;
        st.amount = value;
      }
      if (leaves_here || quiet) {
        SimEvent& lost = Add(Stamp(std::min<double>(churn_day_, renewal), 9, 1),
                             v1::OPPORTUNITY, v1::OPPORTUNITY_LOST);
        lost.key = opp;
        lost.amount = value;
      } else {
        SimEvent& won = Add(Stamp(renewal + rng_.Uniform(0, 25), 9, 8),
                            v1::OPPORTUNITY, v1::OPPORTUNITY_WON);
        won.key = opp;
        won.amount = value;
      }
    }
    if (leaves_here) {
      SimEvent& ev = Add(churn_day_ * kSecondsPerDay + 9 * 3600, v1::CONTRACT,
                         v1::CONTRACT_NOT_RENEWED);
      ev.key = contract_id;
      ev.amount = value;
      ev.value = months;
    }
  }

  // ---- Logins, feature use, API calls ----
  void Usage() {
    const SimIndustry& ind = *industry_;
    const double t0 = first_day_, t1 = last_day_ + 1;
    const double fmax = engagement_ * ind.max_month * ind.max_weekday;
    auto intensity = [&](double t) {
      return engagement_ * Month(t) * WeekdayWeight(t) * Trajectory(t);
    };
    Thinned(ind.logins_per_day * size_, fmax, t0, t1, intensity, [&](double t) {
      const double traj = Trajectory(t);
      SimEvent& ev = Add(Stamp(t, 7, 16), v1::LOGIN);
      ev.value = std::max(
          1.0, std::round(rng_.LogNormal(
                   m_.rates.session_minutes() * (0.5 + 0.5 * traj), 0.6)));
      if (rng_.Bernoulli(0.3)) ev.key = FeatureKey(t);
    });
    if (!ind.features.empty()) {
      Thinned(ind.feature_uses_per_day * size_, fmax, t0, t1, intensity,
              [&](double t) {
                SimEvent& ev = Add(Stamp(t, 7, 16), v1::FEATURE_USE);
                ev.key = FeatureKey(t);
                // Uses per record shrink with the customer's activity too.
                ev.value =
                    1 + rng_.Poisson(4.0 * size_ * engagement_ * Trajectory(t));
              });
    }
    if (has_api_) {
      // One record per week (Mondays) with the week's call count.
      int64_t week = first_day_ + (7 - Weekday(first_day_)) % 7;
      for (; week <= last_day_; week += 7) {
        const double t = static_cast<double>(week);
        double calls =
            rng_.LogNormal(m_.rates.api_calls_per_week() * size_, 0.25) *
            Trajectory(t) * Month(t);
        // A surge in the weeks before leaving: data being moved out.
        if (Sig(kApiSurge, t) > 0 && t >= episode_.peak - 35 &&
            t <= episode_.peak - 5) {
          calls *= rng_.Uniform(3, 6);
        }
        calls = std::round(calls);
        if (calls < 1) continue;
        SimEvent& ev = Add(week * kSecondsPerDay, v1::WEB_SIGNAL, v1::API_CALL);
        ev.value = calls;
      }
    }
  }

  // A feature key: the customer uses its first `breadth_` features, the
  // key feature most; a collapsing key feature loses most of its use.
  std::string FeatureKey(double t) {
    const SimIndustry& ind = *industry_;
    if (ind.features.empty()) return std::string();
    double weights[64];
    const int n = std::min(breadth_, 64);
    for (int j = 0; j < n; ++j) weights[j] = 1.0 / (j + 1);
    weights[0] *= 1.0 - 0.9 * Sig(kFeatureCollapse, t);
    return ind.features[rng_.Pick(absl::MakeSpan(weights, n))];
  }

  // ---- Orders ----
  void Orders() {
    const SimIndustry& ind = *industry_;
    if (!(ind.order_interval_days > 0) || ind.order_categories.empty()) return;
    const double frequency = rng_.LogNormal(1.0, 0.3) / std::exp(0.045);
    const double mean_gap = ind.order_interval_days / frequency;
    const double mean_amount = value_ * mean_gap / kDaysPerYear;
    const size_t favourite = rng_.Below(ind.order_categories.size());
    double t = first_day_ - rng_.Uniform() * mean_gap;
    for (;;) {
      const double level = Trajectory(t) * Month(t);
      if (level < 0.02) break;
      // Decline shows as both longer intervals and smaller orders.
      t += rng_.Gamma(3.0, mean_gap / 3.0) / std::sqrt(level);
      if (t >= last_day_ + 1) break;
      if (t < first_day_) continue;
      int64_t day = static_cast<int64_t>(t);
      if (ind.weekday[Weekday(day)] < 0.5 * ind.max_weekday) {
        day += 7 - Weekday(day);  // business buyers order on weekdays
        if (day > last_day_) break;
      }
      const double now = static_cast<double>(day);
      const double traj = Trajectory(now);
      if (traj <= 0) break;
      double amount = mean_amount * rng_.LogNormal(1.0, 0.35) /
                      std::exp(0.06125) * std::sqrt(traj) *
                      (1.0 - 0.5 * Sig(kOrderShrink, now));
      amount = std::max(1.0, std::round(amount * 100) / 100);
      SimEvent& ev = Add(Stamp(now + rng_.Uniform(), 8, 12), v1::ORDER);
      ev.amount = amount;
      ev.value =
          std::max<int64_t>(1, rng_.Poisson(std::min(amount / 150, 5e4)));
      ev.key =
          ind.order_categories[rng_.Bernoulli(0.5)
                                   ? favourite
                                   : rng_.Below(ind.order_categories.size())];
      if (rng_.Bernoulli(m_.rates.stockout_share() +
                         0.5 * Sig(kStockouts, now))) {
        ev.flags = kFlagStockout;
      }
      if (ind.invoice_orders) Payment(now + 30, amount);
    }
  }

  // ---- Interactions ----
  void Interaction(double t, v1::EventSubtype subtype, absl::string_view key) {
    if (t < first_day_ || t >= last_day_ + 1) return;
    // Owners work on weekdays.
    while (Weekday(static_cast<int64_t>(t)) >= 5) t += 1;
    SimEvent& ev = Add(Stamp(t, 8, 10), v1::INTERACTION, subtype);
    ev.key = std::string(key);
    switch (subtype) {
      case v1::VISIT:
        ev.value = std::round(rng_.LogNormal(60, 0.3));
        break;
      case v1::MEETING:
        ev.value = std::round(rng_.LogNormal(45, 0.3));
        break;
      case v1::CALL:
        ev.value = std::round(rng_.LogNormal(12, 0.5));
        break;
      default:
        break;
    }
  }

  void Interactions() {
    static constexpr double kMix[3][5] = {
        // visit, call, email, meeting, message
        {0.15, 0.30, 0.30, 0.20, 0.05},
        {0.05, 0.35, 0.40, 0.10, 0.10},
        {0.02, 0.30, 0.45, 0.03, 0.20},
    };
    static constexpr v1::EventSubtype kSubtypes[5] = {
        v1::VISIT, v1::CALL, v1::EMAIL, v1::MEETING, v1::MESSAGE};
    const double* mix = kMix[std::min(tier_index_, 2)];
    const double rate = tier_->interactions_per_day *
                        industry_->interaction_factor * relationship_;
    // Owners work on weekdays: 7/5 of the mean rate Monday to Friday.
    Thinned(
        rate, 1.4 * MaxDiligence(), first_day_, last_day_ + 1,
        [&](double t) {
          if (Weekday(static_cast<int64_t>(t)) >= 5) return 0.0;
          return 1.4 * Diligence(t) * (1 - 0.75 * Sig(kFewerInteractions, t)) *
                 (0.6 + 0.4 * Trajectory(t));
        },
        [&](double t) {
          Interaction(t, kSubtypes[rng_.Pick(absl::MakeConstSpan(mix, 5))], "");
        });
    // Care plan (domain.md §6): onboarding for new customers, quarterly
    // business reviews for the top tier.
    if (signup_ >= m_.start_day) {
      Interaction(signup_ + 7.0 + rng_.Uniform(0, 3), v1::MEETING,
                  "onboarding");
      Interaction(signup_ + 30.0 + rng_.Uniform(0, 3), v1::CALL,
                  "satisfaction-check");
    }
    if (tier_index_ == 0) {
      for (double t = first_day_ + rng_.Uniform(0, 91); t < last_day_ + 1;
           t += 91) {
        if (rng_.Bernoulli(std::min(1.0, 0.7 * Diligence(t)))) {
          Interaction(t, v1::MEETING, "qbr");
        }
      }
    }
  }

  // ---- Tickets ----
  void Tickets() {
    const RatesRef r = m_.rates;
    const double rate =
        r.tickets_per_year() / kDaysPerYear * std::sqrt(size_) * service_;
    std::vector<size_t> seen;
    const size_t problem = rng_.Below(m_.issue_keys.size());
    Thinned(
        rate, 6.5, first_day_, last_day_ + 1,
        [&](double t) {
          return (0.5 + 0.5 * Trajectory(t)) *
                 (1 + 5 * std::max(Sig(kMoreTickets, t), Sig(kRepeatIssue, t)));
        },
        [&](double t) {
          size_t key;
          if (Sig(kRepeatIssue, t) > 0 && rng_.Bernoulli(0.65)) {
            key = problem;
          } else if (!seen.empty() && rng_.Bernoulli(r.repeat_issue_share())) {
            key = seen[rng_.Below(seen.size())];
          } else {
            key = rng_.Below(m_.issue_keys.size());
          }
          seen.push_back(key);
          const double slow = Sig(kSlowResponse, t);
          const double diligence = Diligence(t);
          const double response = rng_.LogNormal(
              r.first_response_hours() * service_ / diligence * (1 + 7 * slow),
              0.9);
          SimEvent& open = Add(Stamp(t, 8, 11), v1::TICKET, v1::TICKET_OPENED);
          const UnixSeconds opened = open.time;
          open.key = m_.issue_keys[key];
          open.value = std::round(response * 100) / 100;
          if (rng_.Bernoulli(r.complaint_share() *
                             (1 + 6 * Sig(kComplaints, t)))) {
            open.flags = kFlagComplaint;
          }
          const bool complaint = open.flags != 0;
          if (!rng_.Bernoulli(0.96 - 0.25 * slow)) return;  // unresolved
          const double hours =
              response +
              rng_.LogNormal(r.resolution_hours() * service_ * (1 + 2 * slow),
                             0.8);
          const UnixSeconds resolved =
              opened + static_cast<int64_t>(hours * 3600);
          SimEvent& done = Add(resolved, v1::TICKET, v1::TICKET_RESOLVED);
          done.key = m_.issue_keys[key];
          done.value = std::round(hours * 100) / 100;
          const double day = static_cast<double>(resolved) / kSecondsPerDay;
          // A call-back within 24 hours of the resolution (§3's service
          // standard), more often by diligent owners.
          if (rng_.Bernoulli(std::min(1.0, 0.4 * diligence))) {
            Interaction(day + rng_.Uniform(0, 1), v1::CALL, "ticket-callback");
          }
          if (rng_.Bernoulli(r.csat_after_ticket() *
                             r.survey_response_rate())) {
            const double score =
                std::round(4.2 - 0.5 * cause_[kPoorService] -
                           2.0 * std::max(slow, Sig(kLowScores, day)) -
                           (complaint ? 1.0 : 0.0) + 0.8 * rng_.Normal());
            Survey(day + rng_.Uniform(0.1, 2), v1::CSAT, Clamp(score, 1, 5),
                   score <= 2);
          }
        });
  }

  // ---- Surveys ----
  void Survey(double t, v1::EventSubtype subtype, double value, bool negative) {
    if (t < first_day_ || t >= last_day_ + 1) return;
    SimEvent& ev = Add(Stamp(t, 8, 12), v1::SURVEY, subtype);
    ev.value = value;
    if (negative && rng_.Bernoulli(0.6)) ev.flags = kFlagNegativeFeedback;
  }

  void Surveys() {
    const RatesRef r = m_.rates;
    const double respond = r.survey_response_rate();
    if (r.surveys_per_year() > 0) {
      const double every = kDaysPerYear / r.surveys_per_year();
      for (double t = first_day_ + rng_.Uniform(0, every); t < last_day_ + 1;
           t += every) {
        if (!rng_.Bernoulli(respond * (0.4 + 0.6 * Trajectory(t)))) continue;
        const double mu =
            8.3 - 0.8 * cause_[kPoorService] - 0.6 * cause_[kProductMismatch] -
            0.4 * cause_[kFallingValue] - 4.0 * Sig(kLowScores, t);
        const double score = Clamp(std::round(mu + 1.4 * rng_.Normal()), 0, 10);
        Survey(t, v1::NPS, score, score <= 4);
      }
    }
    // A yearly satisfaction survey (0-100).
    for (double t = first_day_ + rng_.Uniform(0, kDaysPerYear);
         t < last_day_ + 1; t += kDaysPerYear) {
      if (!rng_.Bernoulli(respond * (0.4 + 0.6 * Trajectory(t)))) continue;
      const double mu = 78 - 7 * cause_[kPoorService] -
                        5 * cause_[kProductMismatch] - 30 * Sig(kLowScores, t);
      const double score = Clamp(std::round(mu + 9 * rng_.Normal()), 0, 100);
      Survey(t, v1::SATISFACTION, score, score < 40);
    }
    // T+30 after signing (domain.md §6).
    if (signup_ >= m_.start_day && rng_.Bernoulli(respond)) {
      const double score =
          Clamp(std::round(4.3 - 0.4 * cause_[kProductMismatch] +
                           0.7 * rng_.Normal()),
                1, 5);
      Survey(signup_ + 31.0, v1::CSAT, score, score <= 2);
    }
  }

  // ---- Marketing ----
  void Marketing() {
    const RatesRef r = m_.rates;
    const auto& days = m_.campaign_days;
    auto it = std::lower_bound(days.begin(), days.end(), first_day_);
    for (; it != days.end() && *it <= last_day_; ++it) {
      const double t = static_cast<double>(*it);
      const std::string& key = m_.campaign_keys[it - days.begin()];
      SimEvent& sent = Add(*it * kSecondsPerDay + 9 * 3600, v1::MARKETING,
                           v1::MARKETING_SENT);
      sent.key = key;
      const double p = r.marketing_open_rate() * open_affinity_ *
                       (1 - 0.8 * Sig(kMarketingIgnored, t)) *
                       (0.5 + 0.5 * Trajectory(t));
      if (!rng_.Bernoulli(std::min(1.0, p))) continue;
      const UnixSeconds opened =
          sent.time + static_cast<int64_t>(rng_.Exponential(1 / 6.0) * 3600);
      SimEvent& open = Add(opened, v1::MARKETING, v1::MARKETING_OPENED);
      open.key = key;
      if (!rng_.Bernoulli(r.marketing_click_rate())) continue;
      SimEvent& click = Add(opened + 60 * (1 + rng_.Below(30)), v1::MARKETING,
                            v1::MARKETING_CLICKED);
      click.key = key;
    }
  }

  // ---- Web signals: pricing page, documentation, suggestions ----
  void WebSignals() {
    const RatesRef r = m_.rates;
    const double t0 = first_day_, t1 = last_day_ + 1;
    // Pricing-page views: price-sensitive customers look more, and a lot
    // before leaving for price or a competitor.
    Thinned(
        r.pricing_views_per_year() / kDaysPerYear * price_, 11.0, t0, t1,
        [&](double t) { return 1 + 10 * Sig(kPricingViews, t); },
        [&](double t) {
          SimEvent& ev =
              Add(Stamp(t, 7, 16), v1::WEB_SIGNAL, v1::PRICING_PAGE_VIEW);
          ev.value = 1 + rng_.Poisson(1);
        });
    const double usage_max = engagement_ * industry_->max_month;
    Thinned(
        r.doc_searches_per_month() / kDaysPerMonth, usage_max * 2, t0, t1,
        [&](double t) {
          return engagement_ * Month(t) * Trajectory(t) *
                 (1 + Sig(kDocFailures, t));
        },
        [&](double t) {
          const bool failed = rng_.Bernoulli(r.doc_search_fail_share() +
                                             0.45 * Sig(kDocFailures, t));
          SimEvent& ev = Add(Stamp(t, 7, 16), v1::WEB_SIGNAL,
                             failed ? v1::DOC_SEARCH_FAILED : v1::DOC_SEARCH);
          ev.key = FeatureKey(t);
        });
    // Suggestions come from engaged, well-fitted customers and dry up.
    Thinned(
        r.suggestions_per_year() / kDaysPerYear * (0.5 + fit_), 1.0, t0, t1,
        [&](double t) { return Trajectory(t); },
        [&](double t) {
          SimEvent& ev = Add(Stamp(t, 8, 10), v1::WEB_SIGNAL, v1::SUGGESTION);
          ev.key = FeatureKey(t);
        });
  }

  // ---- Price pressure and competitors ----
  bool NearRenewal(double t) const {
    for (int64_t end : term_end_) {
      if (t >= end - 60 && t < end) return true;
    }
    return false;
  }

  void PriceAndCompetitor() {
    const RatesRef r = m_.rates;
    const double t0 = first_day_, t1 = last_day_ + 1;
    Thinned(
        r.price_negotiations_per_year() / kDaysPerYear * price_, 4.0, t0, t1,
        [&](double t) { return NearRenewal(t) ? 4.0 : 1.0; },
        [&](double t) {
          SimEvent& ev = Add(Stamp(t, 9, 8), v1::PRICE_NEGOTIATION,
                             v1::PRICE_NEGOTIATION_REQUEST);
          ev.value = 5 * (1 + rng_.Below(2));
        });
    // Repeated discount requests before leaving for price (domain.md §3).
    Thinned(
        3.0 / kDaysPerMonth, 1.0, t0, t1,
        [&](double t) { return Sig(kDiscountRequests, t); },
        [&](double t) {
          const bool discount = rng_.Bernoulli(0.65);
          SimEvent& ev = Add(
              Stamp(t, 9, 8), v1::PRICE_NEGOTIATION,
              discount ? v1::DISCOUNT_REQUEST : v1::PRICE_NEGOTIATION_REQUEST);
          ev.value = 10 + 5 * rng_.Below(4);
        });

    const std::string& rival =
        m_.competitors[rng_.Below(m_.competitors.size())];
    Thinned(
        r.competitor_signals_per_year() / kDaysPerYear * competitor_, 1.0, t0,
        t1, [](double) { return 1.0; },
        [&](double t) {
          SimEvent& ev = Add(Stamp(t, 8, 12), v1::COMPETITOR_SIGNAL,
                             v1::COMPETITOR_CONTENT);
          ev.key = m_.competitors[rng_.Below(m_.competitors.size())];
        });
    const Episode& e = episode_;
    if (!e.present) return;
    Thinned(
        1.0 / 10, 1.0, t0, t1,
        [&](double t) { return Sig(kCompetitorContent, t); },
        [&](double t) {
          SimEvent& ev = Add(Stamp(t, 8, 12), v1::COMPETITOR_SIGNAL,
                             v1::COMPETITOR_CONTENT);
          ev.key = rival;
        });
    const double span = std::max(1.0, e.peak - e.onset);
    auto once = [&](Signal s, double t, v1::EventSubtype subtype) {
      if (!e.expressed[s] || t < t0 || t >= t1)
        return static_cast<SimEvent*>(nullptr);
      SimEvent& ev = Add(Stamp(t, 8, 10), v1::COMPETITOR_SIGNAL, subtype);
      ev.key = rival;
      return &ev;
    };
    once(kCompetitorTrial, e.onset + rng_.Uniform(0.2, 0.6) * span,
         v1::COMPETITOR_TRIAL);
    const int exports = 1 + static_cast<int>(rng_.Below(2));
    for (int i = 0; i < exports; ++i) {
      once(kDataExport, e.peak - rng_.Uniform(1, 21), v1::DATA_EXPORT);
    }
    if (industry_->contractual) {
      if (SimEvent* ev = once(kSeatRemoval, e.peak - rng_.Uniform(7, 30),
                              v1::SEAT_REMOVAL)) {
        ev->value =
            std::max<int64_t>(1, std::llround(seats_ * rng_.Uniform(0.3, 0.8)));
      }
    }
  }

  // ---- Opportunities (upsell) ----
  void Opportunities() {
    const RatesRef r = m_.rates;
    const double tier_factor = tier_index_ == 0   ? 2.0
                               : tier_index_ == 1 ? 1.0
                                                  : 0.5;
    int n = 0;
    Thinned(
        r.opportunities_per_year() / kDaysPerYear * tier_factor, 1.0,
        first_day_, last_day_ + 1,
        [&](double t) { return std::sqrt(Trajectory(t)); },
        [&](double t) {
          const std::string key = absl::StrCat(id_, "-o", ++n);
          const double amount =
              std::round(value_ * rng_.Uniform(0.1, 0.4) * 100) / 100;
          SimEvent& open =
              Add(Stamp(t, 9, 8), v1::OPPORTUNITY, v1::OPPORTUNITY_OPENED);
          open.key = key;
          open.amount = amount;
          const double close = t + rng_.Gamma(2.0, 20.0);
          const double stall = 0.15 + 0.7 * Sig(kOpportunityStalled, close);
          const double won = (1 - stall) * (0.3 + 0.4 * fit_);
          const double u = rng_.Uniform();
          const v1::EventSubtype outcome = u < stall ? v1::OPPORTUNITY_STALLED
                                           : u < stall + won
                                               ? v1::OPPORTUNITY_WON
                                               : v1::OPPORTUNITY_LOST;
          if (close >= last_day_ + 1) return;
          SimEvent& ev = Add(Stamp(close, 9, 8), v1::OPPORTUNITY, outcome);
          ev.key = key;
          ev.amount = amount;
        });
  }

  // ---- Training requests ----
  void TrainingRequests() {
    const RatesRef r = m_.rates;
    const double base = r.training_requests_per_year() / kDaysPerYear *
                        (1 + 0.5 * std::max(0.0, cause_[kProductMismatch]));
    Thinned(
        base, 8.0, first_day_, last_day_ + 1,
        [&](double t) {
          return t < signup_ + 90.0 ? 8.0 : 1 + Sig(kUnansweredTraining, t);
        },
        [&](double t) {
          SimEvent& ev = Add(Stamp(t, 8, 10), v1::TRAINING_REQUEST);
          const double unanswered = Sig(kUnansweredTraining, t);
          double hours =
              rng_.LogNormal(r.training_answer_hours() / Diligence(t), 0.7);
          if (unanswered > 0) {
            if (rng_.Bernoulli(0.5 * unanswered)) {
              return;  // value 0: never answered
            }
            hours *= 4 + 8 * unanswered;  // well over 48 hours
          }
          ev.value = std::max(0.1, std::round(hours * 10) / 10);
        });
  }

  // ---- The churn itself ----
  void Churn() {
    if (churned_ && type_ == kActive) {
      SimEvent& ev =
          Add(churn_day_ * kSecondsPerDay + 10 * 3600, v1::CANCELLATION);
      ev.key = kReasonNames[reason_];
      cancel_time_ = ev.time;
    }
  }

  // Sorts the events, drops those outside the customer's observed life and
  // fills the ground truth.
  void Finish() {
    UnixSeconds lo = first_day_ * kSecondsPerDay;
    UnixSeconds hi = (last_day_ + 1) * kSecondsPerDay - 1;
    if (churned_ && type_ == kActive) hi = cancel_time_;
    if (churned_ && type_ != kHidden) {
      // Contacts cannot be seen leaving after the customer is gone.
      for (v1::Contact& c : out_->contacts) {
        if (c.has_left_time() && c.left_time().seconds() > hi) {
          c.clear_left_time();
        }
      }
    }
    std::vector<SimEvent>& events = out_->events;
    events.erase(std::remove_if(events.begin(), events.end(),
                                [&](const SimEvent& e) {
                                  return e.time < lo || e.time > hi;
                                }),
                 events.end());
    std::sort(events.begin(), events.end(),
              [](const SimEvent& a, const SimEvent& b) {
                return a.time != b.time ? a.time < b.time : a.seq < b.seq;
              });

    v1::GroundTruth& t = out_->truth;
    t.set_customer_id(id_);
    t.set_churned(churned_);
    if (churned_) {
      t.set_churn_type(kChurnTypeNames[type_]);
      t.mutable_churn_date()->set_seconds(churn_day_ * kSecondsPerDay);
      t.set_reason(kReasonNames[reason_]);
      t.mutable_signal_onset()->set_seconds(
          static_cast<int64_t>(std::floor(episode_.onset)) * kSecondsPerDay);
    }
    t.set_latent_hazard(hazard_);
    t.set_inactivity_window_days(industry_->window_days);
    t.set_false_alarm(false_alarm_);
    if (false_alarm_) {
      t.mutable_false_alarm_start()->set_seconds(
          static_cast<int64_t>(std::floor(episode_.onset)) * kSecondsPerDay);
    }
    t.set_cause_product_mismatch(cause_[kProductMismatch]);
    t.set_cause_poor_service(cause_[kPoorService]);
    t.set_cause_price(cause_[kPrice]);
    t.set_cause_competitor(cause_[kCompetitor]);
    t.set_cause_relationship_drift(cause_[kRelationshipDrift]);
    t.set_cause_falling_value(cause_[kFallingValue]);
    t.set_cause_strategic_change(cause_[kStrategicChange]);
  }

  // ---- Helpers ----
  using RatesRef = const v1::GeneratorConfig::EventRates&;

  SimEvent& Add(UnixSeconds time, v1::EventKind kind, int subtype = 0) {
    SimEvent& e = out_->events.emplace_back();
    e.time = time;
    e.seq = seq_++;
    e.kind = static_cast<uint8_t>(kind);
    e.subtype = static_cast<uint16_t>(subtype);
    return e;
  }

  // Day `t` (fractional) as a time between hour `from` and `from + hours`,
  // to the minute.
  static UnixSeconds Stamp(double t, int from, int hours) {
    const double day = std::floor(t);
    const int64_t minutes =
        static_cast<int64_t>(from * 60 + (t - day) * hours * 60);
    return static_cast<int64_t>(day) * kSecondsPerDay + minutes * 60;
  }

  // Emits the points of a Poisson process with intensity
  // `rate * intensity(t)` on [t0, t1), by thinning a process of rate
  // `rate * max`; intensity(t) must stay <= max.
  template <typename Intensity, typename Emit>
  void Thinned(double rate, double max, double t0, double t1,
               Intensity intensity, Emit emit) {
    if (!(rate > 0) || !(max > 0) || t1 <= t0) return;
    const double bound = rate * max;
    for (double t = t0 + rng_.Exponential(bound); t < t1;
         t += rng_.Exponential(bound)) {
      if (rng_.Uniform() * max < intensity(t)) emit(t);
    }
  }

  const SimModel& m_;
  const uint32_t index_;
  Rng rng_;
  CustomerOutput* out_;
  uint32_t seq_ = 0;

  std::string id_;
  const SimIndustry* industry_ = nullptr;
  const SimTier* tier_ = nullptr;
  int tier_index_ = 0;
  int size_index_ = 0;
  bool chinese_ = false;
  double value_ = 0;
  double size_ = 1;
  int64_t signup_ = 0, first_day_ = 0, last_day_ = 0;
  double cause_[kNumReasons] = {};
  double reason_weight_[kNumReasons] = {};
  double fit_ = 0.5, engagement_ = 1, service_ = 1, relationship_ = 1;
  double price_ = 1, competitor_ = 1, open_affinity_ = 1;
  int breadth_ = 1;
  bool has_api_ = false;
  int64_t seats_ = 0;

  int term_months_ = 12;
  std::vector<int64_t> term_start_, term_end_;

  double hazard_ = 0;
  double decision_ = 0;
  int type_ = kPassive;
  int reason_ = 0;
  bool terminate_ = false;
  double hidden_level_ = 1;
  bool pending_ = false;  // a churn is on its way (maybe after the period)
  bool churned_ = false;  // ... and happens inside the period
  int64_t churn_day_ = 0;
  int churn_term_ = -1;
  UnixSeconds cancel_time_ = 0;

  Episode episode_;
  bool false_alarm_ = false;
  std::vector<std::pair<double, uint32_t>> owner_changes_;
};

// ---- Model -----------------------------------------------------------------

// Weights normalised to mean 1.
template <size_t N>
std::array<double, N> MeanOne(const std::array<double, N>& w) {
  double sum = 0;
  for (double x : w) sum += x;
  std::array<double, N> out = w;
  for (double& x : out) x = sum > 0 ? x * N / sum : 1.0;
  return out;
}

std::vector<std::string> Strings(
    const google::protobuf::RepeatedPtrField<std::string>& list) {
  return std::vector<std::string>(list.begin(), list.end());
}

void BuildOwners(const v1::GeneratorConfig& c, SimModel* m) {
  const auto& o = c.owners();
  Rng rng(m->seed, kOwnerStream);
  const int64_t reps =
      std::max<int64_t>(1, (m->customers + o.customers_per_owner() - 1) /
                               o.customers_per_owner());
  const int64_t managers =
      (reps + o.owners_per_manager() - 1) / o.owners_per_manager();
  const int width = static_cast<int>(absl::StrCat(reps + managers + 1).size());
  auto add = [&](const std::string& manager, const char* role) {
    v1::Owner& owner = m->owners.emplace_back();
    owner.set_id(
        absl::StrFormat("o-%0*d", std::max(width, 3), m->owners.size()));
    owner.set_name(PersonName(rng, rng.Bernoulli(m->chinese_name_share)));
    owner.set_manager_id(manager);
    owner.set_role(role);
    const double sd = o.diligence_sd();
    m->diligence.push_back(std::exp(sd * rng.Normal() - 0.5 * sd * sd));
    return owner.id();
  };
  const std::string executive = add("", "executive");
  std::vector<std::string> manager_ids;
  for (int64_t i = 0; i < managers; ++i) {
    manager_ids.push_back(add(executive, "sales_manager"));
  }
  for (int64_t i = 0; i < reps; ++i) {
    m->account_owners.push_back(static_cast<uint32_t>(m->owners.size()));
    add(manager_ids[i / o.owners_per_manager()],
        rng.Bernoulli(0.5) ? "sales" : "csm");
  }
}

// The hazard scale that makes the population's one-year churn share of
// established customers equal to `annual_rate`, by bisection over a fixed
// sample of customers' hazard multipliers.
double CalibrateHazard(const v1::GeneratorConfig& c, const SimModel& m) {
  const double target = c.churn().annual_rate();
  if (target <= 0) return 0;
  Rng rng(kCalibrationSeed, kCalibrationStream);
  constexpr int kSamples = 20000;
  std::vector<double> multiplier(kSamples);
  const double s = m.cause_spread;
  std::vector<double> tier_shares;
  double previous = 0;
  for (const SimTier& t : m.tiers) {
    tier_shares.push_back(t.cumulative_share - previous);
    previous = t.cumulative_share;
  }
  for (double& x : multiplier) {
    double mix = 0;
    for (int r = 0; r < kNumReasons; ++r) {
      mix += m.reasons[r].share * std::exp(s * rng.Normal() - 0.5 * s * s);
    }
    x = m.industries[rng.Pick(m.industry_shares)].hazard_multiplier *
        m.tiers[rng.Pick(tier_shares)].hazard_multiplier * mix;
  }
  auto share = [&](double scale) {
    double sum = 0;
    for (double x : multiplier) sum += 1 - std::exp(-scale * x);
    return sum / kSamples;
  };
  double lo = 0, hi = 1;
  while (share(hi) < target && hi < 1e6) hi *= 2;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (share(mid) < target ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

SimModel BuildSimModel(const v1::GeneratorConfig& c) {
  SimModel m;
  m.seed = c.seed();
  m.customers = c.customers();
  m.id_width = std::max<int>(6, absl::StrCat(m.customers).size());
  int64_t start = 0, end = 0;
  ParseUnixTime(c.start_date(), &start);
  ParseUnixTime(c.end_date(), &end);
  m.start_day = start / kSecondsPerDay;
  m.end_day = end / kSecondsPerDay;
  for (int64_t d = m.start_day; d <= m.end_day; ++d) {
    int64_t y;
    int month, day;
    CivilFromDays(d, &y, &month, &day);
    m.month_of.push_back(static_cast<uint8_t>(month - 1));
  }

  const auto& p = c.population();
  m.existing_share = p.existing_share();
  m.history_years = p.history_years();
  for (const auto& r : p.regions()) {
    m.regions.push_back(r.name());
    m.region_shares.push_back(r.share());
  }
  for (const auto& r : p.lead_sources()) {
    m.lead_sources.push_back(r.name());
    m.lead_source_shares.push_back(r.share());
  }
  m.chinese_name_share = p.chinese_name_share();

  for (const auto& in : c.industries()) {
    SimIndustry& ind = m.industries.emplace_back();
    ind.name = in.name();
    ind.contractual = in.contractual();
    ind.contract_months = in.contract_months();
    ind.logins_per_day = in.logins_per_week() / 7;
    ind.feature_uses_per_day = in.feature_uses_per_week() / 7;
    std::array<double, 7> week;
    for (int d = 0; d < 7; ++d) week[d] = d >= 5 ? in.weekend_factor() : 1.0;
    ind.weekday = MeanOne(week);
    ind.max_weekday = *std::max_element(ind.weekday.begin(), ind.weekday.end());
    ind.order_interval_days = in.order_interval_days();
    ind.api_share = in.api_share();
    ind.window_days = in.inactivity_window_days();
    ind.hazard_multiplier = in.hazard_multiplier();
    ind.value_scale = in.value_scale();
    ind.interaction_factor = in.interaction_factor();
    ind.invoice_orders = in.invoice_orders();
    std::array<double, 12> months;
    for (int i = 0; i < 12; ++i) {
      months[i] = in.month_factors().empty() ? 1.0 : in.month_factors(i);
    }
    ind.month = MeanOne(months);
    ind.max_month = *std::max_element(ind.month.begin(), ind.month.end());
    ind.features = Strings(in.features());
    ind.products = Strings(in.products());
    ind.order_categories = Strings(in.order_categories());
    m.industry_shares.push_back(in.share());
  }
  double cumulative = 0;
  for (const auto& t : c.tiers()) {
    SimTier& tier = m.tiers.emplace_back();
    tier.name = t.name();
    cumulative += t.share();
    tier.cumulative_share = cumulative;
    tier.interactions_per_day = t.interactions_per_month() / kDaysPerMonth;
    tier.billing_months = t.billing_months();
    tier.hazard_multiplier = t.hazard_multiplier();
  }

  const auto& v = c.value();
  m.pareto_alpha = v.pareto_alpha();
  m.min_value = v.min_annual_value();
  m.max_value = v.max_annual_value();
  m.median_value =
      std::min(m.max_value, m.min_value * std::pow(2.0, 1.0 / m.pareto_alpha));
  // Mean of the usage size factor over the value distribution (midpoint
  // rule over its quantiles).
  constexpr int kGrid = 4096;
  double sum = 0;
  for (int i = 0; i < kGrid; ++i) {
    const double q = (i + 0.5) / kGrid;
    const double raw =
        std::min(m.max_value, m.min_value * std::pow(q, -1.0 / m.pareto_alpha));
    sum += Clamp(std::pow(raw / m.median_value, 0.35), 0.5, 4.0);
  }
  m.size_norm = sum / kGrid;

  BuildOwners(c, &m);
  m.owner_changes_per_day = c.owners().changes_per_year() / kDaysPerYear;
  m.rates = c.rates();

  const auto& ch = c.churn();
  m.type_shares = {ch.type_mix().active(), ch.type_mix().passive(),
                   ch.type_mix().hidden()};
  for (const auto& r : ch.reasons()) {
    for (int i = 0; i < kNumReasons; ++i) {
      if (r.name() == kReasonNames[i]) {
        m.reasons[i] = {r.share(), r.lead_days(), r.recoverable()};
      }
    }
  }
  m.cause_spread = ch.cause_spread();
  m.critical_days = ch.critical_period_days();
  m.critical_multiplier = ch.critical_period_multiplier();
  m.first_term_multiplier = ch.first_term_multiplier();
  m.termination_share = ch.termination_share();
  m.hidden_drop_min = ch.hidden_drop_min();
  m.hidden_drop_max = ch.hidden_drop_max();

  const auto& sg = c.signals();
  m.decline_share = sg.decline_share();
  m.expression_share = sg.expression_share();
  m.false_alarm_share = sg.false_alarm_share();
  m.false_alarm_days = sg.false_alarm_days();

  const auto& iv = c.interventions();
  m.targeting_share = iv.targeting_share();
  m.proactive_per_day = iv.proactive_per_year() / kDaysPerYear;
  m.detection_days = iv.detection_days();
  for (const auto& s : iv.strategies()) {
    SimStrategy& st = m.strategies.emplace_back();
    st.id = s.id();
    st.cost = s.cost();
    for (const auto& a : s.arms()) {
      st.arms.push_back({a.name(), a.effect()});
      st.arm_shares.push_back(a.share());
    }
    m.strategy_shares.push_back(s.share());
  }
  m.competitors = Strings(c.vocabulary().competitors());
  m.issue_keys = Strings(c.vocabulary().issue_keys());

  // Campaigns spread evenly over the period, the same for every customer.
  const double per_month = m.rates.marketing_per_month();
  if (per_month > 0) {
    const double every = kDaysPerMonth / per_month;
    for (double t = m.start_day + 0.5 * every; t <= m.end_day + 0.0;
         t += every) {
      const int64_t day = static_cast<int64_t>(t);
      m.campaign_days.push_back(day);
      m.campaign_keys.push_back(
          absl::StrCat("cmp-", FormatUnixTime(day * kSecondsPerDay)));
    }
  }

  m.base_hazard = CalibrateHazard(c, m);
  return m;
}

void SimulateCustomer(const SimModel& model, uint32_t index,
                      CustomerOutput* out) {
  CustomerSim(model, index, out).Run();
}

}  // namespace churnkit::internal
