#include "churnkit/partition.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "churnkit/dataset.h"
#include "churnkit/io.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"
#include "google/protobuf/util/json_util.h"
#include "internal/config_util.h"
#include "internal/csv.h"
#include "internal/event_rows.h"
#include "internal/file.h"
#include "internal/input_files.h"
#include "internal/time.h"

namespace churnkit {
namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;

using internal::kMaxRecordBytes;
using internal::PathError;

constexpr int kMaxPartitions = 4096;
// Each partition's pending bytes are appended to its file past this size,
// so memory is bounded by partitions x 64 KiB whatever the input.
constexpr size_t kFlushBytes = size_t{64} << 10;

// One output file per partition (the same name in each partition's
// directory), written through an append buffer.
class PartitionedFile {
 public:
  explicit PartitionedFile(std::vector<std::string> paths)
      : paths_(std::move(paths)), pending_(paths_.size()) {}

  // Appends `bytes` to partition `p`'s file.
  absl::Status Append(int p, absl::string_view bytes) {
    pending_[p].append(bytes.data(), bytes.size());
    ++rows_[p];
    return pending_[p].size() >= kFlushBytes ? Flush(p) : absl::OkStatus();
  }
  // Appends `bytes` to every partition's file (not counted as a row when
  // `row` is false, e.g. a header).
  absl::Status AppendToAll(absl::string_view bytes, bool row) {
    for (size_t p = 0; p < paths_.size(); ++p) {
      pending_[p].append(bytes.data(), bytes.size());
      rows_[p] += row ? 1 : 0;
      if (pending_[p].size() >= kFlushBytes) {
        if (absl::Status s = Flush(static_cast<int>(p)); !s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }
  absl::Status Close() {
    for (size_t p = 0; p < paths_.size(); ++p) {
      if (absl::Status s = Flush(static_cast<int>(p)); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  int64_t rows(int p) const { return rows_[p]; }

 private:
  absl::Status Flush(int p) {
    std::FILE* f = std::fopen(paths_[p].c_str(), "ab");
    if (f == nullptr) {
      return absl::UnavailableError(
          absl::StrCat(paths_[p], ": cannot write: ", std::strerror(errno)));
    }
    const size_t n = std::fwrite(pending_[p].data(), 1, pending_[p].size(), f);
    if (std::fclose(f) != 0 || n != pending_[p].size()) {
      return absl::UnavailableError(
          absl::StrCat(paths_[p], ": write failed: ", std::strerror(errno)));
    }
    pending_[p].clear();
    return absl::OkStatus();
  }

  std::vector<std::string> paths_;
  std::vector<std::string> pending_;
  std::vector<int64_t> rows_ = std::vector<int64_t>(paths_.size());
};

// The state of one run: the partitions' directories and the counts.
struct Run {
  int n = 0;
  std::vector<fs::path> dirs;  // final directories, one per partition
  fs::path tmp;                // where they are written first
  v1::PartitionResult result;
  std::vector<int64_t> rows;
  // Checks events as the loader would, for the history's start: the
  // earliest event time the loader keeps.
  std::unique_ptr<DatasetBuilder> validator;
  UnixSeconds history_start = kNoTime;

  void SeeEvent(UnixSeconds t) {
    if (t != kNoTime && (history_start == kNoTime || t < history_start)) {
      history_start = t;
    }
  }

  fs::path TmpFile(int p, const std::string& name) const {
    return tmp / dirs[p].filename() / name;
  }
  std::vector<std::string> TmpFiles(const std::string& name) const {
    std::vector<std::string> out;
    for (int p = 0; p < n; ++p) out.push_back(TmpFile(p, name).string());
    return out;
  }
  void Error(const std::string& source, int64_t row, absl::string_view why) {
    v1::DataError* e = result.add_errors();
    e->set_source(source);
    e->set_row(row);
    e->set_reason(std::string(why));
    result.set_unrouted(result.unrouted() + 1);
  }
  void Count(const PartitionedFile& file) {
    for (int p = 0; p < n; ++p) rows[p] += file.rows(p);
  }
};

// The id column of a table: its mapping for `field`, else the column named
// `field` (the canonical layout).
struct IdColumn {
  std::string name;      // by name in the header, when set
  int index = -1;        // by position
  std::string constant;  // every row the same customer
  bool none = false;     // owners: no customer, copied to every partition
};

// As the loader reads it: a constant, a column by name, else by position.
IdColumn IdColumnOf(const v1::TableMapping& mapping) {
  IdColumn id;
  if (mapping.table() == v1::OWNERS) {
    id.none = true;
    return id;
  }
  id.name = mapping.table() == v1::CUSTOMERS ? "id" : "customer_id";
  for (const v1::ColumnMapping& c : mapping.columns()) {
    if (c.field() != id.name) continue;
    if (!c.constant().empty()) {
      id.constant = c.constant();
    } else if (!c.column().empty()) {
      id.name = c.column();
    } else {
      id.name.clear();
      id.index = c.index();
    }
    break;
  }
  return id;
}

// Routes the rows of one CSV table (header to every partition).
absl::Status RouteCsv(const std::string& in, const v1::TableMapping& mapping,
                      PartitionedFile& out, Run& run) {
  // Read as the loader reads the table, written back so that it reads the
  // same: whitespace-separated fields (never quoted, never holding a
  // space) joined by one space, others quoted where they hold the
  // delimiter.
  absl::StatusOr<internal::CsvOptions> options =
      internal::CsvOptionsOf(mapping);
  if (!options.ok()) return options.status();
  absl::StatusOr<std::unique_ptr<internal::CsvReader>> reader =
      internal::CsvReader::Open(in, *options);
  if (!reader.ok()) return reader.status();
  IdColumn id = IdColumnOf(mapping);
  std::vector<absl::string_view> fields;
  std::string line;
  const char delimiter = options->whitespace ? ' ' : options->delimiter;
  auto render = [&] {
    line.clear();
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) line.push_back(delimiter);
      if (options->whitespace) {
        line.append(fields[i].data(), fields[i].size());
      } else {
        internal::AppendCsvField(fields[i], &line, delimiter);
      }
    }
    line.push_back('\n');
  };
  bool header = !mapping.no_header();
  std::unique_ptr<internal::EventRowTimes> times;
  if (!header) {
    times =
        internal::EventRowTimes::Bind(mapping, {}, run.validator->options());
  }
  for (;;) {
    absl::StatusOr<bool> more = (*reader)->Next(&fields);
    if (!more.ok()) {
      if (absl::IsDataLoss(more.status())) return more.status();
      run.Error(in, (*reader)->line(), more.status().message());
      continue;
    }
    if (!*more) break;
    render();
    if (header) {
      header = false;
      if (!id.none && !id.name.empty()) {
        for (size_t i = 0; i < fields.size(); ++i) {
          if (fields[i] == id.name) id.index = static_cast<int>(i);
        }
      }
      times = internal::EventRowTimes::Bind(mapping, fields,
                                            run.validator->options());
      if (absl::Status s = out.AppendToAll(line, false); !s.ok()) return s;
      continue;
    }
    run.result.set_rows_read(run.result.rows_read() + 1);
    if (times != nullptr) {
      run.SeeEvent(times->KeptTime(fields, run.history_start));
    }
    if (id.none) {
      if (absl::Status s = out.AppendToAll(line, true); !s.ok()) return s;
      continue;
    }
    int p = 0;
    if (!id.constant.empty()) {
      p = PartitionOf(id.constant, run.n);
    } else if (id.index >= 0 && static_cast<size_t>(id.index) < fields.size() &&
               !fields[id.index].empty()) {
      p = PartitionOf(fields[id.index], run.n);
    } else {
      run.result.set_unrouted(run.result.unrouted() + 1);
    }
    if (absl::Status s = out.Append(p, line); !s.ok()) return s;
  }
  return out.Close();
}

// The customer a record belongs to; "" for an owner (every partition).
const std::string& CustomerOf(const v1::Record& r) {
  static const std::string* const kNone = new std::string;
  switch (r.record_case()) {
    case v1::Record::kCustomer:
      return r.customer().id();
    case v1::Record::kEvent:
      return r.event().customer_id();
    case v1::Record::kContact:
      return r.contact().customer_id();
    case v1::Record::kContract:
      return r.contract().customer_id();
    default:
      return *kNone;
  }
}

absl::Status RouteRecord(const v1::Record& record, absl::string_view bytes,
                         PartitionedFile& out, Run& run) {
  run.result.set_rows_read(run.result.rows_read() + 1);
  if (record.has_owner()) return out.AppendToAll(bytes, true);
  if (record.has_event() && record.event().has_time() &&
      (run.history_start == kNoTime ||
       record.event().time().seconds() < run.history_start)) {
    const EventInput event = ToEventInput(record.event());
    if (run.validator->CheckEvent(event, {}).ok()) run.SeeEvent(event.time);
  }
  const std::string& id = CustomerOf(record);
  if (id.empty()) run.result.set_unrouted(run.result.unrouted() + 1);
  return out.Append(id.empty() ? 0 : PartitionOf(id, run.n), bytes);
}

// Routes a PB record stream record by record, each kept as its bytes.
absl::Status RoutePb(const std::string& in, PartitionedFile& out, Run& run) {
  absl::StatusOr<int> fd = internal::OpenRegularFile(in);
  if (!fd.ok()) return fd.status();
  pb::io::FileInputStream stream(*fd);
  stream.SetCloseOnDelete(true);
  std::string bytes, framed;
  for (int64_t n = 1;; ++n) {
    pb::io::CodedInputStream coded(&stream);
    uint32_t size;
    if (!coded.ReadVarint32(&size)) {
      if (coded.CurrentPosition() != 0) {
        run.Error(in, n, "truncated record length (stream ends)");
      }
      break;
    }
    if (size > kMaxRecordBytes || !coded.ReadString(&bytes, size)) {
      run.Error(in, n, "a record longer than the stream (reading stops)");
      break;
    }
    v1::Record record;
    if (!record.ParseFromString(bytes)) {
      run.Error(in, n, "malformed record bytes");
      continue;
    }
    framed.clear();
    pb::io::StringOutputStream s(&framed);
    {
      pb::io::CodedOutputStream c(&s);
      c.WriteVarint32(size);
      c.WriteString(bytes);
    }
    if (absl::Status st = RouteRecord(record, framed, out, run); !st.ok()) {
      return st;
    }
  }
  return out.Close();
}

// Routes a JSONL stream line by line.
absl::Status RouteJsonl(const std::string& in, PartitionedFile& out, Run& run) {
  absl::StatusOr<std::FILE*> file = internal::OpenRegularFileStream(in);
  if (!file.ok()) return file.status();
  static const ReadProgress* const kNoProgress = new ReadProgress;
  internal::LineReader lines(*file, *kNoProgress);
  std::string line;
  bool too_long;
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  for (int64_t n = 1; lines.Next(&line, &too_long); ++n) {
    if (too_long) {
      run.Error(in, n,
                absl::StrCat("line longer than ", kMaxRecordBytes,
                             " bytes (skipped)"));
      continue;
    }
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    line.push_back('\n');
    v1::Record record;
    absl::Status s;
    if (pb::util::JsonStringToMessage(line, &record, options).ok()) {
      s = RouteRecord(record, line, out, run);
    } else {
      // The partition's load reports it, as loading the input would have.
      run.result.set_rows_read(run.result.rows_read() + 1);
      run.result.set_unrouted(run.result.unrouted() + 1);
      s = out.Append(0, line);
    }
    if (!s.ok()) return s;
  }
  if (lines.failed()) {
    return absl::DataLossError(absl::StrCat(in, ": read failed"));
  }
  return out.Close();
}

// Routes one input file into `name` in every partition.
absl::Status RouteFile(const std::string& in, v1::Format format,
                       const v1::TableMapping& mapping, const std::string& name,
                       Run& run) {
  PartitionedFile out(run.TmpFiles(name));
  absl::Status s = format == v1::PB      ? RoutePb(in, out, run)
                   : format == v1::JSONL ? RouteJsonl(in, out, run)
                                         : RouteCsv(in, mapping, out, run);
  run.Count(out);
  return s;
}

absl::Status Partition(const v1::PartitionRequest& request, Run& run) {
  const v1::LoadOptions& input = request.input();
  auto resolve = [&](const std::string& p) {
    return input.base_dir().empty() || fs::path(p).is_absolute()
               ? p
               : (fs::path(input.base_dir()) / p).string();
  };
  std::vector<v1::LoadOptions> loads(run.n, input);
  for (v1::LoadOptions& load : loads) {
    load.clear_paths();
    load.clear_base_dir();
    load.clear_tables();
  }
  for (int k = 0; k < input.paths_size(); ++k) {
    const std::string path = resolve(input.paths(k));
    v1::Format format = input.format();
    if (format == v1::FORMAT_UNSPECIFIED) {
      absl::StatusOr<v1::Format> inferred = internal::InferFormat(path);
      if (!inferred.ok()) return inferred.status();
      format = *inferred;
    }
    const std::string name = format == v1::PB ? absl::StrCat("input-", k, ".pb")
                             : format == v1::JSONL
                                 ? absl::StrCat("input-", k, ".jsonl")
                                 : absl::StrCat("input-", k);
    for (int p = 0; p < run.n; ++p) {
      loads[p].add_paths((run.dirs[p] / name).string());
    }
    if (format != v1::CSV) {
      if (absl::Status s = RouteFile(path, format, {}, name, run); !s.ok()) {
        return s;
      }
      continue;
    }
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      return absl::NotFoundError(
          absl::StrCat(path, ": not a directory of CSV tables"));
    }
    for (int p = 0; p < run.n; ++p) {
      fs::create_directories(run.TmpFile(p, name), ec);
      if (ec) {
        return absl::UnavailableError(
            absl::StrCat(run.TmpFile(p, name).string(), ": ", ec.message()));
      }
    }
    for (v1::Table t : internal::kTables) {
      const fs::path file = fs::path(path) / internal::TableFile(t);
      if (!internal::PathEntryExists(file.string())) continue;
      v1::TableMapping mapping;
      mapping.set_table(t);
      if (absl::Status s = RouteFile(
              file.string(), v1::CSV, mapping,
              (fs::path(name) / internal::TableFile(t)).string(), run);
          !s.ok()) {
        return s;
      }
    }
  }
  for (int k = 0; k < input.tables_size(); ++k) {
    const v1::TableMapping& mapping = input.tables(k);
    const std::string name = absl::StrCat(
        "table-", k, "-", fs::path(mapping.path()).filename().string());
    if (absl::Status s =
            RouteFile(resolve(mapping.path()), v1::CSV, mapping, name, run);
        !s.ok()) {
      return s;
    }
    for (int p = 0; p < run.n; ++p) {
      v1::TableMapping* m = loads[p].add_tables();
      *m = mapping;
      m->set_path((run.dirs[p] / name).string());
    }
  }
  run.result.set_partitions(run.n);
  if (run.history_start != kNoTime) {
    run.result.set_history_start(FormatTime(run.history_start));
  }
  for (int p = 0; p < run.n; ++p) {
    v1::DataPartition* part = run.result.add_parts();
    part->set_index(p);
    loads[p].set_history_start(run.result.history_start());
    *part->mutable_load() = std::move(loads[p]);
    part->set_rows(run.rows[p]);
  }
  return WriteTextProtoFile((run.tmp / "partitions.textproto").string(),
                            run.result);
}

}  // namespace

int PartitionOf(absl::string_view customer_id, int partitions) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : customer_id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<int>(h % static_cast<uint64_t>(partitions));
}

absl::StatusOr<v1::PartitionResult> PartitionData(
    const v1::PartitionRequest& request) {
  if (request.partitions() < 1 || request.partitions() > kMaxPartitions) {
    return PathError("partitions",
                     absl::StrCat("must be in 1..", kMaxPartitions, ", got ",
                                  request.partitions()));
  }
  if (request.out_dir().empty()) return PathError("out_dir", "required");
  if (request.input().paths().empty() && request.input().tables().empty()) {
    return PathError("input.paths", "no input given (paths or tables)");
  }
  const fs::path out_dir = fs::absolute(request.out_dir());
  std::error_code ec;
  if (fs::exists(out_dir, ec) &&
      !(fs::is_directory(out_dir, ec) && fs::is_empty(out_dir, ec))) {
    return absl::AlreadyExistsError(absl::StrCat(
        out_dir.string(), ": exists and is not an empty directory"));
  }
  Run run;
  run.validator =
      std::make_unique<DatasetBuilder>(request.input().validation());
  if (!request.input().history_start().empty()) {
    if (!internal::ParseUnixTime(request.input().history_start(),
                                 &run.history_start)) {
      return PathError("input.history_start",
                       absl::StrCat("'", request.input().history_start(),
                                    "' is not an ISO-8601 date or time"));
    }
  }
  run.n = request.partitions();
  run.rows.assign(run.n, 0);
  run.tmp =
      out_dir.parent_path() /
      absl::StrCat(".", out_dir.filename().string(), ".partial-", ::getpid());
  run.result.set_out_dir(out_dir.string());
  fs::remove_all(run.tmp, ec);
  for (int p = 0; p < run.n; ++p) {
    run.dirs.push_back(out_dir / absl::StrFormat("part-%05d", p));
    fs::create_directories(run.tmp / run.dirs[p].filename(), ec);
    if (ec) {
      fs::remove_all(run.tmp, ec);
      return absl::UnavailableError(
          absl::StrCat(run.tmp.string(), ": cannot create: ", ec.message()));
    }
  }
  absl::Status s = Partition(request, run);
  if (s.ok()) {
    // An empty out_dir is replaced; the partitions appear all at once.
    fs::remove(out_dir, ec);
    fs::rename(run.tmp, out_dir, ec);
    if (ec) {
      s = absl::UnavailableError(absl::StrCat(
          out_dir.string(), ": cannot move the partitions in: ", ec.message()));
    }
  }
  if (!s.ok()) {
    fs::remove_all(run.tmp, ec);
    return s;
  }
  return std::move(run.result);
}

}  // namespace churnkit
