#include "synthetic.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "churnkit/io.h"

namespace churnkit::bench {
namespace {

namespace fs = std::filesystem;

// Portable draws from one fixed engine (std:: distributions differ between
// standard libraries; these do not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  // Uniform in [0, n).
  int64_t Below(int64_t n) {
    return static_cast<int64_t>(engine_() % static_cast<uint64_t>(n));
  }
  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }

 private:
  std::mt19937_64 engine_;
};

constexpr const char* kIndustries[] = {"saas",      "retail", "manufacturing",
                                       "logistics", "health", "education",
                                       "finance",   "media"};
constexpr const char* kSizes[] = {"small", "medium", "large", "enterprise"};
constexpr const char* kRegions[] = {"north",       "south", "east", "west",
                                    "north-china", "apac",  "emea"};
constexpr const char* kTiers[] = {"A", "B", "C"};
constexpr const char* kProducts[] = {"crm-basic", "crm-pro", "crm-enterprise"};
constexpr const char* kFeatures[] = {
    "dashboard", "reports",  "workflow", "api",     "export",  "mobile",
    "campaigns", "pipeline", "forecast", "billing", "tickets", "chat"};
constexpr const char* kCompetitors[] = {"rivalsoft", "cloudcrm", "dealdesk"};

// Event-kind mix of a typical B2B SaaS log, in percent of events.
struct KindShare {
  v1::EventKind kind;
  int percent;
};
constexpr KindShare kMix[] = {
    {v1::LOGIN, 34},         {v1::FEATURE_USE, 24},     {v1::INTERACTION, 10},
    {v1::ORDER, 8},          {v1::PAYMENT, 8},          {v1::TICKET, 7},
    {v1::SURVEY, 3},         {v1::MARKETING, 3},        {v1::CONTRACT, 1},
    {v1::CONTACT_CHANGE, 1}, {v1::PRICE_NEGOTIATION, 1}};

template <typename T, size_t N>
const T& Pick(Rng& rng, const T (&items)[N]) {
  return items[rng.Below(N)];
}

// Money with cents, e.g. 1234.56.
double Money(Rng& rng, double lo, double hi) {
  const int64_t cents = static_cast<int64_t>(lo * 100) +
                        rng.Below(static_cast<int64_t>((hi - lo) * 100));
  return static_cast<double>(cents) / 100.0;
}

constexpr UnixSeconds kStart = 1609459200;  // 2021-01-01T00:00:00Z
constexpr UnixSeconds kSpan = 4 * 365 * 86400;

}  // namespace

absl::Status WriteSynthetic(const SyntheticSpec& spec, v1::Format format,
                            const std::string& path) {
  if (spec.num_customers <= 0 || spec.num_events < 0) {
    return absl::InvalidArgumentError("WriteSynthetic: bad sizes");
  }
  absl::StatusOr<std::unique_ptr<RecordWriter>> writer =
      RecordWriter::Open(format, path);
  if (!writer.ok()) return writer.status();
  Rng rng(spec.seed);

  std::vector<std::string> ids(spec.num_customers);
  std::vector<std::string> issue_keys(500), contact_keys(spec.num_customers);
  for (int64_t c = 0; c < spec.num_customers; ++c) {
    ids[c] = absl::StrFormat("cus-%06d", c + 1);
  }
  for (size_t i = 0; i < issue_keys.size(); ++i) {
    issue_keys[i] = absl::StrFormat("ISSUE-%03d", i + 1);
  }
  v1::Record record;
  for (int64_t c = 0; c < spec.num_customers; ++c) {
    v1::Customer* customer = record.mutable_customer();
    customer->set_id(ids[c]);
    customer->set_name(absl::StrCat("Customer ", c + 1));
    customer->set_industry(Pick(rng, kIndustries));
    customer->set_size(Pick(rng, kSizes));
    customer->set_region(Pick(rng, kRegions));
    customer->set_tier(Pick(rng, kTiers));
    customer->set_owner_id(absl::StrFormat("o-%02d", rng.Below(40) + 1));
    customer->set_product(Pick(rng, kProducts));
    customer->mutable_signup_time()->set_seconds(
        kStart - 86400 * (1 + rng.Below(3 * 365)));
    customer->set_annual_value(
        static_cast<double>(1000 * (5 + rng.Below(500))));
    if (absl::Status s = (*writer)->Write(record); !s.ok()) return s;
  }

  for (int64_t i = 0; i < spec.num_events; ++i) {
    EventInput e;
    // Time-sorted log; never exactly midnight, so every time has the same
    // "YYYY-MM-DDTHH:MM:SSZ" shape.
    e.time = kStart +
             static_cast<UnixSeconds>(static_cast<double>(kSpan) * i /
                                      std::max<int64_t>(spec.num_events, 1));
    if (e.time % 86400 == 0) ++e.time;
    // Skewed activity: a few customers produce many events.
    const double u = rng.Unit();
    e.customer_id = ids[static_cast<int64_t>(u * u * spec.num_customers)];
    int roll = static_cast<int>(rng.Below(100));
    v1::EventKind kind = v1::LOGIN;
    for (const KindShare& k : kMix) {
      if (roll < k.percent) {
        kind = k.kind;
        break;
      }
      roll -= k.percent;
    }
    e.kind = kind;
    switch (kind) {
      case v1::LOGIN:
        e.value = static_cast<double>(1 + rng.Below(120));
        if (rng.Chance(0.3)) e.key = Pick(rng, kFeatures);
        break;
      case v1::FEATURE_USE:
        e.key = Pick(rng, kFeatures);
        e.value = static_cast<double>(1 + rng.Below(20));
        break;
      case v1::INTERACTION: {
        constexpr v1::EventSubtype kSub[] = {v1::CALL, v1::EMAIL, v1::MEETING,
                                             v1::VISIT};
        e.subtype = Pick(rng, kSub);
        e.value = static_cast<double>(5 + rng.Below(55));
        break;
      }
      case v1::ORDER:
        e.amount = Money(rng, 10, 5000);
        e.value = static_cast<double>(1 + rng.Below(50));
        e.key = Pick(rng, kProducts);
        if (rng.Chance(0.02)) e.flags |= kFlagStockout;
        break;
      case v1::PAYMENT:
        if (rng.Chance(0.5)) {
          e.subtype = v1::PAYMENT_DUE;
          e.amount = Money(rng, 100, 20000);
        } else {
          e.subtype = v1::PAYMENT_PAID;
          e.amount = Money(rng, 100, 20000);
          e.value = static_cast<double>(rng.Below(36) - 5);
          if (rng.Chance(0.05)) e.flags |= kFlagCreditUsed;
        }
        break;
      case v1::TICKET:
        e.subtype = rng.Chance(0.5) ? v1::TICKET_OPENED : v1::TICKET_RESOLVED;
        e.value = static_cast<double>(5 + rng.Below(720)) / 10.0;
        e.key = issue_keys[rng.Below(issue_keys.size())];
        if (rng.Chance(0.1)) e.flags |= kFlagComplaint;
        break;
      case v1::SURVEY:
        e.subtype = v1::NPS;
        e.value = static_cast<double>(rng.Below(11));
        if (e.value <= 6) e.flags |= kFlagNegativeFeedback;
        break;
      case v1::MARKETING: {
        constexpr v1::EventSubtype kSub[] = {
            v1::MARKETING_SENT, v1::MARKETING_OPENED, v1::MARKETING_CLICKED};
        e.subtype = Pick(rng, kSub);
        e.key = Pick(rng, kFeatures);  // campaign named after a feature
        break;
      }
      case v1::CONTRACT:
        e.subtype =
            rng.Chance(0.8) ? v1::CONTRACT_RENEWED : v1::CONTRACT_NOT_RENEWED;
        e.amount = static_cast<double>(1000 * (5 + rng.Below(500)));
        e.value = 12;
        break;
      case v1::CONTACT_CHANGE: {
        e.subtype = rng.Chance(0.6) ? v1::CONTACT_ADDED : v1::CONTACT_LEFT;
        const int64_t k = rng.Below(spec.num_customers);
        if (contact_keys[k].empty()) {
          contact_keys[k] = absl::StrFormat("ct-%06d", k + 1);
        }
        e.key = contact_keys[k];
        if (rng.Chance(0.3)) e.flags |= kFlagDecisionMaker;
        break;
      }
      case v1::PRICE_NEGOTIATION:
        e.subtype = rng.Chance(0.5) ? v1::PRICE_NEGOTIATION_REQUEST
                                    : v1::DISCOUNT_REQUEST;
        e.value = static_cast<double>(5 + rng.Below(26));
        if (rng.Chance(0.2)) e.key = Pick(rng, kCompetitors);
        break;
      default:
        break;
    }
    if (absl::Status s = (*writer)->WriteEvent(e); !s.ok()) return s;
  }
  return (*writer)->Close();
}

int64_t EnvCount(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const long long n = std::strtoll(v, &end, 10);
  if (end == v || *end != '\0' || n <= 0) {
    std::fprintf(stderr, "%s=%s is not a positive count; using %lld\n", name, v,
                 static_cast<long long>(fallback));
    return fallback;
  }
  return n;
}

absl::StatusOr<uint64_t> PathBytes(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    uint64_t total = 0;
    for (const fs::directory_entry& entry : fs::directory_iterator(path, ec)) {
      if (entry.is_regular_file(ec)) total += entry.file_size(ec);
    }
    if (ec)
      return absl::UnavailableError(absl::StrCat(path, ": ", ec.message()));
    return total;
  }
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(path, ": ", ec.message()));
  return size;
}

absl::StatusOr<std::string> EnsureSynthetic(const SyntheticSpec& spec,
                                            v1::Format format,
                                            const std::string& dir,
                                            const std::string& name) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat(dir, ": cannot create: ", ec.message()));
  }
  const std::string path = (fs::path(dir) / name).string();
  const std::string manifest_path = path + ".manifest";
  const std::string manifest = absl::StrCat(
      "customers=", spec.num_customers, " events=", spec.num_events,
      " seed=", spec.seed, " format=", v1::Format_Name(format), "\n");
  {
    std::ifstream in(manifest_path);
    std::stringstream have;
    have << in.rdbuf();
    if (in && have.str() == manifest && fs::exists(path, ec)) return path;
  }
  fs::remove(manifest_path, ec);
  fs::remove_all(path, ec);
  std::fprintf(stderr, "churnkit bench: writing %lld events (%s) to %s\n",
               static_cast<long long>(spec.num_events),
               v1::Format_Name(format).c_str(), path.c_str());
  if (absl::Status s = WriteSynthetic(spec, format, path); !s.ok()) return s;
  std::ofstream out(manifest_path);
  out << manifest;
  if (!out.flush()) {
    return absl::UnavailableError(
        absl::StrCat(manifest_path, ": cannot write"));
  }
  return path;
}

}  // namespace churnkit::bench
