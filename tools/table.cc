#include "table.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace churnkit::cli {
namespace {

// Whether a code point is drawn two columns wide (CJK ideographs, kana,
// Hangul, full-width forms).
bool IsWide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
         (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x20000 && c <= 0x3FFFD);
}

}  // namespace

size_t DisplayWidth(absl::string_view text) {
  size_t width = 0;
  size_t i = 0;
  while (i < text.size()) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    char32_t c = length == 1   ? lead
                 : length == 2 ? lead & 0x1F
                 : length == 3 ? lead & 0x0F
                               : lead & 0x07;
    for (size_t k = 1; k < length && i + k < text.size(); ++k) {
      c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    width += IsWide(c) ? 2 : 1;
    i += length;
  }
  return width;
}

TextTable::TextTable(std::vector<Align> aligns) : aligns_(std::move(aligns)) {}

void TextTable::AddRow(std::vector<std::string> cells) {
  cells.resize(aligns_.size());
  rows_.push_back(std::move(cells));
}

std::string TextTable::Render(int indent) const {
  std::vector<size_t> widths(aligns_.size(), 0);
  for (const std::vector<std::string>& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], DisplayWidth(row[c]));
    }
  }
  std::string out;
  for (const std::vector<std::string>& row : rows_) {
    std::string line(indent, ' ');
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line += "  ";
      std::string padding(widths[c] - DisplayWidth(row[c]), ' ');
      if (aligns_[c] == Align::kRight) {
        absl::StrAppend(&line, padding, row[c]);
      } else {
        absl::StrAppend(&line, row[c], padding);
      }
    }
    line.erase(line.find_last_not_of(' ') + 1);
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string FormatCount(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -static_cast<uint64_t>(n)
                                          : static_cast<uint64_t>(n));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? absl::StrCat("-", out) : out;
}

std::string FormatAmount(double x, int decimals) {
  if (!std::isfinite(x)) return "-";
  decimals = std::clamp(decimals, 0, 6);
  int64_t unit = 1;
  for (int i = 0; i < decimals; ++i) unit *= 10;
  const int64_t scaled = std::llround(std::fabs(x) * static_cast<double>(unit));
  std::string out = FormatCount(scaled / unit);
  if (decimals > 0) {
    absl::StrAppend(&out, absl::StrFormat(".%0*d", decimals,
                                          static_cast<int>(scaled % unit)));
  }
  return x < 0 && scaled != 0 ? "-" + out : out;
}

std::string FormatAmount(double x) {
  const bool whole =
      std::isfinite(x) && std::llround(std::fabs(x) * 100) % 100 == 0;
  return FormatAmount(x, whole ? 0 : 2);
}

std::string FormatShare(int64_t part, int64_t whole) {
  if (whole == 0) return "-";
  return absl::StrFormat(
      "%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

ProgressLine::ProgressLine(std::string prefix)
    : prefix_(std::move(prefix)), tty_(::isatty(STDERR_FILENO) == 1) {}

void ProgressLine::Show(absl::string_view text, int percent) {
  if (tty_) {
    std::fprintf(stderr, "\r%s: %s (%d%%)", prefix_.c_str(),
                 std::string(text).c_str(), percent);
    if (percent >= 100) std::fputc('\n', stderr);
  } else if (percent / 10 > last_ / 10 || (percent >= 100 && last_ < 100)) {
    std::fprintf(stderr, "%s: %s (%d%%)\n", prefix_.c_str(),
                 std::string(text).c_str(), percent);
  }
  last_ = percent;
}

std::string CsvCell(absl::string_view text) {
  std::string out;
  AppendCsvCell(text, &out);
  return out;
}

void AppendCsvCell(absl::string_view text, std::string* out) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) {
    absl::StrAppend(out, text);
    return;
  }
  out->push_back('"');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace churnkit::cli
