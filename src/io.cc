#include "churnkit/io.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver_util.h"
#include "internal/csv.h"
#include "internal/event_rows.h"
#include "internal/file.h"
#include "internal/input_files.h"
#include "internal/pb_log.h"
#include "internal/pending_file.h"
#include "internal/time.h"
#include "internal/utf8.h"

namespace churnkit {
namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;

using internal::InferFormat;
using internal::kAttrPrefix;
using internal::kEventFields;
using internal::kMaxRecordBytes;
using internal::kTables;
using internal::LineReader;
using internal::PendingFile;
using internal::TableFields;
using internal::TableFile;
using internal::event_field::kAmount;
using internal::event_field::kComplaint;
using internal::event_field::kCreditUsed;
using internal::event_field::kCustomerId;
using internal::event_field::kGroup;
using internal::event_field::kKey;
using internal::event_field::kKind;
using internal::event_field::kSubtype;
using internal::event_field::kTime;
using internal::event_field::kValue;

// ---- Field text parsing ------------------------------------------------

absl::string_view Trim(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Empty text is 0. Accepts "nan"/"inf" so that validation can name them.
bool ParseDouble(absl::string_view s, double* out) {
  s = Trim(s);
  if (s.empty()) {
    *out = 0;
    return true;
  }
  if (s.front() == '+') s.remove_prefix(1);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool ParseBool(absl::string_view s, bool* out) {
  s = Trim(s);
  if (s.empty() || s == "0" || absl::EqualsIgnoreCase(s, "false") ||
      absl::EqualsIgnoreCase(s, "no") || absl::EqualsIgnoreCase(s, "n")) {
    *out = false;
    return true;
  }
  if (s == "1" || absl::EqualsIgnoreCase(s, "true") ||
      absl::EqualsIgnoreCase(s, "yes") || absl::EqualsIgnoreCase(s, "y")) {
    *out = true;
    return true;
  }
  return false;
}

// Lower-cased enum value names -> numbers.
class EnumIndex {
 public:
  explicit EnumIndex(const pb::EnumDescriptor* d) : descriptor_(d) {
    for (int i = 0; i < d->value_count(); ++i) {
      by_name_[absl::AsciiStrToLower(d->value(i)->name())] =
          d->value(i)->number();
    }
  }
  // A name (any case) or a number. Numbers are passed through unchecked so
  // the builder reports unknown values with the number.
  bool Parse(absl::string_view s, int32_t* out) const {
    s = Trim(s);
    if (s.empty()) {
      *out = 0;
      return true;
    }
    if ((s.front() >= '0' && s.front() <= '9') || s.front() == '-') {
      const auto [end, ec] =
          std::from_chars(s.data(), s.data() + s.size(), *out);
      return ec == std::errc() && end == s.data() + s.size();
    }
    char lower[64];
    if (s.size() >= sizeof(lower)) return false;
    for (size_t i = 0; i < s.size(); ++i) {
      lower[i] = absl::ascii_tolower(static_cast<unsigned char>(s[i]));
    }
    auto it = by_name_.find(absl::string_view(lower, s.size()));
    if (it == by_name_.end()) return false;
    *out = it->second;
    return true;
  }
  const pb::EnumDescriptor* descriptor() const { return descriptor_; }

 private:
  const pb::EnumDescriptor* descriptor_;
  absl::flat_hash_map<std::string, int32_t> by_name_;
};

const EnumIndex& KindIndex() {
  static const EnumIndex* index = new EnumIndex(v1::EventKind_descriptor());
  return *index;
}
const EnumIndex& SubtypeIndex() {
  static const EnumIndex* index = new EnumIndex(v1::EventSubtype_descriptor());
  return *index;
}

// ---- Column plans --------------------------------------------------------

// Where one schema field's text comes from.
struct FieldSource {
  std::string field;  // schema field name, for errors
  int column = -1;    // record position; -1 when constant or unmapped
  bool has_constant = false;
  std::string constant;
  const pb::Map<std::string, std::string>* values = nullptr;
  UnixSeconds offset_reference = kNoTime;
  v1::OffsetUnit offset_unit = v1::OFFSET_UNIT_UNSPECIFIED;
  std::string date_format;    // empty: ISO 8601
  std::vector<int> multiply;  // columns whose numbers multiply this one's
};

struct TablePlan {
  std::vector<FieldSource> fields;  // by schema field position
  std::vector<std::pair<std::string, int>> attributes;  // key, column
  size_t header_columns = 0;  // 0 when the file has no header
  int max_column = -1;
  int32_t negative_amounts_as = 0;  // EVENTS: kind of negative-amount rows
};

// What a date_format cannot do, or "".
std::string DateFormatProblem(absl::string_view format) {
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    if (i + 1 == format.size() ||
        !absl::StrContains("YymdHMS%", format[i + 1])) {
      return absl::StrCat("'", format.substr(i, 2),
                          "' is not one of %Y %y %m %d %H %M %S %%");
    }
    ++i;
  }
  return "";
}

// Resolves a mapping against a file header. Configuration mistakes (unknown
// schema field, column absent from the header) fail regardless of policy;
// data-level surprises (unknown or duplicate header columns) are reported
// under the builder's policy.
absl::Status BuildPlan(const v1::TableMapping& mapping,
                       const std::vector<std::string>& header,
                       absl::string_view source, DatasetBuilder& builder,
                       TablePlan* plan) {
  const std::vector<std::string> names = TableFields(mapping.table());
  plan->fields.assign(names.size(), FieldSource());
  for (size_t i = 0; i < names.size(); ++i) plan->fields[i].field = names[i];
  plan->header_columns = header.size();
  const bool customers = mapping.table() == v1::CUSTOMERS;
  if (mapping.negative_amounts_as() != v1::EVENT_KIND_UNSPECIFIED) {
    if (mapping.table() != v1::EVENTS ||
        !v1::EventKind_IsValid(mapping.negative_amounts_as())) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": negative_amounts_as: ",
          mapping.table() != v1::EVENTS
              ? "only the EVENTS table has amounts to turn into events"
              : absl::StrCat("unknown event kind ",
                             mapping.negative_amounts_as())));
    }
    plan->negative_amounts_as = mapping.negative_amounts_as();
  }

  absl::flat_hash_map<std::string, int> column_of;
  for (size_t c = 0; c < header.size(); ++c) {
    if (!column_of.emplace(header[c], c).second) {
      if (absl::Status s =
              builder.ReportError({source, 1}, header[c],
                                  absl::StrCat("duplicate column '", header[c],
                                               "' (the first one is used)"));
          !s.ok()) {
        return s;
      }
    }
  }
  auto field_index = [&](absl::string_view f) -> int {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == f) return i;
    }
    return -1;
  };
  std::vector<bool> used(header.size(), false);

  if (mapping.columns().empty()) {
    for (size_t c = 0; c < header.size(); ++c) {
      const std::string& h = header[c];
      if (column_of[h] != static_cast<int>(c)) continue;  // duplicate
      const int f = field_index(h);
      if (f >= 0) {
        plan->fields[f].column = c;
        used[c] = true;
      } else if (customers && absl::StartsWith(h, kAttrPrefix)) {
        plan->attributes.emplace_back(h.substr(kAttrPrefix.size()), c);
        used[c] = true;
      }
    }
  } else {
    for (int m = 0; m < mapping.columns_size(); ++m) {
      const v1::ColumnMapping& cm = mapping.columns(m);
      const std::string path = absl::StrCat("columns[", m, "]");
      int column = -1;
      if (cm.constant().empty()) {
        if (!cm.column().empty()) {
          auto it = column_of.find(cm.column());
          if (it == column_of.end()) {
            return absl::InvalidArgumentError(absl::StrCat(
                source, ": ", path, ".column: no column '", cm.column(),
                "' in the header (", absl::StrJoin(header, ","), ")"));
          }
          column = it->second;
        } else {
          column = cm.index();
          if (column < 0 ||
              (!header.empty() && column >= static_cast<int>(header.size()))) {
            return absl::InvalidArgumentError(absl::StrCat(
                source, ": ", path, ".index: ", column, " out of range"));
          }
        }
        if (column < static_cast<int>(used.size())) used[column] = true;
      }
      if (customers && absl::StartsWith(cm.field(), kAttrPrefix)) {
        if (column < 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(source, ": ", path, ": attributes need a column"));
        }
        plan->attributes.emplace_back(cm.field().substr(kAttrPrefix.size()),
                                      column);
        continue;
      }
      const int f = field_index(cm.field());
      if (f < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            source, ": ", path, ".field: unknown field '", cm.field(),
            "' of table ", v1::Table_Name(mapping.table()), " (one of ",
            absl::StrJoin(names, ", "), ")"));
      }
      FieldSource& fs = plan->fields[f];
      fs.column = column;
      fs.has_constant = !cm.constant().empty();
      fs.constant = cm.constant();
      if (!cm.values().empty()) fs.values = &cm.values();
      if (!cm.offset_reference_date().empty()) {
        if (!internal::ParseUnixTime(cm.offset_reference_date(),
                                     &fs.offset_reference)) {
          return absl::InvalidArgumentError(
              absl::StrCat(source, ": ", path, ".offset_reference_date: '",
                           cm.offset_reference_date(), "' is not a date"));
        }
        fs.offset_unit = cm.offset_unit() == v1::OFFSET_UNIT_UNSPECIFIED
                             ? v1::DAYS
                             : cm.offset_unit();
      }
      if (!cm.date_format().empty()) {
        if (std::string p = DateFormatProblem(cm.date_format()); !p.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(source, ": ", path, ".date_format: ", p));
        }
        fs.date_format = cm.date_format();
      }
      for (int k = 0; k < cm.multiply_by_size(); ++k) {
        auto it = column_of.find(cm.multiply_by(k));
        if (it == column_of.end()) {
          return absl::InvalidArgumentError(absl::StrCat(
              source, ": ", path, ".multiply_by[", k, "]: no column '",
              cm.multiply_by(k), "' in the header (",
              absl::StrJoin(header, ","), ")"));
        }
        fs.multiply.push_back(it->second);
        used[it->second] = true;
      }
    }
  }
  for (size_t c = 0; c < header.size(); ++c) {
    if (used[c] || column_of[header[c]] != static_cast<int>(c)) continue;
    if (customers && mapping.unmapped_to_attributes()) {
      plan->attributes.emplace_back(header[c], c);
      continue;
    }
    // A mapping names the columns it uses; vendor exports carry more.
    if (!mapping.columns().empty()) continue;
    if (absl::Status s = builder.ReportError(
            {source, 1}, header[c],
            absl::StrCat("unknown column '", header[c], "' (ignored)"));
        !s.ok()) {
      return s;
    }
  }
  for (const FieldSource& f : plan->fields) {
    plan->max_column = std::max(plan->max_column, f.column);
    for (int c : f.multiply) plan->max_column = std::max(plan->max_column, c);
  }
  for (const auto& a : plan->attributes) {
    plan->max_column = std::max(plan->max_column, a.second);
  }
  return absl::OkStatus();
}

// Text of a field in a record ("" when unmapped).
absl::string_view FieldText(const FieldSource& f,
                            const std::vector<absl::string_view>& record) {
  absl::string_view text;
  if (f.has_constant) {
    text = f.constant;
  } else if (f.column >= 0) {
    text = record[f.column];
  }
  if (f.values != nullptr) {
    auto it = f.values->find(std::string(text));
    if (it != f.values->end()) text = it->second;
  }
  return text;
}

// The number of a field: its text, times the number of each multiply_by
// column. On failure *bad is the text that is not a number.
bool FieldNumber(const FieldSource& f,
                 const std::vector<absl::string_view>& record, double* out,
                 absl::string_view* bad) {
  *bad = FieldText(f, record);
  if (!ParseDouble(*bad, out)) return false;
  for (int c : f.multiply) {
    double factor;
    *bad = record[c];
    if (!ParseDouble(*bad, &factor)) return false;
    *out *= factor;
  }
  return true;
}

// Reads `text` laid out as `format` (checked by DateFormatProblem).
bool ParseFormattedTime(absl::string_view format, absl::string_view text,
                        UnixSeconds* out) {
  int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  size_t t = 0;
  for (size_t f = 0; f < format.size(); ++f) {
    const char spec = format[f] == '%' ? format[++f] : '\0';
    if (spec == '\0' || spec == '%') {
      if (t == text.size() || text[t] != format[f]) return false;
      ++t;
      continue;
    }
    int64_t v = 0;
    int digits = 0;
    const int max_digits = spec == 'Y' ? 4 : 2;
    while (digits < max_digits && t < text.size() &&
           absl::ascii_isdigit(static_cast<unsigned char>(text[t]))) {
      v = v * 10 + (text[t++] - '0');
      ++digits;
    }
    if (digits == 0) return false;
    switch (spec) {
      case 'Y':
        year = v;
        break;
      case 'y':  // POSIX: 69-99 are 19xx, 00-68 20xx
        year = v < 69 ? 2000 + v : 1900 + v;
        break;
      case 'm':
        month = v;
        break;
      case 'd':
        day = v;
        break;
      case 'H':
        hour = v;
        break;
      case 'M':
        minute = v;
        break;
      default:
        second = v;
        break;
    }
  }
  if (t != text.size() || month < 1 || month > 12 || day < 1 || hour > 23 ||
      minute > 59 || second > 59) {
    return false;
  }
  const int64_t days = internal::DaysFromCivil(year, static_cast<int>(month),
                                               static_cast<int>(day));
  int64_t y;
  int m, d;
  internal::CivilFromDays(days, &y, &m, &d);
  if (y != year || m != month || d != day) return false;  // e.g. 02/30
  *out = days * 86400 + hour * 3600 + minute * 60 + second;
  return true;
}

// Parses a time field, honouring date formats and offsets ("n units before
// a date"). Empty text is kNoTime.
bool ParseTimeField(const FieldSource& f, absl::string_view text,
                    UnixSeconds* out) {
  text = Trim(text);
  if (text.empty()) {
    *out = kNoTime;
    return true;
  }
  if (!f.date_format.empty()) {
    return ParseFormattedTime(f.date_format, text, out);
  }
  if (f.offset_reference == kNoTime) {
    return internal::ParseUnixTime(text, out);
  }
  double n;
  if (!ParseDouble(text, &n) || !std::isfinite(n) || n < 0 || n > 1e6) {
    return false;
  }
  const int64_t k = static_cast<int64_t>(n);
  switch (f.offset_unit) {
    case v1::WEEKS:
      *out = f.offset_reference - k * 7 * 86400;
      return true;
    case v1::MONTHS: {
      const int64_t day = f.offset_reference / 86400;
      int64_t y;
      int m, d;
      internal::CivilFromDays(day, &y, &m, &d);
      int64_t months = y * 12 + (m - 1) - k;
      const int64_t ny = months >= 0 ? months / 12 : (months - 11) / 12;
      const int nm = static_cast<int>(months - ny * 12) + 1;
      const int nd = std::min(d, nm == 2 ? 28 : 30);  // clamp to a real day
      *out = internal::DaysFromCivil(ny, nm, nd) * 86400 +
             (f.offset_reference - day * 86400);
      return true;
    }
    default:
      *out = f.offset_reference - k * 86400;
      return true;
  }
}

std::string NotA(absl::string_view what, absl::string_view text) {
  return absl::StrCat("'", text, "' is not ", what);
}

// Converts one record to an EventInput; returns false (after reporting)
// when a field does not parse.
absl::Status ParseEventRow(const TablePlan& plan,
                           const std::vector<absl::string_view>& rec,
                           RowRef where, DatasetBuilder& builder,
                           EventInput* in, bool* ok) {
  *ok = true;
  auto fail = [&](int f, std::string reason) {
    *ok = false;
    return builder.ReportError(where, kEventFields[f], reason);
  };
  const auto& F = plan.fields;
  in->customer_id = FieldText(F[kCustomerId], rec);
  absl::string_view t = FieldText(F[kKind], rec);
  if (!KindIndex().Parse(t, &in->kind)) {
    return fail(kKind, absl::StrCat("unknown event kind '", t, "'"));
  }
  t = FieldText(F[kSubtype], rec);
  if (!SubtypeIndex().Parse(t, &in->subtype)) {
    return fail(kSubtype, absl::StrCat("unknown event subtype '", t, "'"));
  }
  t = FieldText(F[kTime], rec);
  if (!ParseTimeField(F[kTime], t, &in->time)) {
    return fail(kTime, NotA("a valid date or time", t));
  }
  if (!FieldNumber(F[kAmount], rec, &in->amount, &t)) {
    return fail(kAmount, NotA("a number", t));
  }
  if (!FieldNumber(F[kValue], rec, &in->value, &t)) {
    return fail(kValue, NotA("a number", t));
  }
  if (plan.negative_amounts_as != 0 && in->amount < 0) {
    in->kind = plan.negative_amounts_as;
    in->subtype = 0;
    in->amount = -in->amount;
    in->value = std::abs(in->value);
  }
  in->key = FieldText(F[kKey], rec);
  in->group = FieldText(F[kGroup], rec);
  in->flags = 0;
  for (int f = kComplaint; f <= kCreditUsed; ++f) {
    bool b;
    t = FieldText(F[f], rec);
    if (!ParseBool(t, &b)) return fail(f, NotA("a boolean", t));
    if (b) in->flags |= 1 << (f - kComplaint);
  }
  return absl::OkStatus();
}

// Fills a table message by reflection; returns false (after reporting) when
// a field does not parse.
absl::Status ParseMessageRow(const TablePlan& plan,
                             const std::vector<absl::string_view>& rec,
                             RowRef where, DatasetBuilder& builder,
                             pb::Message* msg, bool* ok) {
  *ok = true;
  const pb::Descriptor* d = msg->GetDescriptor();
  const pb::Reflection* r = msg->GetReflection();
  // A customer's cell that does not parse is reported and left unset (under
  // LENIENT): dropping the customer would drop its events, contacts and
  // contracts with it. Other rows are dropped.
  const bool keep_row = d == v1::Customer::descriptor();
  auto bad = [&](const FieldSource& f, std::string reason) {
    if (!keep_row) *ok = false;
    return builder.ReportError(where, f.field, reason);
  };
  for (const FieldSource& f : plan.fields) {
    if (f.column < 0 && !f.has_constant) continue;
    absl::string_view text = FieldText(f, rec);
    const pb::FieldDescriptor* fd = d->FindFieldByName(f.field);
    switch (fd->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_STRING:
        r->SetString(msg, fd, std::string(text));
        break;
      case pb::FieldDescriptor::CPPTYPE_DOUBLE: {
        double v;
        if (!FieldNumber(f, rec, &v, &text)) {
          if (absl::Status s = bad(f, NotA("a number", text)); !s.ok() || !*ok)
            return s;
          break;
        }
        r->SetDouble(msg, fd, v);
        break;
      }
      case pb::FieldDescriptor::CPPTYPE_BOOL: {
        bool v;
        if (!ParseBool(text, &v)) {
          if (absl::Status s = bad(f, NotA("a boolean", text)); !s.ok() || !*ok)
            return s;
          break;
        }
        r->SetBool(msg, fd, v);
        break;
      }
      case pb::FieldDescriptor::CPPTYPE_MESSAGE: {  // Timestamp
        UnixSeconds t;
        if (!ParseTimeField(f, text, &t)) {
          if (absl::Status s = bad(f, NotA("a valid date or time", text));
              !s.ok() || !*ok)
            return s;
          break;
        }
        if (t != kNoTime) {
          auto* ts = static_cast<pb::Timestamp*>(r->MutableMessage(msg, fd));
          ts->set_seconds(t);
        }
        break;
      }
      default:
        break;
    }
  }
  if (!plan.attributes.empty()) {
    auto* attrs = static_cast<v1::Customer*>(msg)->mutable_attributes();
    for (const auto& [key, column] : plan.attributes) {
      (*attrs)[key] = std::string(rec[column]);
    }
  }
  return absl::OkStatus();
}

absl::Status AddTableRow(v1::Table table, const pb::Message& msg, RowRef where,
                         DatasetBuilder& builder) {
  switch (table) {
    case v1::CUSTOMERS:
      return builder.AddCustomer(static_cast<const v1::Customer&>(msg), where);
    case v1::CONTACTS:
      return builder.AddContact(static_cast<const v1::Contact&>(msg), where);
    case v1::CONTRACTS:
      return builder.AddContract(static_cast<const v1::Contract&>(msg), where);
    case v1::OWNERS:
      return builder.AddOwner(static_cast<const v1::Owner&>(msg), where);
    default:
      return absl::InternalError("not a message table");
  }
}

std::unique_ptr<pb::Message> NewTableMessage(v1::Table t) {
  switch (t) {
    case v1::CUSTOMERS:
      return std::make_unique<v1::Customer>();
    case v1::CONTACTS:
      return std::make_unique<v1::Contact>();
    case v1::CONTRACTS:
      return std::make_unique<v1::Contract>();
    case v1::OWNERS:
      return std::make_unique<v1::Owner>();
    default:
      return nullptr;
  }
}

// ---- PB streams -------------------------------------------------------------

absl::Status ReadRecordStream(pb::io::ZeroCopyInputStream* in,
                              absl::string_view source, DatasetBuilder& builder,
                              const ReadProgress& progress = nullptr) {
  int64_t n = 0;
  for (;;) {
    // Every 4096 records: the previous CodedInputStream has given back
    // what it buffered, so ByteCount is what was consumed.
    if (progress && n % 4096 == 0) progress(in->ByteCount());
    pb::io::CodedInputStream coded(in);
    uint32_t size;
    if (!coded.ReadVarint32(&size)) {
      if (coded.CurrentPosition() == 0) return absl::OkStatus();  // clean end
      builder.CountRead(v1::TABLE_UNSPECIFIED);
      return builder.ReportError({source, n + 1}, "",
                                 "truncated record length (stream ends)");
    }
    ++n;
    if (size > kMaxRecordBytes) {
      builder.CountRead(v1::TABLE_UNSPECIFIED);
      return builder.ReportError(
          {source, n}, "",
          absl::StrCat("record length ", size, " exceeds the limit of ",
                       kMaxRecordBytes,
                       " bytes (corrupt stream; reading stops)"));
    }
    const auto limit = coded.PushLimit(static_cast<int>(size));
    v1::Record record;
    internal::ProtobufLogCapture log;
    const bool parsed = record.ParseFromCodedStream(&coded);
    const int missing = coded.BytesUntilLimit();
    if (!parsed || missing > 0) {
      builder.CountRead(v1::TABLE_UNSPECIFIED);
      if (missing > 0 && !coded.Skip(missing)) {
        return builder.ReportError({source, n}, "",
                                   absl::StrCat("truncated record: ", size,
                                                " bytes announced, stream ",
                                                "ends before (reading stops)"));
      }
      if (absl::Status s = builder.ReportError(
              {source, n}, "",
              log.text().empty()
                  ? std::string("malformed record bytes")
                  : absl::StrCat("malformed record bytes: ", log.text()));
          !s.ok()) {
        return s;
      }
      coded.PopLimit(limit);
      continue;
    }
    coded.PopLimit(limit);
    if (absl::Status s = AddRecord(record, {source, n}, builder); !s.ok()) {
      return s;
    }
  }
}

// The schema field a table needs that the plan neither reads nor sets,
// or nullptr.
const char* MissingRequiredField(v1::Table table, const TablePlan& plan) {
  auto missing = [&](int f) {
    return plan.fields[f].column < 0 && !plan.fields[f].has_constant;
  };
  if (table != v1::EVENTS) return missing(0) ? "id" : nullptr;
  for (int f : {kCustomerId, kKind, kTime}) {
    if (missing(f)) return kEventFields[f];
  }
  return nullptr;
}

}  // namespace

// ---- Event row times (internal/event_rows.h) --------------------------------

namespace internal {

struct EventRowTimes::Impl {
  TablePlan plan;
  // Takes the parse errors, which the partitioner leaves to the loader.
  DatasetBuilder builder;
  EventInput event;
};

EventRowTimes::EventRowTimes(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
EventRowTimes::~EventRowTimes() = default;

std::unique_ptr<EventRowTimes> EventRowTimes::Bind(
    const v1::TableMapping& mapping,
    const std::vector<absl::string_view>& header,
    const v1::ValidationOptions& validation) {
  if (mapping.table() != v1::EVENTS) return nullptr;
  v1::ValidationOptions lenient = validation;
  lenient.set_policy(v1::LENIENT);
  auto impl = std::make_unique<Impl>(Impl{{}, DatasetBuilder(lenient), {}});
  std::vector<std::string> names;
  for (absl::string_view h : header) names.emplace_back(Trim(h));
  if (!BuildPlan(mapping, names, mapping.path(), impl->builder, &impl->plan)
           .ok() ||
      MissingRequiredField(v1::EVENTS, impl->plan) != nullptr) {
    return nullptr;
  }
  return std::unique_ptr<EventRowTimes>(new EventRowTimes(std::move(impl)));
}

UnixSeconds EventRowTimes::KeptTime(
    const std::vector<absl::string_view>& record, UnixSeconds before) {
  const TablePlan& plan = impl_->plan;
  if ((plan.header_columns > 0 && record.size() != plan.header_columns) ||
      static_cast<int>(record.size()) <= plan.max_column) {
    return kNoTime;
  }
  // Most rows are no earlier than the earliest so far: their time alone
  // rules them out, without the rest of the row.
  UnixSeconds t;
  if (!ParseTimeField(plan.fields[kTime], FieldText(plan.fields[kTime], record),
                      &t) ||
      t == kNoTime || (before != kNoTime && t >= before)) {
    return kNoTime;
  }
  bool ok = false;
  if (!ParseEventRow(plan, record, {"", 0}, impl_->builder, &impl_->event, &ok)
           .ok() ||
      !ok) {
    return kNoTime;
  }
  return impl_->builder.CheckEvent(impl_->event, {}).ok() ? impl_->event.time
                                                          : kNoTime;
}

}  // namespace internal

// ---- Readers ----------------------------------------------------------------

absl::Status AddRecord(const v1::Record& r, RowRef where,
                       DatasetBuilder& builder) {
  switch (r.record_case()) {
    case v1::Record::kCustomer:
      return builder.AddCustomer(r.customer(), where);
    case v1::Record::kEvent:
      return builder.AddEvent(ToEventInput(r.event()), where);
    case v1::Record::kContact:
      return builder.AddContact(r.contact(), where);
    case v1::Record::kContract:
      return builder.AddContract(r.contract(), where);
    case v1::Record::kOwner:
      return builder.AddOwner(r.owner(), where);
    default:
      builder.CountRead(v1::TABLE_UNSPECIFIED);
      return builder.ReportError(where, "", "empty record (no table set)");
  }
}

absl::Status ReadCsvTable(const v1::TableMapping& mapping,
                          DatasetBuilder& builder,
                          const ReadProgress& progress) {
  const v1::Table table = mapping.table();
  if (table == v1::TABLE_UNSPECIFIED || !v1::Table_IsValid(table)) {
    return absl::InvalidArgumentError(
        absl::StrCat(mapping.path(), ": table: not set or unknown"));
  }
  absl::StatusOr<internal::CsvOptions> csv_options =
      internal::CsvOptionsOf(mapping);
  if (!csv_options.ok()) return csv_options.status();
  csv_options->on_read = progress;
  absl::StatusOr<std::unique_ptr<internal::CsvReader>> reader =
      internal::CsvReader::Open(mapping.path(), *csv_options);
  if (!reader.ok()) return reader.status();
  const std::string source = mapping.path();
  if (mapping.implicit_customers()) builder.set_implicit_customers(true);

  // A file that cannot be read at all is skipped and reported, except the
  // customers table: without it every other row would fail as "unknown
  // customer", so the load fails whatever the policy.
  auto unusable = [&](absl::string_view field, absl::string_view reason) {
    if (table == v1::CUSTOMERS) {
      return absl::InvalidArgumentError(internal::ToValidUtf8(absl::StrCat(
          source, ":1: ", field.empty() ? "" : absl::StrCat(field, ": "),
          reason, " (the customers table is required)")));
    }
    return builder.ReportError({source, 1}, field,
                               absl::StrCat(reason, "; the file is skipped"));
  };
  std::vector<absl::string_view> rec;
  std::vector<std::string> header;
  if (!mapping.no_header()) {
    absl::StatusOr<bool> got = (*reader)->Next(&rec);
    if (!got.ok()) return unusable("", got.status().message());
    if (!*got) return unusable("", "empty file (no header)");
    for (absl::string_view h : rec) header.emplace_back(Trim(h));
  }
  TablePlan plan;
  if (absl::Status s = BuildPlan(mapping, header, source, builder, &plan);
      !s.ok()) {
    return s;
  }
  if (const char* f = MissingRequiredField(table, plan); f != nullptr) {
    return unusable(f, absl::StrCat("required column '", f, "' is missing"));
  }

  std::unique_ptr<pb::Message> msg = NewTableMessage(table);
  EventInput event;
  for (;;) {
    absl::StatusOr<bool> got = (*reader)->Next(&rec);
    if (!got.ok()) {
      if (got.status().code() == absl::StatusCode::kDataLoss) {
        return absl::DataLossError(
            absl::StrCat(source, ": ", got.status().message()));
      }
      // A broken record: the reader resumes after its first line.
      builder.CountRead(table);
      if (absl::Status s = builder.ReportError({source, (*reader)->line()}, "",
                                               got.status().message());
          !s.ok()) {
        return s;
      }
      continue;
    }
    if (!*got) break;
    const RowRef where{source, (*reader)->line()};
    const size_t expected = plan.header_columns;
    if ((expected > 0 && rec.size() != expected) ||
        static_cast<int>(rec.size()) <= plan.max_column) {
      builder.CountRead(table);
      const size_t want = expected > 0 ? expected : plan.max_column + 1;
      if (absl::Status s = builder.ReportError(
              where, "",
              absl::StrCat("expected ", want, " fields, found ", rec.size()));
          !s.ok()) {
        return s;
      }
      continue;
    }
    bool ok;
    absl::Status s;
    if (table == v1::EVENTS) {
      s = ParseEventRow(plan, rec, where, builder, &event, &ok);
      if (s.ok() && ok) s = builder.AddEvent(event, where);
    } else {
      msg->Clear();
      s = ParseMessageRow(plan, rec, where, builder, msg.get(), &ok);
      if (s.ok() && ok) s = AddTableRow(table, *msg, where, builder);
    }
    if (s.ok() && !ok) builder.CountRead(table);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ReadJsonl(const std::string& path, DatasetBuilder& builder,
                       const ReadProgress& progress) {
  absl::StatusOr<std::FILE*> f = internal::OpenRegularFileStream(path);
  if (!f.ok()) return f.status();
  LineReader lines(*f, progress);
  std::string line;
  bool too_long;
  int64_t row = 0;
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  v1::Record record;
  while (lines.Next(&line, &too_long)) {
    ++row;
    const RowRef where{path, row};
    if (too_long) {
      builder.CountRead(v1::TABLE_UNSPECIFIED);
      if (absl::Status s = builder.ReportError(
              where, "",
              absl::StrCat("line longer than ", kMaxRecordBytes,
                           " bytes (skipped)"));
          !s.ok()) {
        return s;
      }
      continue;
    }
    if (row == 1 && internal::StartsWithUtf16Bom(line)) {
      return internal::Utf16Error(path);
    }
    if (Trim(line).empty()) continue;
    record.Clear();
    auto status = pb::util::JsonStringToMessage(line, &record, options);
    if (!status.ok()) {
      builder.CountRead(v1::TABLE_UNSPECIFIED);
      if (absl::Status s =
              builder.ReportError(where, "",
                                  absl::StrCat("invalid JSON record: ",
                                               status.message().as_string()));
          !s.ok()) {
        return s;
      }
      continue;
    }
    if (absl::Status s = AddRecord(record, where, builder); !s.ok()) return s;
  }
  if (std::ferror(*f)) {
    return absl::DataLossError(
        absl::StrCat(path, ": read failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status ReadPbStream(const std::string& path, DatasetBuilder& builder,
                          const ReadProgress& progress) {
  absl::StatusOr<int> fd = internal::OpenRegularFile(path);
  if (!fd.ok()) return fd.status();
  pb::io::FileInputStream in(*fd);
  in.SetCloseOnDelete(true);
  absl::Status s = ReadRecordStream(&in, path, builder, progress);
  if (s.ok() && progress) progress(in.ByteCount());
  if (s.ok() && in.GetErrno() != 0) {
    return absl::DataLossError(
        absl::StrCat(path, ": read failed: ", std::strerror(in.GetErrno())));
  }
  return s;
}

absl::Status ReadPbStreamBytes(absl::string_view bytes,
                               absl::string_view source,
                               DatasetBuilder& builder) {
  // Checked before the stream exists: it takes the size as an int.
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": more than 2 GiB of records in one buffer"));
  }
  pb::io::ArrayInputStream in(bytes.data(), static_cast<int>(bytes.size()));
  return ReadRecordStream(&in, source, builder);
}

absl::StatusOr<LoadResult> LoadDataset(const v1::LoadOptions& options,
                                       const LoadProgress& progress) {
  DatasetBuilder builder(options.validation());
  // The ReadProgress of one file, reporting to `progress` with its size.
  auto progress_of = [&progress](const std::string& file) -> ReadProgress {
    if (!progress) return nullptr;
    std::error_code ec;
    const uintmax_t size = fs::file_size(file, ec);
    const int64_t total = ec ? 0 : static_cast<int64_t>(size);
    return
        [&progress, file, total](int64_t done) { progress(file, done, total); };
  };
  const fs::path base = options.base_dir();
  auto resolve = [&](const std::string& p) {
    return options.base_dir().empty() || fs::path(p).is_absolute()
               ? p
               : (base / p).string();
  };
  if (options.paths().empty() && options.tables().empty()) {
    return absl::InvalidArgumentError(
        "LoadOptions.paths: no input given (paths or tables)");
  }
  if (!options.history_start().empty()) {
    UnixSeconds start;
    if (!internal::ParseUnixTime(options.history_start(), &start)) {
      return absl::InvalidArgumentError(
          absl::StrCat("LoadOptions.history_start: '", options.history_start(),
                       "' is not an ISO-8601 date or time"));
    }
    builder.set_history_start(start);
  }
  for (const std::string& raw : options.paths()) {
    const std::string path = resolve(raw);
    v1::Format format = options.format();
    if (format == v1::FORMAT_UNSPECIFIED) {
      absl::StatusOr<v1::Format> inferred = InferFormat(path);
      if (!inferred.ok()) return inferred.status();
      format = *inferred;
    }
    absl::Status s;
    switch (format) {
      case v1::CSV: {
        std::error_code ec;
        if (!fs::is_directory(path, ec)) {
          return absl::NotFoundError(absl::StrCat(
              path,
              ": not a directory of CSV tables (customers.csv, "
              "events.csv...); use LoadOptions.tables for single files"));
        }
        if (!internal::PathEntryExists(
                (fs::path(path) / "customers.csv").string())) {
          return absl::NotFoundError(
              absl::StrCat(path, ": customers.csv not found"));
        }
        for (v1::Table t : kTables) {
          const fs::path file = fs::path(path) / TableFile(t);
          // Whatever is there, even a dangling symbolic link, is opened so
          // that it fails loudly rather than counting as an absent table.
          if (!internal::PathEntryExists(file.string())) continue;
          v1::TableMapping mapping;
          mapping.set_table(t);
          mapping.set_path(file.string());
          s = ReadCsvTable(mapping, builder, progress_of(file.string()));
          if (!s.ok()) break;
        }
        break;
      }
      case v1::JSONL:
        s = ReadJsonl(path, builder, progress_of(path));
        break;
      case v1::PB:
        s = ReadPbStream(path, builder, progress_of(path));
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("LoadOptions.format: unknown format ", format));
    }
    if (!s.ok()) return s;
  }
  for (const v1::TableMapping& t : options.tables()) {
    v1::TableMapping mapping = t;
    mapping.set_path(resolve(t.path()));
    if (absl::Status s =
            ReadCsvTable(mapping, builder, progress_of(mapping.path()));
        !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<Dataset> ds = builder.Build();
  if (!ds.ok()) return ds.status();
  return LoadResult{std::move(*ds), builder.report()};
}

absl::StatusOr<LoadResult> LoadRecordStream(
    absl::string_view bytes, const v1::ValidationOptions& validation,
    absl::string_view source) {
  DatasetBuilder builder(validation);
  if (absl::Status s = ReadPbStreamBytes(bytes, source, builder); !s.ok()) {
    return s;
  }
  absl::StatusOr<Dataset> ds = builder.Build();
  if (!ds.ok()) return ds.status();
  return LoadResult{std::move(*ds), builder.report()};
}

// ---- Configs ----------------------------------------------------------------

namespace {
class CollectErrors : public pb::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (!first_.empty()) return;
    first_ =
        absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};
}  // namespace

absl::Status ParseTextProto(absl::string_view text, pb::Message* message) {
  if (message == nullptr) return absl::InvalidArgumentError("message: null");
  pb::TextFormat::Parser parser;
  CollectErrors errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), message)) {
    return absl::InvalidArgumentError(
        absl::StrCat(message->GetDescriptor()->full_name(), ": ",
                     errors.first().empty() ? "parse error" : errors.first()));
  }
  // The text parser takes any bytes in a string; such a config would make
  // every message and error carrying them unreadable.
  if (std::string field = internal::FirstInvalidUtf8Field(*message);
      !field.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(message->GetDescriptor()->full_name(), ": ",
                     internal::ToValidUtf8(field), ": not valid UTF-8"));
  }
  return absl::OkStatus();
}

absl::Status ParseBinaryProto(absl::string_view bytes, pb::Message* message) {
  if (message == nullptr) return absl::InvalidArgumentError("message: null");
  const std::string& type = message->GetDescriptor()->full_name();
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a serialized ", type, " (over 2 GiB)"));
  }
  internal::ProtobufLogCapture log;
  if (!message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(internal::ToValidUtf8(absl::StrCat(
        "not a serialized ", type,
        log.text().empty() ? "" : absl::StrCat(": ", log.text()))));
  }
  // Bytes of another message parse too, as fields this one does not know.
  if (!message->GetReflection()->GetUnknownFields(*message).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a serialized ", type, ": it holds field numbers ",
                     type, " does not have (another message?)"));
  }
  return absl::OkStatus();
}

std::string ToValidUtf8(absl::string_view text) {
  return internal::ToValidUtf8(text);
}

absl::Status ReadConfigFile(const std::string& path, pb::Message* message) {
  if (message == nullptr) return absl::InvalidArgumentError("message: null");
  absl::StatusOr<std::string> read =
      internal::ReadRegularFile(path, kMaxRecordBytes);
  if (!read.ok()) return read.status();
  const std::string& bytes = *read;
  if (absl::EndsWith(path, ".pb") || absl::EndsWith(path, ".binpb")) {
    absl::Status s = ParseBinaryProto(bytes, message);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
    }
    return absl::OkStatus();
  }
  if (internal::StartsWithUtf16Bom(bytes)) return internal::Utf16Error(path);
  absl::Status s = ParseTextProto(bytes, message);
  if (!s.ok())
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFileBytes(const std::string& path,
                                          size_t max_bytes) {
  return internal::ReadRegularFile(path, max_bytes);
}

absl::Status WriteTextProtoFile(const std::string& path,
                                const pb::Message& message) {
  std::string text;
  if (!pb::TextFormat::PrintToString(message, &text)) {
    return absl::InternalError(absl::StrCat(
        path, ": cannot print ", message.GetDescriptor()->full_name()));
  }
  return WriteFileBytes(path, text);
}

absl::Status WriteFileBytes(const std::string& path, absl::string_view bytes) {
  PendingFile file;
  if (absl::Status s = file.Open(path); !s.ok()) return s;
  file.Append(bytes);
  return file.Commit();
}

}  // namespace churnkit
