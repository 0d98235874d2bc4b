#include "args.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace churnkit::cli {

ArgParser::ArgParser(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void ArgParser::AddFlag(std::string name, std::string help, bool* out) {
  options_.push_back(
      {std::move(name), "", std::move(help), [out](absl::string_view) {
         *out = true;
         return absl::OkStatus();
       }});
}

void ArgParser::AddString(std::string name, std::string value_name,
                          std::string help, std::string* out) {
  AddOption(std::move(name), std::move(value_name), std::move(help),
            [out](absl::string_view value) {
              *out = std::string(value);
              return absl::OkStatus();
            });
}

void ArgParser::AddInt(std::string name, std::string value_name,
                       std::string help, int64_t min, int64_t max,
                       int64_t* out) {
  std::string flag = absl::StrCat("--", name);
  AddOption(std::move(name), std::move(value_name), std::move(help),
            [flag, min, max, out](absl::string_view value) {
              int64_t n = 0;
              if (!absl::SimpleAtoi(value, &n) || n < min || n > max) {
                return absl::InvalidArgumentError(absl::StrFormat(
                    "%s expects an integer in [%d, %d], got '%s'", flag, min,
                    max, value));
              }
              *out = n;
              return absl::OkStatus();
            });
}

void ArgParser::AddOption(std::string name, std::string value_name,
                          std::string help,
                          std::function<absl::Status(absl::string_view)> set) {
  options_.push_back({std::move(name), std::move(value_name), std::move(help),
                      std::move(set)});
}

void ArgParser::AddPositional(std::string name, std::string help, int min,
                              int max, std::vector<std::string>* out) {
  positionals_.push_back({std::move(name), std::move(help), min, max, out});
}

const ArgParser::Option* ArgParser::FindOption(absl::string_view name) const {
  for (const Option& option : options_) {
    if (option.name == name) return &option;
  }
  return nullptr;
}

int ArgParser::UsageError(const std::string& message) const {
  std::fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", program_.c_str(),
               message.c_str(), program_.c_str());
  return kExitUsage;
}

std::optional<int> ArgParser::Parse(absl::Span<const std::string> args) {
  std::vector<absl::string_view> values;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      values.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      std::fputs(Help().c_str(), stdout);
      return kExitOk;
    }
    if (arg.substr(0, 2) != "--") {
      return UsageError(absl::StrCat("unknown option '", arg, "'"));
    }
    absl::string_view name = arg.substr(2);
    std::optional<absl::string_view> inline_value;
    if (size_t eq = name.find('='); eq != absl::string_view::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const Option* option = FindOption(name);
    if (option == nullptr) {
      return UsageError(absl::StrCat("unknown option '--", name, "'"));
    }
    absl::string_view value;
    if (option->value_name.empty()) {
      if (inline_value.has_value()) {
        return UsageError(
            absl::StrCat("option '--", name, "' does not take a value"));
      }
    } else if (inline_value.has_value()) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return UsageError(absl::StrCat("option '--", name, "' needs a value (",
                                     option->value_name, ")"));
    }
    if (absl::Status status = option->set(value); !status.ok()) {
      return UsageError(std::string(status.message()));
    }
  }

  size_t next = 0;
  for (const Positional& positional : positionals_) {
    int taken = 0;
    while (next < values.size() && taken < positional.max) {
      positional.out->emplace_back(values[next++]);
      ++taken;
    }
    if (taken < positional.min) {
      return UsageError(absl::StrCat("missing ", positional.name));
    }
  }
  if (next < values.size()) {
    return UsageError(absl::StrCat("unexpected argument '", values[next], "'"));
  }
  return std::nullopt;
}

std::string ArgParser::Help() const {
  std::vector<std::string> usage_words = {program_, "[options]"};
  for (const Positional& positional : positionals_) {
    std::string word = positional.name;
    if (positional.max > 1) absl::StrAppend(&word, "...");
    if (positional.min == 0) word = absl::StrCat("[", word, "]");
    usage_words.push_back(std::move(word));
  }
  std::string out = absl::StrCat("Usage: ", absl::StrJoin(usage_words, " "),
                                 "\n\n", summary_, "\n");

  // Both sections share one column for the help texts.
  std::vector<std::pair<std::string, std::string>> arg_rows;
  for (const Positional& positional : positionals_) {
    arg_rows.emplace_back(positional.name, positional.help);
  }
  std::vector<std::pair<std::string, std::string>> option_rows;
  for (const Option& option : options_) {
    std::string left = absl::StrCat("--", option.name);
    if (!option.value_name.empty())
      absl::StrAppend(&left, " ", option.value_name);
    option_rows.emplace_back(std::move(left), option.help);
  }
  option_rows.emplace_back("-h, --help", "Show this help and exit");
  size_t width = 0;
  for (const auto* rows : {&arg_rows, &option_rows}) {
    for (const auto& [left, help] : *rows) width = std::max(width, left.size());
  }
  // Help texts are wrapped to the terminal's customary 80 columns.
  const size_t help_width = std::max<size_t>(30, 78 - 4 - width);
  auto append_rows = [&](absl::string_view title, const auto& rows) {
    if (rows.empty()) return;
    absl::StrAppend(&out, "\n", title, ":\n");
    for (const auto& [left, help] : rows) {
      std::string line = absl::StrFormat("  %-*s ", width, left);
      size_t line_chars = 0;
      for (absl::string_view word : absl::StrSplit(help, ' ')) {
        if (line_chars > 0 && line_chars + 1 + word.size() > help_width) {
          absl::StrAppend(&out, line, "\n");
          line = std::string(width + 3, ' ');
          line_chars = 0;
        }
        absl::StrAppend(&line, " ", word);
        line_chars += (line_chars > 0 ? 1 : 0) + word.size();
      }
      absl::StrAppend(&out, line, "\n");
    }
  };
  append_rows("Arguments", arg_rows);
  append_rows("Options", option_rows);
  return out;
}

}  // namespace churnkit::cli
