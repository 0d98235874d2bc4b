// libFuzzer target: the CSV reader and the CSV table ingestion.
//
// Input: one selector byte, then the file's bytes.
//   selector bits 0-2  what reads the file:
//                      0 events, 1 customers, 2 contacts, 3 contracts,
//                      4 owners (churnkit layout, header-named columns),
//                      5 events through a CDNOW-like vendor mapping
//                        (whitespace, header, constant kind, implicit
//                        customers), 6 customers through a Telco-like
//                        mapping (value maps, month offsets, attributes),
//                      7 events by column index with no header
//   bit 3              STRICT policy (else LENIENT)
//   bit 4              ';' as delimiter (layouts 0-4, 7)
//   bit 5              implicit customers (events)
//   bit 6              max_errors 2 (the capped report)
//   bit 7              the raw CsvReader with a 64-byte record limit too
// Every read is followed by Build() and a walk of the built Dataset.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "churnkit/dataset.h"
#include "churnkit/io.h"
#include "fuzz_util.h"
#include "internal/csv.h"

namespace {

using churnkit::DatasetBuilder;
namespace v1 = churnkit::v1;

void AddColumn(v1::TableMapping& m, const char* field, const char* column,
               int index = 0) {
  v1::ColumnMapping* c = m.add_columns();
  c->set_field(field);
  if (column != nullptr) {
    c->set_column(column);
  } else {
    c->set_index(index);
  }
}

v1::TableMapping MappingFor(int layout, uint8_t selector,
                            const std::string& path) {
  v1::TableMapping m;
  m.set_path(path);
  if (selector & 0x10) m.set_delimiter(";");
  switch (layout) {
    case 0:
      m.set_table(v1::EVENTS);
      break;
    case 1:
      m.set_table(v1::CUSTOMERS);
      break;
    case 2:
      m.set_table(v1::CONTACTS);
      break;
    case 3:
      m.set_table(v1::CONTRACTS);
      break;
    case 4:
      m.set_table(v1::OWNERS);
      break;
    case 5: {
      m.set_table(v1::EVENTS);
      m.set_delimiter("whitespace");
      m.set_implicit_customers(true);
      AddColumn(m, "customer_id", "customer_id");
      AddColumn(m, "time", "date");
      AddColumn(m, "value", "number_of_cds");
      AddColumn(m, "amount", "dollar_value");
      v1::ColumnMapping* kind = m.add_columns();
      kind->set_field("kind");
      kind->set_constant("ORDER");
      break;
    }
    case 6: {
      m.set_table(v1::CUSTOMERS);
      m.set_delimiter("");
      m.set_unmapped_to_attributes(true);
      AddColumn(m, "id", "customerID");
      v1::ColumnMapping* signup = m.add_columns();
      signup->set_field("signup_time");
      signup->set_column("tenure");
      signup->set_offset_reference_date("2020-01-01");
      signup->set_offset_unit(v1::MONTHS);
      v1::ColumnMapping* value = m.add_columns();
      value->set_field("annual_value");
      value->set_column("charges");
      (*value->mutable_values())["No"] = "0";
      (*value->mutable_values())["Yes"] = "1";
      AddColumn(m, "attributes.tenure", "tenure");
      break;
    }
    default: {
      m.set_table(v1::EVENTS);
      m.set_no_header(true);
      AddColumn(m, "customer_id", nullptr, 0);
      AddColumn(m, "kind", nullptr, 1);
      AddColumn(m, "time", nullptr, 2);
      AddColumn(m, "amount", nullptr, 3);
      AddColumn(m, "subtype", nullptr, 4);
      break;
    }
  }
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t selector = data[0];
  const absl::string_view body(reinterpret_cast<const char*>(data + 1),
                               size - 1);

  if (selector & 0x80) {
    churnkit::internal::CsvOptions options;
    options.max_record_bytes = 64;
    options.whitespace = (selector & 0x10) != 0;
    std::unique_ptr<churnkit::internal::CsvReader> reader =
        churnkit::internal::CsvReader::FromBuffer(body, options);
    std::vector<absl::string_view> fields;
    size_t total = 0;
    for (int records = 0; records < 100000; ++records) {
      absl::StatusOr<bool> got = reader->Next(&fields);
      if (!got.ok() || !*got) break;
      churnkit::fuzz::Check(reader->line() >= 1, "line numbers start at 1");
      for (absl::string_view f : fields) total += f.size();
    }
    churnkit::fuzz::Check(total <= body.size(), "fields within the input");
  }

  churnkit::fuzz::MemFile file(data + 1, size - 1);
  const int layout = selector & 0x07;
  v1::ValidationOptions validation;
  validation.set_policy((selector & 0x08) ? v1::STRICT : v1::LENIENT);
  if (selector & 0x40) validation.set_max_errors(2);
  DatasetBuilder builder(validation);
  const v1::TableMapping mapping = MappingFor(layout, selector, file.path());
  if (mapping.table() == v1::EVENTS || mapping.table() == v1::CONTACTS ||
      mapping.table() == v1::CONTRACTS) {
    // Known customers for the rows to refer to.
    for (const char* id : {"c1", "c2", "c001", "c002", "cus-000001"}) {
      v1::Customer c;
      c.set_id(id);
      (void)builder.AddCustomer(c, {"fixture", 1});
    }
  }
  if ((selector & 0x20) && mapping.table() == v1::EVENTS) {
    builder.set_implicit_customers(true);
  }
  const absl::Status read = churnkit::ReadCsvTable(mapping, builder);
  if (validation.policy() == v1::LENIENT && layout != 5 && layout != 6) {
    // Only an unreadable file fails a lenient read (a mapping naming a
    // column the header lacks is a configuration error, layouts 5 and 6),
    // or an unusable customers table, which every other row needs.
    churnkit::fuzz::Check(
        read.ok() || absl::StrContains(read.message(),
                                       "(the customers table is required)"),
        "lenient CSV read fails only on I/O or without customers");
  }
  absl::StatusOr<churnkit::Dataset> ds = builder.Build();
  if (ds.ok()) {
    churnkit::fuzz::CheckDataset(*ds);
    const v1::ErrorReport& report = builder.report();
    churnkit::fuzz::Check(
        report.errors_size() <= static_cast<int>(validation.max_errors() > 0
                                                     ? validation.max_errors()
                                                     : 1000),
        "error report capped");
    churnkit::fuzz::Check(report.total_errors() >= report.errors_size(),
                          "total errors counts kept ones");
  }
  return 0;
}
