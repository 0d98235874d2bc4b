#include "internal/utf8.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace churnkit::internal {
namespace {

// Length of the well-formed sequence starting at s[i] (Unicode 15, table
// 3-7), or 0 when the bytes there do not start one.
size_t SequenceLength(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) {
    return k < s.size() ? static_cast<uint8_t>(s[k]) : uint8_t{0};
  };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  const auto cont = [](uint8_t b) { return b >= 0x80 && b <= 0xBF; };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(byte(i + 1)) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const uint8_t b1 = byte(i + 1);
    const bool ok1 = b0 == 0xE0   ? (b1 >= 0xA0 && b1 <= 0xBF)
                     : b0 == 0xED ? (b1 >= 0x80 && b1 <= 0x9F)
                                  : cont(b1);
    return ok1 && cont(byte(i + 2)) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const uint8_t b1 = byte(i + 1);
    const bool ok1 = b0 == 0xF0   ? (b1 >= 0x90 && b1 <= 0xBF)
                     : b0 == 0xF4 ? (b1 >= 0x80 && b1 <= 0x8F)
                                  : cont(b1);
    return ok1 && cont(byte(i + 2)) && cont(byte(i + 3)) ? 4 : 0;
  }
  return 0;
}

// Index of the first byte >= 0x80 from `i` on (s.size() when none), eight
// bytes at a time: most CRM text is ASCII.
size_t SkipAscii(absl::string_view s, size_t i) {
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if (word & 0x8080808080808080ULL) break;
  }
  while (i < s.size() && static_cast<uint8_t>(s[i]) < 0x80) ++i;
  return i;
}

std::string FirstInvalid(const google::protobuf::Message& m,
                         const std::string& prefix) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  std::string scratch;
  for (const FieldDescriptor* f : fields) {
    // Only text and messages can hold text (models are checked on every
    // PredictInto: their many repeated doubles must cost nothing).
    const bool text = f->cpp_type() == FieldDescriptor::CPPTYPE_STRING;
    if (!text && f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string path = absl::StrCat(prefix, f->name());
    if (f->is_map()) {
      const FieldDescriptor* key = f->message_type()->map_key();
      for (int k = 0; k < r->FieldSize(m, f); ++k) {
        const google::protobuf::Message& entry = r->GetRepeatedMessage(m, f, k);
        if (FirstInvalid(entry, "").empty()) continue;
        const std::string name =
            key->cpp_type() == FieldDescriptor::CPPTYPE_STRING
                ? ToValidUtf8(entry.GetReflection()->GetStringReference(
                      entry, key, &scratch))
                : absl::StrCat(k);
        return absl::StrCat(path, "[", name, "]");
      }
      continue;
    }
    const bool repeated = f->is_repeated();
    const int n = repeated ? r->FieldSize(m, f) : 1;
    for (int k = 0; k < n; ++k) {
      auto at = [&] {
        return repeated ? absl::StrCat(path, "[", k, "]") : path;
      };
      if (text) {
        const std::string& v =
            repeated ? r->GetRepeatedStringReference(m, f, k, &scratch)
                     : r->GetStringReference(m, f, &scratch);
        if (!IsValidUtf8(v)) return at();
        continue;
      }
      std::string bad = FirstInvalid(
          repeated ? r->GetRepeatedMessage(m, f, k) : r->GetMessage(m, f),
          absl::StrCat(at(), "."));
      if (!bad.empty()) return bad;
    }
  }
  return "";
}

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while ((i = SkipAscii(text, i)) < text.size()) {
    const size_t n = SequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string ToValidUtf8(absl::string_view text) {
  if (IsValidUtf8(text) && text.find('\0') == absl::string_view::npos) {
    return std::string(text);
  }
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size();) {
    const size_t n = text[i] == '\0' ? 0 : SequenceLength(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(text.data() + i, n);
      i += n;
    }
  }
  return out;
}

std::string FirstInvalidUtf8Field(const google::protobuf::Message& message) {
  return FirstInvalid(message, "");
}

}  // namespace churnkit::internal
