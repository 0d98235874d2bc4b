// tools/table.h: aligned text tables and number formatting for the reports
// the churnkit program prints for a person to read.
#ifndef CHURNKIT_TOOLS_TABLE_H_
#define CHURNKIT_TOOLS_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace churnkit::cli {

// Columns of text, padded to the widest cell (counted in UTF-8 code points,
// with CJK characters counting two columns as terminals show them) and
// separated by two spaces. The first row added is usually the header.
class TextTable {
 public:
  enum class Align { kLeft, kRight };

  // One entry per column.
  explicit TextTable(std::vector<Align> aligns);

  // Adds a row; it must have one cell per column.
  void AddRow(std::vector<std::string> cells);

  // Renders every row, each line prefixed by `indent` spaces and ended by
  // '\n'. Trailing spaces are not printed.
  std::string Render(int indent = 0) const;

 private:
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of UTF-8 text in terminal columns.
size_t DisplayWidth(absl::string_view text);

// 1234567 -> "1,234,567".
std::string FormatCount(int64_t n);

// 1234567.5 -> "1,234,567.50"; whole amounts without decimals; "-" when
// not finite.
std::string FormatAmount(double x);

// With a fixed number of decimals (0 to 6): 1234567.5 -> "1,234,568" (0),
// "1,234,567.50" (2); "-" when not finite.
std::string FormatAmount(double x, int decimals);

// part / whole as "12.5%"; "-" when whole is 0.
std::string FormatShare(int64_t part, int64_t whole);

// Appends `text` as one CSV cell (RFC 4180), quoted when it holds a comma,
// a quote or a line break.
void AppendCsvCell(absl::string_view text, std::string* out);
// The same cell as a string.
std::string CsvCell(absl::string_view text);

// Progress of a long run on stderr, as "<prefix>: <text> (p%)": one
// updating line on a terminal, else a line per 10%.
class ProgressLine {
 public:
  explicit ProgressLine(std::string prefix);
  // `text` says what is done; the line ends when percent reaches 100.
  void Show(absl::string_view text, int percent);

 private:
  std::string prefix_;
  bool tty_;
  int last_ = -1;
};

}  // namespace churnkit::cli

#endif  // CHURNKIT_TOOLS_TABLE_H_
