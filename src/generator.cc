#include "churnkit/generator.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "churnkit/io.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "internal/embedded_configs.h"
#include "internal/generator_sim.h"
#include "internal/parallel.h"
#include "internal/time.h"

namespace churnkit {
namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;
using internal::CustomerOutput;
using internal::SimModel;

// Customers simulated per block: the unit of work of a thread and of
// ordered output.
constexpr int64_t kBlockSize = 256;
// Largest accepted number of customers (customer indices are 32-bit).
constexpr int64_t kMaxCustomers = 1'000'000'000;

// ---- Defaults ------------------------------------------------------------

const v1::GeneratorConfig& Defaults() {
  static const v1::GeneratorConfig* defaults = [] {
    auto* config = new v1::GeneratorConfig();
    // A parse failure leaves the defaults empty; ValidateGeneratorConfig
    // then names what is missing, and generator_test checks they parse.
    if (!ParseTextProto(internal::kDefaultGeneratorTextproto, config).ok()) {
      config->Clear();
    }
    return config;
  }();
  return *defaults;
}

void CopyField(const pb::Message& from, const pb::FieldDescriptor* f,
               pb::Message* to) {
  const pb::Reflection* in = from.GetReflection();
  const pb::Reflection* out = to->GetReflection();
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
      out->SetInt32(to, f, in->GetInt32(from, f));
      break;
    case pb::FieldDescriptor::CPPTYPE_INT64:
      out->SetInt64(to, f, in->GetInt64(from, f));
      break;
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      out->SetUInt32(to, f, in->GetUInt32(from, f));
      break;
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      out->SetUInt64(to, f, in->GetUInt64(from, f));
      break;
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      out->SetDouble(to, f, in->GetDouble(from, f));
      break;
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      out->SetFloat(to, f, in->GetFloat(from, f));
      break;
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      out->SetBool(to, f, in->GetBool(from, f));
      break;
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      out->SetEnumValue(to, f, in->GetEnumValue(from, f));
      break;
    case pb::FieldDescriptor::CPPTYPE_STRING:
      out->SetString(to, f, in->GetString(from, f));
      break;
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      out->MutableMessage(to, f)->CopyFrom(in->GetMessage(from, f));
      break;
  }
}

// The key of a list entry: its `name`, or `id`.
const pb::FieldDescriptor* KeyField(const pb::Descriptor* d) {
  const pb::FieldDescriptor* key = d->FindFieldByName("name");
  return key != nullptr ? key : d->FindFieldByName("id");
}

// Overlays the fields set in `user` on `base` (the rules of
// generator.proto's header).
void Overlay(const pb::Message& user, pb::Message* base) {
  const pb::Reflection* in = user.GetReflection();
  const pb::Reflection* out = base->GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  in->ListFields(user, &fields);
  for (const pb::FieldDescriptor* f : fields) {
    if (!f->is_repeated()) {
      if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE &&
          !absl::EndsWith(f->message_type()->name(), "Mix")) {
        Overlay(in->GetMessage(user, f), out->MutableMessage(base, f));
      } else {
        CopyField(user, f, base);
      }
      continue;
    }
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      out->ClearField(base, f);
      for (int i = 0; i < in->FieldSize(user, f); ++i) {
        switch (f->cpp_type()) {
          case pb::FieldDescriptor::CPPTYPE_STRING:
            out->AddString(base, f, in->GetRepeatedString(user, f, i));
            break;
          case pb::FieldDescriptor::CPPTYPE_DOUBLE:
            out->AddDouble(base, f, in->GetRepeatedDouble(user, f, i));
            break;
          default:
            break;  // the generator config has no other repeated scalars
        }
      }
      continue;
    }
    // Entries merged over the default entry of the same key.
    const pb::FieldDescriptor* key = KeyField(f->message_type());
    std::vector<std::unique_ptr<pb::Message>> merged;
    for (int i = 0; i < in->FieldSize(user, f); ++i) {
      const pb::Message& entry = in->GetRepeatedMessage(user, f, i);
      std::unique_ptr<pb::Message> m(entry.New());
      if (key != nullptr) {
        const std::string name = entry.GetReflection()->GetString(entry, key);
        for (int j = 0; j < out->FieldSize(*base, f); ++j) {
          const pb::Message& d = out->GetRepeatedMessage(*base, f, j);
          if (d.GetReflection()->GetString(d, key) == name) {
            m->CopyFrom(d);
            break;
          }
        }
      }
      Overlay(entry, m.get());
      merged.push_back(std::move(m));
    }
    out->ClearField(base, f);
    for (auto& m : merged) out->AddMessage(base, f)->CopyFrom(*m);
  }
}

// ---- Validation
// --------------------------------------------------------------

// Collects the first problem, naming the field path.
class Checker {
 public:
  bool ok() const { return status_.ok(); }
  absl::Status status() const { return status_; }

  void Fail(const std::string& path, const std::string& problem) {
    if (status_.ok()) {
      status_ = absl::InvalidArgumentError(absl::StrCat(path, ": ", problem));
    }
  }
  bool Finite(const std::string& path, double v) {
    if (std::isfinite(v)) return true;
    Fail(path, absl::StrCat("must be a finite number, got ", v));
    return false;
  }
  void Probability(const std::string& path, double v) {
    if (Finite(path, v) && (v < 0 || v > 1)) {
      Fail(path, absl::StrCat("must be in [0, 1], got ", v));
    }
  }
  void NonNegative(const std::string& path, double v) {
    if (Finite(path, v) && v < 0) {
      Fail(path, absl::StrCat("must be >= 0, got ", v));
    }
  }
  void Positive(const std::string& path, double v) {
    if (Finite(path, v) && !(v > 0)) {
      Fail(path, absl::StrCat("must be > 0, got ", v));
    }
  }
  void Range(const std::string& path, double v, double lo, double hi) {
    if (Finite(path, v) && (v < lo || v > hi)) {
      Fail(path, absl::StrCat("must be in [", lo, ", ", hi, "], got ", v));
    }
  }
  // Shares of a mix: each in [0, 1], summing to 1.
  void Mix(const std::string& path, const std::vector<double>& shares) {
    double sum = 0;
    for (double s : shares) sum += s;
    if (std::fabs(sum - 1) > 1e-6) {
      Fail(path, absl::StrCat("shares sum to ", sum, ", must be 1"));
    }
  }
  // A named list: not empty, each name non-empty and unique, shares valid
  // and summing to 1.
  template <typename Entry>
  void NamedMix(const std::string& path,
                const pb::RepeatedPtrField<Entry>& list,
                const std::string& (Entry::*name)() const) {
    if (list.empty()) {
      Fail(path, "must not be empty");
      return;
    }
    std::set<std::string> seen;
    std::vector<double> shares;
    for (int i = 0; i < list.size(); ++i) {
      const std::string at = absl::StrCat(path, "[", i, "]");
      const std::string& n = (list[i].*name)();
      if (n.empty()) Fail(absl::StrCat(at, ".", KeyName(list[i])), "is empty");
      if (!seen.insert(n).second) {
        Fail(absl::StrCat(at, ".", KeyName(list[i])),
             absl::StrCat("duplicate '", n, "'"));
      }
      Probability(absl::StrCat(at, ".share"), list[i].share());
      shares.push_back(list[i].share());
    }
    if (ok()) Mix(path, shares);
  }

 private:
  static std::string KeyName(const pb::Message& m) {
    return KeyField(m.GetDescriptor())->name();
  }
  absl::Status status_;
};

absl::Status Validate(const v1::GeneratorConfig& c) {
  Checker k;
  if (c.customers() < 0 || c.customers() > kMaxCustomers) {
    k.Fail("customers", absl::StrCat("must be in [0, ", kMaxCustomers,
                                     "], got ", c.customers()));
  }
  int64_t start = 0, end = 0;
  const auto& p = c.population();
  // Checked before the dates, whose range depends on it.
  k.Range("population.history_years", p.history_years(), 1, 50);
  if (!internal::ParseUnixTime(c.start_date(), &start)) {
    k.Fail("start_date",
           absl::StrCat("'", c.start_date(), "' is not a date (YYYY-MM-DD)"));
  } else if (!internal::ParseUnixTime(c.end_date(), &end)) {
    k.Fail("end_date",
           absl::StrCat("'", c.end_date(), "' is not a date (YYYY-MM-DD)"));
  } else if (end <= start) {
    k.Fail("end_date", absl::StrCat(c.end_date(), " is not after start_date ",
                                    c.start_date()));
  } else if (start <
             internal::DaysFromCivil(1970 + p.history_years(), 1, 2) * 86400) {
    k.Fail("start_date", absl::StrCat("must leave population.history_years (",
                                      p.history_years(), ") after 1970-01-01"));
  } else if (end > internal::DaysFromCivil(2089, 12, 31) * 86400) {
    k.Fail("end_date", "must be at most 2089-12-31");
  }

  k.Probability("population.existing_share", p.existing_share());
  k.NamedMix("population.regions", p.regions(),
             &v1::GeneratorConfig::Share::name);
  k.NamedMix("population.lead_sources", p.lead_sources(),
             &v1::GeneratorConfig::Share::name);
  k.Probability("population.chinese_name_share", p.chinese_name_share());

  k.NamedMix("industries", c.industries(),
             &v1::GeneratorConfig::Industry::name);
  for (int i = 0; i < c.industries_size() && k.ok(); ++i) {
    const auto& in = c.industries(i);
    const std::string at = absl::StrCat("industries[", i, "].");
    if (in.contractual()) {
      k.Range(at + "contract_months", in.contract_months(), 1, 120);
    }
    k.NonNegative(at + "logins_per_week", in.logins_per_week());
    k.NonNegative(at + "feature_uses_per_week", in.feature_uses_per_week());
    k.NonNegative(at + "weekend_factor", in.weekend_factor());
    k.NonNegative(at + "order_interval_days", in.order_interval_days());
    k.Probability(at + "api_share", in.api_share());
    k.Range(at + "inactivity_window_days", in.inactivity_window_days(), 1,
            3650);
    k.Positive(at + "hazard_multiplier", in.hazard_multiplier());
    k.Positive(at + "value_scale", in.value_scale());
    k.NonNegative(at + "interaction_factor", in.interaction_factor());
    if (!in.month_factors().empty() && in.month_factors_size() != 12) {
      k.Fail(at + "month_factors",
             absl::StrCat("must hold 12 factors (January first), got ",
                          in.month_factors_size()));
    }
    for (int m = 0; m < in.month_factors_size(); ++m) {
      k.Positive(absl::StrCat(at, "month_factors[", m, "]"),
                 in.month_factors(m));
    }
    if (in.feature_uses_per_week() > 0 && in.features().empty()) {
      k.Fail(at + "features",
             "must not be empty when feature_uses_per_week > 0");
    }
    if (in.order_interval_days() > 0 && in.order_categories().empty()) {
      k.Fail(at + "order_categories",
             "must not be empty when order_interval_days > 0");
    }
  }

  k.NamedMix("tiers", c.tiers(), &v1::GeneratorConfig::Tier::name);
  for (int i = 0; i < c.tiers_size() && k.ok(); ++i) {
    const auto& t = c.tiers(i);
    const std::string at = absl::StrCat("tiers[", i, "].");
    k.NonNegative(at + "interactions_per_month", t.interactions_per_month());
    k.Range(at + "billing_months", t.billing_months(), 1, 120);
    k.Positive(at + "hazard_multiplier", t.hazard_multiplier());
  }

  const auto& v = c.value();
  k.Positive("value.pareto_alpha", v.pareto_alpha());
  k.Positive("value.min_annual_value", v.min_annual_value());
  if (k.ok() && !(v.max_annual_value() >= v.min_annual_value())) {
    k.Fail("value.max_annual_value",
           absl::StrCat("must be >= value.min_annual_value (",
                        v.min_annual_value(), "), got ", v.max_annual_value()));
  }
  k.Finite("value.max_annual_value", v.max_annual_value());

  const auto& o = c.owners();
  k.Range("owners.customers_per_owner", o.customers_per_owner(), 1, 1e9);
  k.Range("owners.owners_per_manager", o.owners_per_manager(), 1, 1e9);
  k.Range("owners.diligence_sd", o.diligence_sd(), 0, 3);
  k.NonNegative("owners.changes_per_year", o.changes_per_year());

  // Every rate is >= 0; shares are probabilities; times are > 0.
  const auto& r = c.rates();
  const pb::Descriptor* rd = r.GetDescriptor();
  for (int i = 0; i < rd->field_count(); ++i) {
    const pb::FieldDescriptor* f = rd->field(i);
    const double x = r.GetReflection()->GetDouble(r, f);
    const std::string path = absl::StrCat("rates.", f->name());
    if (absl::StrContains(f->name(), "share") ||
        absl::StrContains(f->name(), "_rate") ||
        f->name() == "csat_after_ticket") {
      k.Probability(path, x);
    } else if (absl::EndsWith(f->name(), "_hours") ||
               f->name() == "session_minutes") {
      k.Positive(path, x);
    } else if (f->name() == "payment_days_late") {
      k.Range(path, x, -60, 365);
    } else {
      k.NonNegative(path, x);
    }
  }

  const auto& ch = c.churn();
  k.Range("churn.annual_rate", ch.annual_rate(), 0, 0.999);
  k.Probability("churn.type_mix.active", ch.type_mix().active());
  k.Probability("churn.type_mix.passive", ch.type_mix().passive());
  k.Probability("churn.type_mix.hidden", ch.type_mix().hidden());
  if (k.ok()) {
    k.Mix("churn.type_mix", {ch.type_mix().active(), ch.type_mix().passive(),
                             ch.type_mix().hidden()});
  }
  k.NamedMix("churn.reasons", ch.reasons(),
             &v1::GeneratorConfig::ChurnModel::Reason::name);
  for (int i = 0; i < ch.reasons_size() && k.ok(); ++i) {
    const auto& reason = ch.reasons(i);
    const std::string at = absl::StrCat("churn.reasons[", i, "].");
    const auto* known =
        std::find(std::begin(internal::kReasonNames),
                  std::end(internal::kReasonNames), reason.name());
    if (known == std::end(internal::kReasonNames)) {
      k.Fail(at + "name",
             absl::StrCat("unknown reason '", reason.name(), "' (one of ",
                          absl::StrJoin(internal::kReasonNames, ", "), ")"));
    }
    k.Range(at + "lead_days", reason.lead_days(), 1, 3650);
  }
  k.Range("churn.cause_spread", ch.cause_spread(), 0, 3);
  k.Range("churn.critical_period_days", ch.critical_period_days(), 0, 3650);
  k.NonNegative("churn.critical_period_multiplier",
                ch.critical_period_multiplier());
  k.NonNegative("churn.first_term_multiplier", ch.first_term_multiplier());
  k.Probability("churn.termination_share", ch.termination_share());
  k.Probability("churn.hidden_drop_min", ch.hidden_drop_min());
  k.Probability("churn.hidden_drop_max", ch.hidden_drop_max());
  if (k.ok() && ch.hidden_drop_max() < ch.hidden_drop_min()) {
    k.Fail("churn.hidden_drop_max",
           absl::StrCat("must be >= churn.hidden_drop_min (",
                        ch.hidden_drop_min(), "), got ", ch.hidden_drop_max()));
  }

  const auto& s = c.signals();
  k.Probability("signals.decline_share", s.decline_share());
  k.Probability("signals.expression_share", s.expression_share());
  k.Probability("signals.false_alarm_share", s.false_alarm_share());
  k.Range("signals.false_alarm_days", s.false_alarm_days(), 1, 3650);

  const auto& iv = c.interventions();
  k.Probability("interventions.targeting_share", iv.targeting_share());
  k.NonNegative("interventions.proactive_per_year", iv.proactive_per_year());
  k.Range("interventions.detection_days", iv.detection_days(), 1, 3650);
  k.NamedMix("interventions.strategies", iv.strategies(),
             &v1::GeneratorConfig::InterventionModel::Strategy::id);
  for (int i = 0; i < iv.strategies_size() && k.ok(); ++i) {
    const auto& st = iv.strategies(i);
    const std::string at = absl::StrCat("interventions.strategies[", i, "].");
    k.NonNegative(at + "cost", st.cost());
    k.NamedMix(at + "arms", st.arms(),
               &v1::GeneratorConfig::InterventionModel::Arm::name);
    for (int a = 0; a < st.arms_size(); ++a) {
      k.Probability(absl::StrCat(at, "arms[", a, "].effect"),
                    st.arms(a).effect());
    }
  }

  if (c.vocabulary().competitors().empty()) {
    k.Fail("vocabulary.competitors", "must not be empty");
  }
  if (c.vocabulary().issue_keys().empty()) {
    k.Fail("vocabulary.issue_keys", "must not be empty");
  }
  return k.status();
}

// ---- Running the simulation
// ----------------------------------------------------

// Simulates every customer in blocks and hands each customer's output to
// `consume` on the calling thread, in customer order. With one thread the
// calling thread does both; with n > 1, n - 1 workers simulate blocks ahead
// while the calling thread consumes (writes) them. Stops at the first error
// of `consume`.
absl::Status Simulate(
    const SimModel& model, const GenerateOptions& options,
    const std::function<absl::Status(CustomerOutput&)>& consume) {
  const int64_t n = model.customers;
  const int64_t blocks = (n + kBlockSize - 1) / kBlockSize;
  const int threads = static_cast<int>(
      std::clamp<int64_t>(internal::ResolveThreads(options.threads), 1,
                          std::max<int64_t>(1, blocks) + 1));
  auto report = [&](int64_t block) {
    if (options.progress) {
      options.progress(std::min(n, (block + 1) * kBlockSize), n);
    }
  };

  if (threads == 1) {
    CustomerOutput out;
    for (int64_t b = 0; b < blocks; ++b) {
      for (int64_t i = b * kBlockSize; i < std::min(n, (b + 1) * kBlockSize);
           ++i) {
        internal::SimulateCustomer(model, static_cast<uint32_t>(i), &out);
        if (absl::Status s = consume(out); !s.ok()) return s;
      }
      report(b);
    }
    return absl::OkStatus();
  }

  // A ring of 2 * workers block slots: workers fill blocks ahead of the
  // writer, at most the ring's size ahead.
  struct Slot {
    std::vector<CustomerOutput> customers;
    int64_t block = -1;
    bool ready = false;
  };
  const int workers_count = threads - 1;
  const int64_t ring = 2 * workers_count;
  std::vector<Slot> slots(ring);
  std::mutex mu;
  std::condition_variable cv;
  int64_t next = 0;     // next block to simulate
  int64_t written = 0;  // blocks consumed
  bool stop = false;

  auto work = [&] {
    for (;;) {
      int64_t b;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] {
          return stop || next >= blocks || next < written + ring;
        });
        if (stop || next >= blocks) return;
        b = next++;
      }
      Slot& slot = slots[b % ring];
      const int64_t first = b * kBlockSize;
      const int64_t count = std::min(n, first + kBlockSize) - first;
      slot.customers.resize(count);
      for (int64_t i = 0; i < count; ++i) {
        internal::SimulateCustomer(model, static_cast<uint32_t>(first + i),
                                   &slot.customers[i]);
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        slot.block = b;
        slot.ready = true;
      }
      cv.notify_all();
    }
  };
  std::vector<std::thread> workers;
  for (int t = 0; t < workers_count; ++t) workers.emplace_back(work);

  absl::Status status;
  for (int64_t b = 0; b < blocks && status.ok(); ++b) {
    Slot& slot = slots[b % ring];
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return slot.ready && slot.block == b; });
    }
    for (CustomerOutput& out : slot.customers) {
      status = consume(out);
      if (!status.ok()) break;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      slot.ready = false;
      ++written;
      if (!status.ok()) stop = true;
    }
    cv.notify_all();
    if (status.ok()) report(b);
  }
  for (std::thread& t : workers) t.join();
  return status;
}

EventInput ToInput(const internal::SimEvent& e, absl::string_view customer) {
  EventInput in;
  in.customer_id = customer;
  in.kind = e.kind;
  in.subtype = e.subtype;
  in.time = e.time;
  in.amount = e.amount;
  in.value = e.value;
  in.key = e.key;
  in.group = e.group;
  in.flags = e.flags;
  return in;
}

// Counts what a run produced.
class Tally {
 public:
  void Add(const CustomerOutput& out) {
    ++summary_.customers;
    summary_.events += out.events.size();
    summary_.contacts += out.contacts.size();
    summary_.contracts += out.contracts.size();
    for (const auto& e : out.events) ++by_kind_[e.kind];
    if (out.truth.churned()) ++churned_[out.truth.churn_type()];
  }
  v1::GeneratorSummary Finish(int64_t owners) const {
    v1::GeneratorSummary s;
    s.set_customers(summary_.customers);
    s.set_events(summary_.events);
    s.set_contacts(summary_.contacts);
    s.set_contracts(summary_.contracts);
    s.set_owners(owners);
    for (int k = 0; k < 256; ++k) {
      if (by_kind_[k] > 0) {
        (*s.mutable_events_by_kind())[v1::EventKind_Name(k)] = by_kind_[k];
      }
    }
    for (const auto& [type, count] : churned_) {
      (*s.mutable_churned_by_type())[type] = count;
    }
    return s;
  }

 private:
  struct {
    int64_t customers = 0, events = 0, contacts = 0, contracts = 0;
  } summary_;
  int64_t by_kind_[256] = {};
  std::map<std::string, int64_t> churned_;
};

absl::Status FsError(const std::string& path, absl::string_view what,
                     const std::error_code& ec) {
  const std::string message =
      absl::StrCat(path, ": ", what, ": ", ec.message());
  if (ec == std::errc::permission_denied ||
      ec == std::errc::read_only_file_system) {
    return absl::PermissionDeniedError(message);
  }
  if (ec == std::errc::no_such_file_or_directory) {
    return absl::NotFoundError(message);
  }
  return absl::UnavailableError(message);
}

absl::StatusOr<SimModel> Prepare(const v1::GeneratorConfig& config,
                                 v1::GeneratorConfig* resolved) {
  *resolved = ResolveGeneratorConfig(config);
  if (absl::Status s = Validate(*resolved); !s.ok()) return s;
  return internal::BuildSimModel(*resolved);
}

}  // namespace

v1::GeneratorConfig ResolveGeneratorConfig(const v1::GeneratorConfig& config) {
  v1::GeneratorConfig resolved = Defaults();
  Overlay(config, &resolved);
  return resolved;
}

absl::Status ValidateGeneratorConfig(const v1::GeneratorConfig& config) {
  return Validate(ResolveGeneratorConfig(config));
}

absl::StatusOr<v1::GeneratorSummary> Generate(const v1::GeneratorConfig& config,
                                              v1::Format format,
                                              const std::string& out_dir,
                                              const GenerateOptions& options) {
  v1::GeneratorConfig resolved;
  absl::StatusOr<SimModel> model = Prepare(config, &resolved);
  if (!model.ok()) return model.status();
  std::string records;
  switch (format) {
    case v1::CSV:
      records = out_dir;
      break;
    case v1::JSONL:
      records = (fs::path(out_dir) / kGeneratorRecordsStem).string() + ".jsonl";
      break;
    case v1::PB:
      records = (fs::path(out_dir) / kGeneratorRecordsStem).string() + ".pb";
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "format: unknown format ", format, " (CSV, JSONL or PB)"));
  }
  if (out_dir.empty()) return absl::InvalidArgumentError("out_dir: empty");
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return FsError(out_dir, "cannot create directory", ec);
  const fs::path dir(out_dir);
  const std::string truth_path = (dir / kGeneratorTruthFile).string();
  const std::string manifest = (dir / kGeneratorConfigFile).string();
  // The manifest marks a complete run: remove a stale one before anything.
  fs::remove(manifest, ec);
  if (ec) return FsError(manifest, "cannot remove", ec);

  absl::StatusOr<std::unique_ptr<RecordWriter>> writer =
      RecordWriter::Open(format, records);
  if (!writer.ok()) return writer.status();
  absl::StatusOr<std::unique_ptr<MessageCsvWriter>> truth =
      MessageCsvWriter::Open(truth_path, v1::GroundTruth::descriptor());
  if (!truth.ok()) return truth.status();

  v1::Record record;
  for (const v1::Owner& owner : model->owners) {
    *record.mutable_owner() = owner;
    if (absl::Status s = (*writer)->Write(record); !s.ok()) return s;
  }
  Tally tally;
  absl::Status status = Simulate(*model, options, [&](CustomerOutput& out) {
    tally.Add(out);
    const std::string id = out.customer.id();
    record.mutable_customer()->Swap(&out.customer);
    if (absl::Status s = (*writer)->Write(record); !s.ok()) return s;
    for (v1::Contact& c : out.contacts) {
      record.mutable_contact()->Swap(&c);
      if (absl::Status s = (*writer)->Write(record); !s.ok()) return s;
    }
    for (v1::Contract& c : out.contracts) {
      record.mutable_contract()->Swap(&c);
      if (absl::Status s = (*writer)->Write(record); !s.ok()) return s;
    }
    for (const internal::SimEvent& e : out.events) {
      if (absl::Status s = (*writer)->WriteEvent(ToInput(e, id)); !s.ok()) {
        return s;
      }
    }
    return (*truth)->Write(out.truth);
  });
  if (!status.ok()) return status;

  // Publish: the data, the truth, then the manifest. On a failure, remove
  // what this run published so nothing partial looks complete.
  std::vector<std::string> files;
  if (format == v1::CSV) {
    for (const char* table : {"owners.csv", "customers.csv", "contacts.csv",
                              "contracts.csv", "events.csv"}) {
      files.push_back((dir / table).string());
    }
  } else {
    files.push_back(records);
  }
  files.push_back(truth_path);
  status = (*writer)->Close();
  if (status.ok()) status = (*truth)->Close();
  if (status.ok()) status = WriteTextProtoFile(manifest, resolved);
  if (!status.ok()) {
    for (const std::string& f : files) {
      if (fs::is_regular_file(f, ec)) fs::remove(f, ec);
    }
    return status;
  }
  files.push_back(manifest);
  v1::GeneratorSummary summary = tally.Finish(model->owners.size());
  for (const std::string& f : files) summary.add_files(f);
  return summary;
}

absl::StatusOr<GeneratedData> GenerateInMemory(
    const v1::GeneratorConfig& config, const GenerateOptions& options) {
  v1::GeneratorConfig resolved;
  absl::StatusOr<SimModel> model = Prepare(config, &resolved);
  if (!model.ok()) return model.status();
  v1::ValidationOptions validation;
  validation.set_policy(v1::STRICT);
  DatasetBuilder builder(validation);
  GeneratedData data;
  data.truth.reserve(model->customers);
  int64_t row = 0;
  auto invalid = [](const absl::Status& s) {
    return absl::InternalError(
        absl::StrCat("the generator made an invalid row: ", s.message()));
  };
  for (const v1::Owner& owner : model->owners) {
    if (absl::Status s = builder.AddOwner(owner, {"<generator>", ++row});
        !s.ok()) {
      return invalid(s);
    }
  }
  absl::Status status = Simulate(*model, options, [&](CustomerOutput& out) {
    if (absl::Status s =
            builder.AddCustomer(out.customer, {"<generator>", ++row});
        !s.ok()) {
      return invalid(s);
    }
    for (const v1::Contact& c : out.contacts) {
      if (absl::Status s = builder.AddContact(c, {"<generator>", ++row});
          !s.ok()) {
        return invalid(s);
      }
    }
    for (const v1::Contract& c : out.contracts) {
      if (absl::Status s = builder.AddContract(c, {"<generator>", ++row});
          !s.ok()) {
        return invalid(s);
      }
    }
    for (const internal::SimEvent& e : out.events) {
      if (absl::Status s = builder.AddEvent(ToInput(e, out.customer.id()),
                                            {"<generator>", ++row});
          !s.ok()) {
        return invalid(s);
      }
    }
    data.truth.push_back(out.truth);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  absl::StatusOr<Dataset> dataset = builder.Build();
  if (!dataset.ok()) return invalid(dataset.status());
  data.dataset = *std::move(dataset);
  return data;
}

}  // namespace churnkit
