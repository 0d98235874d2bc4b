// A customer's revenue over a window from the sources of a
// churnkit.v1.ValueOptions, shared by segmentation (customer value) and the
// assessment (expected revenue at risk of an alert).
#ifndef CHURNKIT_SRC_INTERNAL_REVENUE_H_
#define CHURNKIT_SRC_INTERNAL_REVENUE_H_

#include "churnkit/dataset.h"
#include "churnkit/v1/segment.pb.h"

namespace churnkit::internal {

// Revenue of customer `c` over [until - options.window_days, until) from
// options.revenue_sources, combined per options.combine (FIRST_AVAILABLE:
// the first source with any record for the customer; else their sum).
// Orders and payments are net of the window's RETURN events, so the
// revenue may be negative. The options must be resolved (window and
// combine set). 0 without a record.
double RevenueOf(const Dataset& ds, CustomerIndex c,
                 const v1::ValueOptions& options, UnixSeconds until);

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_REVENUE_H_
