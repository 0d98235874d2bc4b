// Bad input never loses data silently, never hangs, never aborts: one
// regression test per case of issue 18.
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "churnkit/clv.h"
#include "churnkit/io.h"
#include "error_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "internal/revenue.h"

namespace churnkit {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using std::string_literals::operator""s;

class Hardening : public ::testing::Test {
 protected:
  Hardening()
      : dir_(
            fs::temp_directory_path() /
            ("churnkit_hardening_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::create_directories(dir_);
  }
  ~Hardening() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  std::string Path(const std::string& name) const {
    return (dir_ / name).string();
  }
  std::string dir() const { return dir_.string(); }
  absl::StatusOr<LoadResult> Load(v1::ErrorPolicy policy = v1::LENIENT) {
    v1::LoadOptions o;
    o.add_paths(dir());
    o.mutable_validation()->set_policy(policy);
    return LoadDataset(o);
  }

 private:
  fs::path dir_;
};

std::string Message(const absl::Status& s) { return std::string(s.message()); }

using churnkit::testing::ErrorsText;

// Item 1: a dangling symbolic link or a loop is not an absent table.
TEST_F(Hardening, BrokenSymlinkTableFailsUnderEveryPolicy) {
  Write("customers.csv", "id\nc1\n");
  fs::create_symlink(Path("gone.csv"), Path("events.csv"));
  for (v1::ErrorPolicy policy : {v1::LENIENT, v1::STRICT}) {
    absl::StatusOr<LoadResult> r = Load(policy);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
    EXPECT_THAT(Message(r.status()),
                HasSubstr(Path("events.csv") + ": cannot open: a symbolic "
                                               "link to a missing file"));
  }
  fs::remove(Path("events.csv"));
  fs::create_symlink(Path("loop_b"), Path("contacts.csv"));
  fs::create_symlink(Path("contacts.csv"), Path("loop_b"));
  absl::StatusOr<LoadResult> r = Load(v1::STRICT);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(r.status()), HasSubstr("symbolic link loop"));
}

// Item 2: a record over 16 MiB loses itself, not the rest of the file.
TEST_F(Hardening, OversizedRecordIsSkippedAndReadingGoesOn) {
  std::string events = "customer_id,kind,time\nc1,login,2024-01-01\n";
  events += "c1,login,";
  events.append(size_t{17} << 20, 'x');
  events += "\nc1,login,2024-01-02\nc1,login,2024-01-03\n";
  Write("customers.csv", "id\nc1\n");
  const std::string path = Write("events.csv", events);
  absl::StatusOr<LoadResult> r = Load();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dataset.num_events(), 3u);
  EXPECT_EQ(r->report.rows_read().at("events"), 4);
  EXPECT_EQ(r->report.rows_kept().at("events"), 3);
  EXPECT_THAT(ErrorsText(r->report),
              HasSubstr(path + ":3: : line 3: record longer than"));
}

// Item 3: a directory is never read as an empty config or model.
TEST_F(Hardening, DirectoryAsConfigOrFileIsAnError) {
  v1::LoadOptions options;
  absl::Status s = ReadConfigFile(dir(), &options);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), HasSubstr(dir() + ": a directory, not a regular"));
  EXPECT_EQ(ReadFileBytes(dir(), 100).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadFileBytes(Path("none"), 100).status().code(),
            absl::StatusCode::kNotFound);
  Write("big", std::string(101, 'x'));
  EXPECT_EQ(ReadFileBytes(Path("big"), 100).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Item 5: an unusable customers table fails the load, whatever the policy.
TEST_F(Hardening, UnusableCustomersTableFailsTheLoad) {
  Write("events.csv", "customer_id,kind,time\nc1,login,2024-01-01\n");
  const std::string customers = Path("customers.csv");
  fs::create_directory(customers);
  absl::StatusOr<LoadResult> r = Load();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(r.status()), HasSubstr(customers + ": a directory"));
  fs::remove(customers);
  for (const std::string& content :
       {""s, "\xFF\xFEi\0d\0\n\0"s, "\x89PNG\r\n\x1A\n junk"s}) {
    Write("customers.csv", content);
    r = Load();
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Message(r.status()),
                HasSubstr("(the customers table is required)"));
  }
  EXPECT_THAT(Message(r.status()), HasSubstr("required column 'id'"));
  Write("customers.csv", "\xFF\xFEi\0d\0\n\0"s);
  EXPECT_THAT(Message(Load().status()), HasSubstr("UTF-16"));
  // Item 10: UTF-16 configs and JSONL are named as such too.
  v1::LoadOptions options;
  EXPECT_THAT(
      Message(ReadConfigFile(Write("o.textproto", "\xFF\xFEp\0"s), &options)),
      HasSubstr("o.textproto: UTF-16 text"));
  v1::LoadOptions jsonl;
  jsonl.add_paths(Write("r.jsonl", "\xFF\xFE{\0}\0\n\0"s));
  EXPECT_THAT(Message(LoadDataset(jsonl).status()),
              HasSubstr("r.jsonl: UTF-16 text"));
}

// Item 6: a named pipe is refused at once; alarm() fails a hang.
TEST_F(Hardening, NamedPipeDoesNotHang) {
  Write("customers.csv", "id\nc1\n");
  ASSERT_EQ(::mkfifo(Path("events.csv").c_str(), 0600), 0);
  ::alarm(20);
  absl::StatusOr<LoadResult> r = Load();
  ::alarm(0);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(r.status()), HasSubstr("a named pipe (FIFO)"));
  v1::LoadOptions options;
  EXPECT_THAT(Message(ReadConfigFile(Path("events.csv"), &options)),
              HasSubstr("named pipe"));
}

// Item 7: NUL bytes are refused in ids and text, and never cut a message.
TEST_F(Hardening, NulBytesAreDataErrors) {
  Write("customers.csv", "id,name\nc1\0a,x\nc1\0b,y\nc1,z\u00e9\0\n"s);
  absl::StatusOr<LoadResult> r = Load();
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->dataset.num_customers(), 1u);
  EXPECT_EQ(r->dataset.customer_id(0), "c1");
  ASSERT_EQ(r->report.errors_size(), 3);
  EXPECT_EQ(r->report.errors(0).field(), "id");
  EXPECT_EQ(r->report.errors(0).reason(), "holds a NUL byte");
  EXPECT_EQ(r->report.errors(2).field(), "name");
  absl::StatusOr<LoadResult> strict = Load(v1::STRICT);
  EXPECT_EQ(Message(strict.status()).find('\0'), std::string::npos);
  EXPECT_THAT(Message(strict.status()), HasSubstr(":2: id: holds a NUL"));
}

// Item 8: protobuf's complaint names the field and stays off stderr.
TEST_F(Hardening, ProtobufErrorsComeBackInTheStatusNotOnStderr) {
  v1::Record record;
  record.mutable_customer()->set_id("c1");
  record.mutable_customer()->set_name("XbadX");
  // Serialized with valid text, then spoiled: serializing invalid UTF-8
  // would log too.
  auto spoil = [](std::string bytes) {
    return bytes.replace(bytes.find("bad"), 3, "\xFF\xFE\xFD");
  };
  const std::string bytes = spoil(record.SerializeAsString());
  const std::string stream =
      std::string(1, static_cast<char>(bytes.size())) + bytes;
  ::testing::internal::CaptureStderr();
  absl::StatusOr<LoadResult> r =
      LoadRecordStream(stream, v1::ValidationOptions(), "mem");
  v1::Customer customer;
  const absl::Status parsed =
      ParseBinaryProto(spoil(record.customer().SerializeAsString()), &customer);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(ErrorsText(r->report), HasSubstr("churnkit.v1.Customer.name"));
  EXPECT_THAT(Message(parsed), HasSubstr("churnkit.v1.Customer.name"));
}

// Item 9: one bad optional cell leaves the customer, and its events, in.
TEST_F(Hardening, BadOptionalCustomerCellIsEmptiedNotTheCustomer) {
  const std::string customers = Write("customers.csv",
                                      "id,name,signup_time,annual_value\n"
                                      "c1,Acme,2023-01-01,-5\n"
                                      "c2,Bad\xFF,2023-01-01,10\n"
                                      "c3,Old,0001-01-01,10\n"
                                      "c4,Word,2023-01-01,lots\n");
  Write("events.csv",
        "customer_id,kind,time\nc1,login,2024-01-01\nc2,login,2024-01-01\n"
        "c3,login,2024-01-01\nc4,login,2024-01-01\n");
  absl::StatusOr<LoadResult> r = Load();
  ASSERT_TRUE(r.ok()) << r.status();
  const Dataset& ds = r->dataset;
  ASSERT_EQ(ds.num_customers(), 4u);
  EXPECT_EQ(ds.num_events(), 4u);
  EXPECT_EQ(ds.customers().annual_value[0], 0);
  EXPECT_EQ(ds.str(ds.customers().name[1]), "");
  EXPECT_EQ(ds.customers().signup_time[2], kNoTime);
  EXPECT_EQ(ds.customers().annual_value[3], 0);
  const std::string errors = ErrorsText(r->report);
  EXPECT_THAT(errors, HasSubstr(customers + ":2: annual_value: negative"));
  EXPECT_THAT(errors, HasSubstr(customers + ":3: name: not valid UTF-8"));
  EXPECT_THAT(errors, HasSubstr(customers + ":4: signup_time:"));
  EXPECT_THAT(errors, HasSubstr(customers + ":5: annual_value: 'lots'"));
  EXPECT_THAT(errors, Not(HasSubstr("unknown customer")));
  EXPECT_EQ(r->report.rows_kept().at("customers"), 4);
  EXPECT_EQ(Load(v1::STRICT).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Item 10: text configs with invalid UTF-8 strings are refused.
TEST_F(Hardening, TextConfigWithInvalidUtf8IsRefused) {
  v1::LoadOptions o;
  const absl::Status s = ParseTextProto("paths: \"a\" paths: \"\xFF\"", &o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(s), "churnkit.v1.LoadOptions: paths[1]: not valid UTF-8");
}

// Item 10: a missing path is NotFound, not "cannot tell the format".
TEST_F(Hardening, MissingPathIsNotFound) {
  v1::LoadOptions o;
  o.add_paths(Path("no-such-export"));
  EXPECT_EQ(LoadDataset(o).status().code(), absl::StatusCode::kNotFound);
}

// Item 11: an order log through a mapping: extra columns are no error
// even under STRICT, and created customers are counted apart.
TEST_F(Hardening, OrderLogMappingIgnoresExtraColumnsAndCountsImplicitOnes) {
  Write("orders.csv",
        "Invoice,StockCode,CustomerID,InvoiceDate,Price,Country\n"
        "536365,85123A,17850,2010-12-01,2.55,United Kingdom\n"
        "536366,71053,17850,2010-12-02,3.39,United Kingdom\n"
        "536367,84406B,13047,2010-12-01,2.75,United Kingdom\n");
  v1::LoadOptions o;
  ASSERT_TRUE(
      ParseTextProto(R"pb(
                       tables {
                         table: EVENTS
                         path: "orders.csv"
                         implicit_customers: true
                         columns { field: "customer_id" column: "CustomerID" }
                         columns { field: "time" column: "InvoiceDate" }
                         columns { field: "amount" column: "Price" }
                         columns { field: "kind" constant: "ORDER" }
                       }
                       validation { policy: STRICT }
                     )pb",
                     &o)
          .ok());
  o.set_base_dir(dir());
  absl::StatusOr<LoadResult> r = LoadDataset(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->report.total_errors(), 0);
  EXPECT_EQ(r->dataset.num_customers(), 2u);
  EXPECT_EQ(r->report.implicit_customers(), 2);
  EXPECT_EQ(r->report.rows_kept().at("customers"), 0);
  EXPECT_EQ(r->report.rows_read().at("customers"), 0);
}

// Item 11: a mapping computes amount = quantity x price and reads a
// vendor's date layout.
TEST_F(Hardening, MappingMultipliesColumnsAndReadsDateFormats) {
  const std::string orders =
      Write("retail.csv",
            "Invoice,Quantity,InvoiceDate,Price,Customer ID\n"
            "536365,6,12/1/2010 8:26,2.55,17850\n"
            "536366,2,12/1/2010 18:28,1.5,17850\n"
            "536367,1,2/30/2010 8:00,1,17850\n"
            "536368,x,12/2/2010 8:00,1,17850\n");
  const std::string mapping = R"pb(
    tables {
      table: EVENTS
      path: "retail.csv"
      implicit_customers: true
      columns { field: "customer_id" column: "Customer ID" }
      columns {
        field: "time"
        column: "InvoiceDate"
        date_format: "%m/%d/%Y %H:%M"
      }
      columns { field: "amount" column: "Quantity" multiply_by: "Price" }
      columns { field: "value" column: "Quantity" }
      columns { field: "kind" constant: "ORDER" }
    }
  )pb";
  v1::LoadOptions o;
  ASSERT_TRUE(ParseTextProto(mapping, &o).ok());
  o.set_base_dir(dir());
  absl::StatusOr<LoadResult> r = LoadDataset(o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->dataset.num_events(), 2u);
  const EventTable& ev = r->dataset.events();
  EXPECT_DOUBLE_EQ(ev.amount[0], 6 * 2.55);
  EXPECT_DOUBLE_EQ(ev.amount[1], 3);
  EXPECT_EQ(ev.time[0], *ParseTime("2010-12-01T08:26:00Z"));
  EXPECT_EQ(ev.time[1], *ParseTime("2010-12-01T18:28:00Z"));
  const std::string errors = ErrorsText(r->report);
  EXPECT_THAT(errors, HasSubstr(orders + ":4: time: '2/30/2010 8:00'"));
  EXPECT_THAT(errors, HasSubstr(orders + ":5: amount: 'x' is not a number"));

  o.mutable_tables(0)->mutable_columns(1)->set_date_format("%d.%b");
  EXPECT_THAT(Message(LoadDataset(o).status()),
              HasSubstr("columns[1].date_format: '%b' is not one of"));
}

// Item 11: an order log's returns and refunds (negative quantity x price)
// become RETURN events that reduce the customer's spend and revenue,
// instead of being dropped as negative amounts.
TEST_F(Hardening, NegativeAmountsBecomeReturnsThatReduceValue) {
  const std::string orders =
      Write("returns.csv",
            "Invoice,Quantity,InvoiceDate,Price,Customer ID\n"
            "1,10,2010-12-01,10,kept\n"  // kept: 3 purchases of 100
            "2,10,2010-12-05,10,kept\n"
            "3,10,2010-12-09,10,kept\n"
            "4,10,2010-12-01,10,refunded\n"  // refunded: the same 3 purchases,
            "5,10,2010-12-05,10,refunded\n"  // then two of them given back
            "6,10,2010-12-09,10,refunded\n"
            "C7,-20,2010-12-10,10,refunded\n");
  const std::string mapping = R"pb(
    tables {
      table: EVENTS
      path: "returns.csv"
      implicit_customers: true
      negative_amounts_as: RETURN
      columns { field: "customer_id" column: "Customer ID" }
      columns { field: "time" column: "InvoiceDate" }
      columns { field: "amount" column: "Quantity" multiply_by: "Price" }
      columns { field: "value" column: "Quantity" }
      columns { field: "kind" constant: "ORDER" }
    }
  )pb";
  v1::LoadOptions o;
  ASSERT_TRUE(ParseTextProto(mapping, &o).ok());
  o.set_base_dir(dir());
  absl::StatusOr<LoadResult> r = LoadDataset(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->report.total_errors(), 0) << ErrorsText(r->report);
  ASSERT_EQ(r->dataset.num_events(), 7u);
  const Dataset& ds = r->dataset;
  const CustomerIndex refunded = *ds.FindCustomer("refunded");
  const size_t last = ds.event_end(refunded) - 1;
  EXPECT_EQ(ds.events().kind[last], v1::RETURN);
  EXPECT_DOUBLE_EQ(ds.events().amount[last], 200);
  EXPECT_DOUBLE_EQ(ds.events().value[last], 20);

  // Spend: 300 bought, 200 returned, so a third of each repeat purchase.
  absl::StatusOr<RfmSummaries> rfm =
      ComputeRfmSummaries(ds, *ParseTime("2011-01-01"));
  ASSERT_TRUE(rfm.ok()) << rfm.status();
  ASSERT_EQ(rfm->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(rfm->frequency[i], 2);
    EXPECT_NEAR(rfm->monetary[i],
                rfm->customer_ids[i] == "kept" ? 100 : 100.0 / 3, 1e-9);
  }
  // Revenue (reports, value tiers, revenue at risk) is net of the return.
  v1::ValueOptions value;
  value.set_window_days(365);
  value.add_revenue_sources(v1::REVENUE_ORDERS);
  value.set_combine(v1::FIRST_AVAILABLE);
  const UnixSeconds end = *ParseTime("2011-01-01");
  EXPECT_DOUBLE_EQ(internal::RevenueOf(ds, refunded, value, end), 100);
  EXPECT_DOUBLE_EQ(
      internal::RevenueOf(ds, *ds.FindCustomer("kept"), value, end), 300);

  // Without the option a negative amount is an error naming the row.
  o.mutable_tables(0)->clear_negative_amounts_as();
  r = LoadDataset(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dataset.num_events(), 6u);
  EXPECT_THAT(ErrorsText(r->report),
              HasSubstr(orders + ":8: amount: negative amount -200"));
  // Only events have amounts to turn into events.
  o.mutable_tables(0)->set_negative_amounts_as(v1::RETURN);
  o.mutable_tables(0)->set_table(v1::CONTACTS);
  EXPECT_THAT(Message(LoadDataset(o).status()),
              HasSubstr("negative_amounts_as: only the EVENTS table"));
}

// Item 12: doubtful but valid data is kept with a warning, under STRICT
// too.
TEST_F(Hardening, EventBeforeSignupAndManagerCycleAreWarnings) {
  Write("customers.csv", "id,signup_time\nc1,2024-01-01\n");
  const std::string events = Write(
      "events.csv",
      "customer_id,kind,time\nc1,login,2023-12-01\nc1,login,2024-02-01\n");
  const std::string owners =
      Write("owners.csv", "id,manager_id\no1,o2\no2,o3\no3,o2\no4,o1\n");
  absl::StatusOr<LoadResult> r = Load(v1::STRICT);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dataset.num_events(), 2u);
  EXPECT_EQ(r->report.total_errors(), 0);
  ASSERT_EQ(r->report.total_warnings(), 2);
  std::string warnings;
  for (const v1::DataError& w : r->report.warnings()) {
    warnings += w.source() + ":" + std::to_string(w.row()) + ": " + w.field() +
                ": " + w.reason() + "\n";
  }
  EXPECT_THAT(warnings, HasSubstr(events + ":2: time: event at 2023-12-01"));
  EXPECT_THAT(warnings, HasSubstr(owners + ":3: manager_id: owner -> manager "
                                           "cycle o2 -> o3 -> o2 (kept)"));
}

}  // namespace
}  // namespace churnkit
