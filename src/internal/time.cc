#include "internal/time.h"

#include <cstdio>

namespace churnkit::internal {
namespace {

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at text[*pos].
bool Digits(absl::string_view text, size_t* pos, int n, int* out) {
  if (*pos + n > text.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

}  // namespace

// Howard Hinnant's days_from_civil algorithm.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, int* month, int* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *year = yoe + era * 400 + (*month <= 2);
}

bool ParseUnixTime(absl::string_view t, int64_t* seconds) {
  size_t p = 0;
  int year, month, day;
  if (!Digits(t, &p, 4, &year)) return false;
  if (p < t.size() && (t[p] == '-' || t[p] == '/')) {
    const char sep = t[p++];
    if (!Digits(t, &p, 2, &month) || p >= t.size() || t[p++] != sep ||
        !Digits(t, &p, 2, &day)) {
      return false;
    }
  } else if (!Digits(t, &p, 2, &month) || !Digits(t, &p, 2, &day)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return false;
  }
  int64_t secs = DaysFromCivil(year, month, day) * 86400;
  if (p < t.size()) {
    if (t[p] != 'T' && t[p] != ' ') return false;
    ++p;
    int hh, mm, ss = 0;
    if (!Digits(t, &p, 2, &hh) || p >= t.size() || t[p++] != ':' ||
        !Digits(t, &p, 2, &mm)) {
      return false;
    }
    if (p < t.size() && t[p] == ':') {
      ++p;
      if (!Digits(t, &p, 2, &ss)) return false;
      if (p < t.size() && t[p] == '.') {
        ++p;
        const size_t start = p;
        while (p < t.size() && t[p] >= '0' && t[p] <= '9') ++p;
        if (p == start) return false;  // fraction truncated to seconds
      }
    }
    if (hh > 23 || mm > 59 || ss > 60) return false;
    secs += hh * 3600 + mm * 60 + ss;
    if (p < t.size()) {
      if (t[p] == 'Z' && p + 1 == t.size()) {
        ++p;
      } else if (t[p] == '+' || t[p] == '-') {
        const int sign = t[p++] == '+' ? 1 : -1;
        int oh, om;
        if (!Digits(t, &p, 2, &oh) || p >= t.size() || t[p++] != ':' ||
            !Digits(t, &p, 2, &om) || oh > 23 || om > 59) {
          return false;
        }
        secs -= sign * (oh * 3600 + om * 60);
      }
    }
  }
  if (p != t.size()) return false;
  *seconds = secs;
  return true;
}

std::string FormatUnixTime(int64_t s) {
  // Floor division without negating `s` (which overflows near INT64_MIN).
  int64_t days = s / 86400;
  int64_t rem = s % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y;
  int m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[48];
  if (rem == 0) {
    std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02d",
                  static_cast<long long>(y), m, d);
  } else {
    std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02d:%02d:%02dZ",
                  static_cast<long long>(y), m, d, static_cast<int>(rem / 3600),
                  static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  }
  return buf;
}

int64_t NextMidnight(int64_t t) {
  constexpr int64_t kDay = 86400;
  const int64_t day = t >= 0 ? t / kDay : -((-t + kDay - 1) / kDay);
  return (day + 1) * kDay;
}

}  // namespace churnkit::internal
