// Invalid UTF-8 on the way in: protobuf readers refuse string fields that
// hold it, so a cell, header or column name with such bytes must be
// rejected where it enters (naming where) and never reach a message.
#include "internal/utf8.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "churnkit/dataset.h"
#include "churnkit/io.h"
#include "churnkit/model.h"
#include "churnkit/v1/model.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace churnkit {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(IsValidUtf8, AcceptsWellFormedText) {
  for (const char* s : {"", "plain ascii that is longer than eight bytes",
                        "北京 深圳", "caf\xC3\xA9", "\xF0\x9F\x98\x80",
                        "\xEF\xBF\xBD", "\xF4\x8F\xBF\xBF", "\xED\x9F\xBF"}) {
    EXPECT_TRUE(internal::IsValidUtf8(s)) << s;
  }
}

TEST(IsValidUtf8, RejectsMalformedText) {
  for (const char* s : {
           "\xFF",                       // never valid
           "abcdefgh\x80",               // lone continuation after ASCII
           "\xC3",                       // truncated
           "\xC0\xAF",                   // overlong '/'
           "\xE0\x80\xAF",               // overlong
           "\xED\xA0\x80",               // surrogate U+D800
           "\xF4\x90\x80\x80",           // above U+10FFFF
           "\xF0\x9F\x98",               // truncated 4-byte sequence
           "ok \xE4\xB8 then more text"  // truncated in the middle
       }) {
    EXPECT_FALSE(internal::IsValidUtf8(s)) << s;
  }
}

TEST(ToValidUtf8, ReplacesEachBadByteAndKeepsTheRest) {
  EXPECT_EQ(internal::ToValidUtf8("ok"), "ok");
  EXPECT_EQ(internal::ToValidUtf8("北京"), "北京");
  EXPECT_EQ(internal::ToValidUtf8("a\xFF"
                                  "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(internal::ToValidUtf8("\xC3"), "\xEF\xBF\xBD");
  EXPECT_TRUE(internal::IsValidUtf8(internal::ToValidUtf8("\xE4\xB8\xFF\x80")));
}

TEST(FirstInvalidUtf8Field, NamesFieldsRepeatedEntriesAndMapKeys) {
  v1::Customer c;
  c.set_id("c1");
  c.set_name("Acme");
  EXPECT_EQ(internal::FirstInvalidUtf8Field(c), "");
  c.set_region("\xFF");
  EXPECT_EQ(internal::FirstInvalidUtf8Field(c), "region");
  c.clear_region();
  (*c.mutable_attributes())["city"] = "x\xC3";
  EXPECT_EQ(internal::FirstInvalidUtf8Field(c), "attributes[city]");

  v1::LogisticModel m;
  m.add_feature_names("a");
  m.add_feature_names("b\xFF");
  EXPECT_EQ(internal::FirstInvalidUtf8Field(m), "feature_names[1]");
}

TEST(DatasetBuilder, RejectsRowsWithInvalidUtf8ButKeepsCustomers) {
  DatasetBuilder b;
  v1::Customer good;
  good.set_id("c1");
  ASSERT_TRUE(b.AddCustomer(good, {"customers.csv", 2}).ok());
  v1::Customer bad;
  bad.set_id("c2");
  bad.set_industry("saa\xFF");
  ASSERT_TRUE(b.AddCustomer(bad, {"customers.csv", 3}).ok());

  EventInput e;
  e.customer_id = "c1";
  e.kind = v1::ORDER;
  e.time = ParseTime("2024-01-02").value();
  ASSERT_TRUE(b.AddEvent(e, {"events.csv", 2}).ok());
  e.key = "price\xC0\xAF";
  ASSERT_TRUE(b.AddEvent(e, {"events.csv", 3}).ok());

  v1::Contact contact;
  contact.set_id("p1");
  contact.set_customer_id("c1");
  contact.set_role("\xED\xA0\x80");
  ASSERT_TRUE(b.AddContact(contact, {"contacts.csv", 2}).ok());

  absl::StatusOr<Dataset> ds = b.Build();
  ASSERT_TRUE(ds.ok()) << ds.status();
  // A customer's bad optional cell is emptied, not the customer dropped.
  ASSERT_EQ(ds->num_customers(), 2u);
  EXPECT_EQ(ds->str(ds->customers().industry[1]), "");
  EXPECT_EQ(ds->num_events(), 1u);
  EXPECT_EQ(ds->num_contacts(), 0u);
  const v1::ErrorReport& r = b.report();
  ASSERT_EQ(r.errors_size(), 3);
  EXPECT_EQ(r.errors(0).field(), "industry");
  EXPECT_EQ(r.errors(0).row(), 3);
  EXPECT_EQ(r.errors(0).reason(), "not valid UTF-8");
  EXPECT_EQ(r.errors(1).field(), "key");
  EXPECT_EQ(r.errors(2).field(), "role");
}

TEST(DatasetBuilder, StrictStopsAtInvalidUtf8NamingRowAndField) {
  v1::ValidationOptions v;
  v.set_policy(v1::STRICT);
  DatasetBuilder b(v);
  EventInput e;
  e.customer_id = "c\xFF";
  e.kind = v1::LOGIN;
  e.time = ParseTime("2024-01-02").value();
  const absl::Status s = b.AddEvent(e, {"events.csv", 7});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "events.csv:7: customer_id: not valid UTF-8");
}

class TempFiles : public ::testing::Test {
 protected:
  TempFiles()
      : dir_(
            fs::temp_directory_path() /
            ("churnkit_utf8_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::create_directories(dir_);
  }
  ~TempFiles() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  std::string dir() const { return dir_.string(); }

 private:
  fs::path dir_;
};

TEST_F(TempFiles, CsvIngestionReportsInvalidUtf8AndQuotesItSafely) {
  Write("customers.csv", "id,name\nc1,Acme\nc2,Bad\xFFName\nc3,\xE5\x8C\x97\n");
  Write("events.csv",
        "customer_id,kind,time,amount\n"
        "c1,ORDER,2024-01-02,10\n"
        "c1,ORDER,2024-01-03,1\xFF\n");
  v1::LoadOptions o;
  o.add_paths(dir());
  absl::StatusOr<LoadResult> r = LoadDataset(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dataset.num_customers(), 3u);  // c2 kept without its name
  EXPECT_EQ(r->dataset.num_events(), 1u);
  ASSERT_EQ(r->report.errors_size(), 2);
  EXPECT_EQ(r->report.errors(0).field(), "name");
  EXPECT_EQ(r->report.errors(0).row(), 3);
  // The bad cell is quoted with U+FFFD, so the report itself serializes
  // and parses back.
  EXPECT_EQ(r->report.errors(1).field(), "amount");
  EXPECT_THAT(r->report.errors(1).reason(), HasSubstr("1\xEF\xBF\xBD"));
  v1::ErrorReport back;
  ASSERT_TRUE(back.ParseFromString(r->report.SerializeAsString()));
  EXPECT_EQ(back.errors_size(), 2);
}

TEST_F(TempFiles, PlainTablesRejectInvalidUtf8InHeaderAndCells) {
  absl::StatusOr<PlainTable> t = ReadPlainTable(Write("header.csv",
                                                      "id,pl\xFF"
                                                      "an,churn\na,x,1\n"));
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(),
              HasSubstr("header.csv:1: header column 2 is not valid UTF-8"));

  t = ReadPlainTable(Write("cell.csv", "id,plan,churn\na,x,1\nb,\xC3,0\n"));
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(),
              HasSubstr("cell.csv:3: column 'plan': not valid UTF-8"));
}

TEST(FitLogistic, RejectsColumnNamesThatAreNotUtf8) {
  const std::vector<double> x = {0, 1, 1, 0, 2, 1, 3, 0};
  const std::vector<std::string> columns = {"ok", "b\xFF"};
  const std::vector<uint8_t> y = {0, 1, 0, 1};
  absl::StatusOr<v1::LogisticModel> m =
      FitLogistic(MatrixView{x, columns, {}}, y);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(),
              HasSubstr("column 1: the name is not valid UTF-8"));
}

TEST(ValidateModel, RefusesToSaveAModelWithInvalidUtf8) {
  const std::vector<double> x = {0, 1, 1, 0, 2, 1, 3, 0};
  const std::vector<std::string> columns = {"a", "b"};
  const std::vector<uint8_t> y = {0, 1, 0, 1};
  absl::StatusOr<v1::LogisticModel> m =
      FitLogistic(MatrixView{x, columns, {}}, y);
  ASSERT_TRUE(m.ok()) << m.status();
  m->set_feature_names(1, "b\xFF");
  absl::StatusOr<std::string> bytes = SerializeModel(*m);
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bytes.status().message(),
              HasSubstr("feature_names[1]: not valid UTF-8"));
}

}  // namespace
}  // namespace churnkit
