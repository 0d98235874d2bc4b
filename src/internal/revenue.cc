#include "internal/revenue.h"

#include <algorithm>
#include <cstdint>

namespace churnkit::internal {
namespace {

constexpr double kSecondsPerDay = 86400.0;

struct Revenue {
  double amount = 0;
  bool found = false;
};

// Revenue of customer c over [from, to) from one source.
Revenue RevenueFrom(const Dataset& ds, CustomerIndex c, v1::RevenueSource src,
                    UnixSeconds from, UnixSeconds to) {
  Revenue r;
  if (src == v1::REVENUE_CONTRACTS) {
    const ContractTable& k = ds.contracts();
    for (uint32_t i = k.offsets[c]; i < k.offsets[c + 1]; ++i) {
      const UnixSeconds start = k.start_time[i], end = k.end_time[i];
      const UnixSeconds lo = std::max(start, from), hi = std::min(end, to);
      if (hi <= lo || end <= start) continue;
      r.found = true;
      r.amount += k.value[i] * static_cast<double>(hi - lo) /
                  static_cast<double>(end - start);
    }
    return r;
  }
  if (src == v1::REVENUE_ANNUAL_VALUE) {
    const double annual = ds.customers().annual_value[c];
    r.found = annual > 0;
    r.amount = annual * static_cast<double>(to - from) / (365 * kSecondsPerDay);
    return r;
  }
  const EventTable& ev = ds.events();
  const uint8_t kind = src == v1::REVENUE_ORDERS ? v1::ORDER : v1::PAYMENT;
  const size_t end = ds.event_end(c);
  for (size_t e = ds.EventAtOrAfter(c, from); e < end && ev.time[e] < to; ++e) {
    // Returns and refunds give money back whichever source it came in by;
    // alone they do not make the source one with a record.
    if (ev.kind[e] == v1::RETURN) {
      r.amount -= ev.amount[e];
      continue;
    }
    if (ev.kind[e] != kind) continue;
    if (kind == v1::PAYMENT && ev.subtype[e] != v1::PAYMENT_PAID) continue;
    r.found = true;
    r.amount += ev.amount[e];
  }
  return r;
}

}  // namespace

double RevenueOf(const Dataset& ds, CustomerIndex c,
                 const v1::ValueOptions& options, UnixSeconds until) {
  const UnixSeconds from =
      until - static_cast<UnixSeconds>(options.window_days()) * 86400;
  double total = 0;
  for (int s = 0; s < options.revenue_sources_size(); ++s) {
    const Revenue r =
        RevenueFrom(ds, c, options.revenue_sources(s), from, until);
    if (options.combine() == v1::FIRST_AVAILABLE) {
      if (r.found) return r.amount;
    } else {
      total += r.amount;
    }
  }
  return total;
}

}  // namespace churnkit::internal
