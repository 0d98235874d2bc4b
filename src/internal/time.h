// Fast civil-time conversions for ingestion (UTC, proleptic Gregorian).
#ifndef CHURNKIT_SRC_INTERNAL_TIME_H_
#define CHURNKIT_SRC_INTERNAL_TIME_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace churnkit::internal {

// Days since 1970-01-01 of a civil date (month 1..12, day 1..31).
int64_t DaysFromCivil(int64_t year, int month, int day);
// The civil date of a day count since 1970-01-01.
void CivilFromDays(int64_t days, int64_t* year, int* month, int* day);

// Parses "YYYY-MM-DD", "YYYYMMDD", "YYYY/MM/DD", and those followed by
// " " or "T" then "HH:MM[:SS[.fff]]" and an optional "Z" or "+hh:mm" /
// "-hh:mm" offset. Returns false on anything else, including impossible
// dates (2023-02-29) and times (25:00).
bool ParseUnixTime(absl::string_view text, int64_t* seconds);

// Midnight (UTC) after the day holding `t` (seconds since the epoch).
int64_t NextMidnight(int64_t t);

// "2024-03-01" at midnight UTC, "2024-03-01T09:30:00Z" otherwise.
std::string FormatUnixTime(int64_t seconds);

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_TIME_H_
