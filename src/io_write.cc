// Writing data sets (CSV, JSONL, PB), record by record, and messages as
// CSV rows; the reading side is io.cc.
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "churnkit/io.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver_util.h"
#include "internal/csv.h"
#include "internal/input_files.h"
#include "internal/pending_file.h"
#include "internal/time.h"

namespace churnkit {
namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;

using internal::kAttrPrefix;
using internal::kTables;
using internal::PendingFile;
using internal::TableFields;
using internal::TableFile;

void AppendNumber(double v, std::string* out) {
  if (v == 0) return;  // empty cell means 0
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, end);
}

std::string TimeText(UnixSeconds t) {
  return t == kNoTime ? std::string() : internal::FormatUnixTime(t);
}
std::string TimeText(const pb::Timestamp& t) {
  return t.seconds() == 0 && t.nanos() == 0
             ? std::string()
             : internal::FormatUnixTime(t.seconds());
}

class CsvWriter : public RecordWriter {
 public:
  absl::Status Open(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      return absl::PermissionDeniedError(
          absl::StrCat(dir, ": cannot create directory: ", ec.message()));
    }
    dir_ = dir;
    for (v1::Table t : kTables) {
      PendingFile& f = files_[t];
      if (absl::Status s = f.Open((fs::path(dir) / TableFile(t)).string());
          !s.ok()) {
        return s;
      }
      if (t != v1::CUSTOMERS) {
        f.Append(absl::StrCat(absl::StrJoin(TableFields(t), ","), "\n"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Write(const v1::Record& r) override {
    switch (r.record_case()) {
      case v1::Record::kCustomer:
        for (const auto& [k, v] : r.customer().attributes()) {
          attribute_keys_.emplace(k, 0);
        }
        customers_.push_back(r.customer());
        return absl::OkStatus();
      case v1::Record::kEvent:
        return WriteEventRow(ToEventInput(r.event()));
      case v1::Record::kContact:
        WriteMessageRow(v1::CONTACTS, r.contact());
        return absl::OkStatus();
      case v1::Record::kContract:
        WriteMessageRow(v1::CONTRACTS, r.contract());
        return absl::OkStatus();
      case v1::Record::kOwner:
        WriteMessageRow(v1::OWNERS, r.owner());
        return absl::OkStatus();
      default:
        return absl::InvalidArgumentError("Write: empty record");
    }
  }

  absl::Status WriteEvent(const EventInput& e) override {
    return WriteEventRow(e);
  }

  absl::Status Close() override {
    // Customers are buffered so the header can list every attribute.
    PendingFile& f = files_[v1::CUSTOMERS];
    std::vector<std::string> header = TableFields(v1::CUSTOMERS);
    std::vector<std::string> keys;
    for (const auto& [k, unused] : attribute_keys_) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    std::string line;
    for (size_t i = 0; i < header.size(); ++i) {
      if (i > 0) line.push_back(',');
      line.append(header[i]);
    }
    for (const std::string& k : keys) {
      line.push_back(',');
      internal::AppendCsvField(absl::StrCat(kAttrPrefix, k), &line);
    }
    line.push_back('\n');
    f.Append(line);
    for (const v1::Customer& c : customers_) {
      line.clear();
      AppendMessageFields(c, &line);
      for (const std::string& k : keys) {
        line.push_back(',');
        auto it = c.attributes().find(k);
        if (it != c.attributes().end()) {
          internal::AppendCsvField(it->second, &line);
        }
      }
      line.push_back('\n');
      f.Append(line);
    }
    for (v1::Table t : kTables) {
      if (absl::Status s = files_[t].Commit(); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  absl::Status WriteEventRow(const EventInput& e) {
    if (!v1::EventKind_IsValid(e.kind) ||
        (e.subtype != 0 && !v1::EventSubtype_IsValid(e.subtype))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "WriteEvent: invalid kind ", e.kind, " or subtype ", e.subtype));
    }
    PendingFile& f = files_[v1::EVENTS];
    std::string* out = f.buffer();
    internal::AppendCsvField(e.customer_id, out);
    out->push_back(',');
    out->append(v1::EventKind_Name(e.kind));
    out->push_back(',');
    out->append(TimeText(e.time));
    out->push_back(',');
    if (e.subtype != 0) out->append(v1::EventSubtype_Name(e.subtype));
    out->push_back(',');
    AppendNumber(e.amount, out);
    out->push_back(',');
    AppendNumber(e.value, out);
    out->push_back(',');
    internal::AppendCsvField(e.key, out);
    out->push_back(',');
    internal::AppendCsvField(e.group, out);
    for (int b = 0; b < 5; ++b) {
      out->push_back(',');
      if (e.flags & (1 << b)) out->push_back('1');
    }
    out->push_back('\n');
    f.MaybeFlush();
    return absl::OkStatus();
  }

  // Scalar fields in TableFields order, by reflection.
  static void AppendMessageFields(const pb::Message& m, std::string* line) {
    const pb::Descriptor* d = m.GetDescriptor();
    const pb::Reflection* r = m.GetReflection();
    bool first = true;
    for (int i = 0; i < d->field_count(); ++i) {
      const pb::FieldDescriptor* fd = d->field(i);
      if (fd->is_map()) continue;
      if (!first) line->push_back(',');
      first = false;
      switch (fd->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_STRING:
          internal::AppendCsvField(r->GetString(m, fd), line);
          break;
        case pb::FieldDescriptor::CPPTYPE_DOUBLE:
          AppendNumber(r->GetDouble(m, fd), line);
          break;
        case pb::FieldDescriptor::CPPTYPE_BOOL:
          if (r->GetBool(m, fd)) line->push_back('1');
          break;
        case pb::FieldDescriptor::CPPTYPE_MESSAGE:
          line->append(TimeText(
              static_cast<const pb::Timestamp&>(r->GetMessage(m, fd))));
          break;
        default:
          break;
      }
    }
  }

  void WriteMessageRow(v1::Table t, const pb::Message& m) {
    std::string line;
    AppendMessageFields(m, &line);
    line.push_back('\n');
    files_[t].Append(line);
  }

  std::string dir_;
  PendingFile files_[v1::Table_ARRAYSIZE];  // indexed by v1::Table
  std::vector<v1::Customer> customers_;
  absl::flat_hash_map<std::string, int> attribute_keys_;
};

v1::Event ToEvent(const EventInput& e) {
  v1::Event m;
  m.set_customer_id(std::string(e.customer_id));
  m.set_kind(static_cast<v1::EventKind>(e.kind));
  if (e.time != kNoTime) m.mutable_time()->set_seconds(e.time);
  m.set_subtype(static_cast<v1::EventSubtype>(e.subtype));
  m.set_amount(e.amount);
  m.set_value(e.value);
  m.set_key(std::string(e.key));
  m.set_group(std::string(e.group));
  m.set_complaint(e.flags & kFlagComplaint);
  m.set_stockout(e.flags & kFlagStockout);
  m.set_decision_maker(e.flags & kFlagDecisionMaker);
  m.set_negative_feedback(e.flags & kFlagNegativeFeedback);
  m.set_credit_used(e.flags & kFlagCreditUsed);
  return m;
}

class JsonlWriter : public RecordWriter {
 public:
  absl::Status Open(const std::string& path) { return file_.Open(path); }
  absl::Status Write(const v1::Record& r) override {
    std::string json;
    pb::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    // MessageToJsonString, but from a deterministic serialization (map
    // entries sorted by key), so the same record gives the same line.
    static pb::util::TypeResolver* resolver =
        pb::util::NewTypeResolverForDescriptorPool(
            "type.googleapis.com", pb::DescriptorPool::generated_pool());
    std::string bytes;
    {
      pb::io::StringOutputStream stream(&bytes);
      pb::io::CodedOutputStream coded(&stream);
      coded.SetSerializationDeterministic(true);
      r.SerializeToCodedStream(&coded);
    }
    auto status = pb::util::BinaryToJsonString(
        resolver, absl::StrCat("type.googleapis.com/", r.GetTypeName()), bytes,
        &json, options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Write: ", status.ToString()));
    }
    json.push_back('\n');
    file_.Append(json);
    return absl::OkStatus();
  }
  absl::Status WriteEvent(const EventInput& e) override {
    v1::Record r;
    *r.mutable_event() = ToEvent(e);
    return Write(r);
  }
  absl::Status Close() override { return file_.Commit(); }

 private:
  PendingFile file_;
};

// Appends `r` to `out` as one record of a length-delimited stream.
void AppendDelimited(const v1::Record& r, std::string* out) {
  const size_t size = r.ByteSizeLong();
  uint8_t varint[10];
  uint8_t* end = pb::io::CodedOutputStream::WriteVarint32ToArray(
      static_cast<uint32_t>(size), varint);
  out->append(reinterpret_cast<char*>(varint), end - varint);
  const size_t at = out->size();
  out->resize(at + size);
  pb::io::ArrayOutputStream array(&(*out)[at], static_cast<int>(size));
  pb::io::CodedOutputStream coded(&array);
  // Map entries sorted by key: the same record gives the same bytes.
  coded.SetSerializationDeterministic(true);
  r.SerializeWithCachedSizes(&coded);
}  // The stream writes its last buffered bytes when destroyed.

class PbWriter : public RecordWriter {
 public:
  absl::Status Open(const std::string& path) { return file_.Open(path); }
  absl::Status Write(const v1::Record& r) override {
    AppendDelimited(r, file_.buffer());
    file_.MaybeFlush();
    return absl::OkStatus();
  }
  absl::Status WriteEvent(const EventInput& e) override {
    v1::Record r;
    *r.mutable_event() = ToEvent(e);
    return Write(r);
  }
  absl::Status Close() override { return file_.Commit(); }

 private:
  PendingFile file_;
};

// The PB stream in memory (SerializeDataset).
class PbStringWriter : public RecordWriter {
 public:
  explicit PbStringWriter(std::string* out) : out_(out) {}
  absl::Status Write(const v1::Record& r) override {
    if (out_->size() > static_cast<size_t>(PTRDIFF_MAX) / 2) {
      return absl::ResourceExhaustedError("data set too large to serialize");
    }
    AppendDelimited(r, out_);
    return absl::OkStatus();
  }
  absl::Status WriteEvent(const EventInput& e) override {
    v1::Record r;
    *r.mutable_event() = ToEvent(e);
    return Write(r);
  }
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  std::string* out_;
};

}  // namespace

// ---- Writing
// ------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<RecordWriter>> RecordWriter::Open(
    v1::Format format, const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("path: empty");
  switch (format) {
    case v1::CSV: {
      auto w = std::make_unique<CsvWriter>();
      if (absl::Status s = w->Open(path); !s.ok()) return s;
      return w;
    }
    case v1::JSONL: {
      auto w = std::make_unique<JsonlWriter>();
      if (absl::Status s = w->Open(path); !s.ok()) return s;
      return w;
    }
    case v1::PB: {
      auto w = std::make_unique<PbWriter>();
      if (absl::Status s = w->Open(path); !s.ok()) return s;
      return w;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("format: unknown format ", format));
  }
}

namespace {

// Every record of `ds` into `w`: owners, customers, contacts and
// contracts, then events, each in customer order.
absl::Status EmitDataset(const Dataset& ds, RecordWriter& w) {
  v1::Record r;
  auto emit = [&]() { return w.Write(r); };
  for (size_t i = 0; i < ds.num_owners(); ++i) {
    *r.mutable_owner() = ds.OwnerMessage(i);
    if (absl::Status s = emit(); !s.ok()) return s;
  }
  const size_t n = ds.num_customers();
  for (CustomerIndex c = 0; c < n; ++c) {
    *r.mutable_customer() = ds.CustomerMessage(c);
    if (absl::Status s = emit(); !s.ok()) return s;
  }
  for (CustomerIndex c = 0; c < n; ++c) {
    for (size_t i = ds.contacts().offsets[c]; i < ds.contacts().offsets[c + 1];
         ++i) {
      *r.mutable_contact() = ds.ContactMessage(i, c);
      if (absl::Status s = emit(); !s.ok()) return s;
    }
    for (size_t i = ds.contracts().offsets[c];
         i < ds.contracts().offsets[c + 1]; ++i) {
      *r.mutable_contract() = ds.ContractMessage(i, c);
      if (absl::Status s = emit(); !s.ok()) return s;
    }
  }
  const EventTable& ev = ds.events();
  for (CustomerIndex c = 0; c < n; ++c) {
    for (size_t e = ds.event_begin(c); e < ds.event_end(c); ++e) {
      EventInput in;
      in.customer_id = ds.customer_id(c);
      in.kind = ev.kind[e];
      in.subtype = ev.subtype[e];
      in.time = ev.time[e];
      in.amount = ev.amount[e];
      in.value = ev.value[e];
      in.key = ds.str(ev.key[e]);
      in.group = ds.str(ev.group[e]);
      in.flags = ev.flags[e];
      if (absl::Status s = w.WriteEvent(in); !s.ok()) return s;
    }
  }
  return w.Close();
}

}  // namespace

absl::Status WriteDataset(const Dataset& ds, v1::Format format,
                          const std::string& path) {
  absl::StatusOr<std::unique_ptr<RecordWriter>> w =
      RecordWriter::Open(format, path);
  if (!w.ok()) return w.status();
  return EmitDataset(ds, **w);
}

absl::StatusOr<std::string> SerializeDataset(const Dataset& ds) {
  std::string out;
  PbStringWriter w(&out);
  if (absl::Status s = EmitDataset(ds, w); !s.ok()) return s;
  return out;
}

absl::StatusOr<v1::Format> ParseFormat(absl::string_view name) {
  if (absl::EqualsIgnoreCase(name, "csv")) return v1::CSV;
  if (absl::EqualsIgnoreCase(name, "jsonl")) return v1::JSONL;
  if (absl::EqualsIgnoreCase(name, "pb")) return v1::PB;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format '", name, "' (csv, jsonl or pb)"));
}

// ---- MessageCsvWriter
// ----------------------------------------------------------

struct MessageCsvWriter::Impl {
  const pb::Descriptor* type = nullptr;
  std::vector<const pb::FieldDescriptor*> fields;
  PendingFile file;
};

MessageCsvWriter::MessageCsvWriter(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
MessageCsvWriter::~MessageCsvWriter() = default;

absl::StatusOr<std::unique_ptr<MessageCsvWriter>> MessageCsvWriter::Open(
    const std::string& path, const pb::Descriptor* type) {
  if (type == nullptr) return absl::InvalidArgumentError("type: null");
  auto impl = std::make_unique<Impl>();
  impl->type = type;
  std::string header;
  for (int i = 0; i < type->field_count(); ++i) {
    const pb::FieldDescriptor* f = type->field(i);
    if (f->is_repeated()) continue;
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE &&
        f->message_type() != pb::Timestamp::descriptor()) {
      continue;
    }
    if (!impl->fields.empty()) header.push_back(',');
    internal::AppendCsvField(f->name(), &header);
    impl->fields.push_back(f);
  }
  header.push_back('\n');
  if (absl::Status s = impl->file.Open(path); !s.ok()) return s;
  impl->file.Append(header);
  return std::unique_ptr<MessageCsvWriter>(
      new MessageCsvWriter(std::move(impl)));
}

absl::Status MessageCsvWriter::Write(const pb::Message& m) {
  if (m.GetDescriptor() != impl_->type) {
    return absl::InvalidArgumentError(
        absl::StrCat("Write: a ", m.GetDescriptor()->full_name(),
                     " given to a writer of ", impl_->type->full_name()));
  }
  const pb::Reflection* r = m.GetReflection();
  std::string* out = impl_->file.buffer();
  char buf[32];
  auto number = [&](auto v) {
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    out->append(buf, end);
  };
  bool first = true;
  for (const pb::FieldDescriptor* f : impl_->fields) {
    if (!first) out->push_back(',');
    first = false;
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_INT32:
        number(r->GetInt32(m, f));
        break;
      case pb::FieldDescriptor::CPPTYPE_INT64:
        number(r->GetInt64(m, f));
        break;
      case pb::FieldDescriptor::CPPTYPE_UINT32:
        number(r->GetUInt32(m, f));
        break;
      case pb::FieldDescriptor::CPPTYPE_UINT64:
        number(r->GetUInt64(m, f));
        break;
      case pb::FieldDescriptor::CPPTYPE_DOUBLE:
        number(r->GetDouble(m, f));
        break;
      case pb::FieldDescriptor::CPPTYPE_FLOAT:
        number(r->GetFloat(m, f));
        break;
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        out->push_back(r->GetBool(m, f) ? '1' : '0');
        break;
      case pb::FieldDescriptor::CPPTYPE_ENUM:
        out->append(r->GetEnum(m, f)->name());
        break;
      case pb::FieldDescriptor::CPPTYPE_STRING:
        internal::AppendCsvField(r->GetString(m, f), out);
        break;
      case pb::FieldDescriptor::CPPTYPE_MESSAGE:
        if (r->HasField(m, f)) {
          out->append(
              TimeText(static_cast<const pb::Timestamp&>(r->GetMessage(m, f))));
        }
        break;
    }
  }
  out->push_back('\n');
  impl_->file.MaybeFlush();
  return absl::OkStatus();
}

absl::Status MessageCsvWriter::Close() { return impl_->file.Commit(); }

}  // namespace churnkit
