// capi/dataset.cc: data sets (load, read, write, the error report) and the
// generator.
#include "churnkit/dataset.h"

#include <climits>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "churnkit/c_api.h"
#include "churnkit/c_api_experimental.h"
#include "churnkit/generator.h"
#include "churnkit/io.h"
#include "churnkit/v1/ingest.pb.h"
#include "internal.h"

using churnkit::capi::BytesArg;
using churnkit::capi::CheckNotNull;
using churnkit::capi::GetCount;
using churnkit::capi::Guard;
using churnkit::capi::NullArgument;
using churnkit::capi::ParseBytes;
using churnkit::capi::ToBuffer;
using churnkit::capi::ToHandle;

extern "C" {

// ---- Datasets -----------------------------------------------------------

ck_status ck_dataset_load(const void* options, size_t options_size,
                          ck_dataset_t** out) {
  return Guard("ck_dataset_load", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    churnkit::v1::LoadOptions parsed;
    if (absl::Status s = ParseBytes(options, options_size, "options",
                                    "options_size", &parsed);
        !s.ok()) {
      return s;
    }
    return ToHandle(churnkit::LoadDataset(parsed), out);
  });
}

ck_status ck_dataset_from_records(const void* data, size_t size, int policy,
                                  ck_dataset_t** out) {
  return Guard("ck_dataset_from_records", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    absl::StatusOr<absl::string_view> bytes =
        BytesArg(data, size, "data", "size", INT_MAX);
    if (!bytes.ok()) return bytes.status();
    if (policy != CK_POLICY_LENIENT && policy != CK_POLICY_STRICT) {
      return absl::InvalidArgumentError(absl::StrCat(
          "argument 'policy' is ", policy,
          "; expected CK_POLICY_LENIENT (2) or CK_POLICY_STRICT (1)"));
    }
    churnkit::v1::ValidationOptions validation;
    validation.set_policy(static_cast<churnkit::v1::ErrorPolicy>(policy));
    return ToHandle(churnkit::LoadRecordStream(*bytes, validation), out);
  });
}

void ck_dataset_free(ck_dataset_t* dataset) {
  Guard("ck_dataset_free", [dataset] { delete dataset; });
}

ck_status ck_dataset_num_customers(const ck_dataset_t* dataset, size_t* out) {
  return Guard("ck_dataset_num_customers", [&] {
    return GetCount(dataset, out, [](const ck_dataset_t& h) {
      return h.rep.dataset.num_customers();
    });
  });
}

ck_status ck_dataset_num_events(const ck_dataset_t* dataset, size_t* out) {
  return Guard("ck_dataset_num_events", [&] {
    return GetCount(dataset, out, [](const ck_dataset_t& h) {
      return h.rep.dataset.num_events();
    });
  });
}

ck_status ck_dataset_num_contacts(const ck_dataset_t* dataset, size_t* out) {
  return Guard("ck_dataset_num_contacts", [&] {
    return GetCount(dataset, out, [](const ck_dataset_t& h) {
      return h.rep.dataset.num_contacts();
    });
  });
}

ck_status ck_dataset_num_contracts(const ck_dataset_t* dataset, size_t* out) {
  return Guard("ck_dataset_num_contracts", [&] {
    return GetCount(dataset, out, [](const ck_dataset_t& h) {
      return h.rep.dataset.num_contracts();
    });
  });
}

ck_status ck_dataset_customer_id(const ck_dataset_t* dataset, size_t index,
                                 const char** out) {
  return Guard("ck_dataset_customer_id", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull({{"dataset", dataset}, {"out", out}});
        !s.ok()) {
      return s;
    }
    const size_t n = dataset->id_offsets.size();
    if (index >= n) {
      return absl::OutOfRangeError(absl::StrCat("argument 'index' is ", index,
                                                "; the data set has ", n,
                                                " customers"));
    }
    *out = dataset->ids.c_str() + dataset->id_offsets[index];
    return absl::OkStatus();
  });
}

ck_status ck_dataset_find_customer(const ck_dataset_t* dataset,
                                   const char* customer_id, size_t* out) {
  return Guard("ck_dataset_find_customer", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull(
            {{"dataset", dataset}, {"customer_id", customer_id}, {"out", out}});
        !s.ok()) {
      return s;
    }
    std::optional<churnkit::CustomerIndex> c =
        dataset->rep.dataset.FindCustomer(customer_id);
    if (!c.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("no customer with id '", customer_id, "'"));
    }
    *out = *c;
    return absl::OkStatus();
  });
}

ck_status ck_dataset_summary(const ck_dataset_t* dataset, ck_buffer_t** out) {
  return Guard("ck_dataset_summary", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    return ToBuffer(dataset->rep.dataset.Summary(), out);
  });
}

ck_status ck_dataset_error_count(const ck_dataset_t* dataset, size_t* out) {
  return Guard("ck_dataset_error_count", [&] {
    return GetCount(dataset, out, [](const ck_dataset_t& h) {
      return static_cast<size_t>(h.rep.report.total_errors());
    });
  });
}

ck_status ck_dataset_error_at(const ck_dataset_t* dataset, size_t index,
                              const char** source, int64_t* row,
                              const char** field, const char** reason) {
  return Guard("ck_dataset_error_at", [&]() -> absl::Status {
    if (dataset == nullptr) return NullArgument("dataset");
    const churnkit::v1::ErrorReport& report = dataset->rep.report;
    const size_t kept = static_cast<size_t>(report.errors_size());
    if (index >= kept) {
      return absl::OutOfRangeError(absl::StrCat("argument 'index' is ", index,
                                                "; the report keeps ", kept,
                                                " errors"));
    }
    const churnkit::v1::DataError& error =
        report.errors(static_cast<int>(index));
    if (source != nullptr) *source = error.source().c_str();
    if (row != nullptr) *row = error.row();
    if (field != nullptr) *field = error.field().c_str();
    if (reason != nullptr) *reason = error.reason().c_str();
    return absl::OkStatus();
  });
}

ck_status ck_dataset_error_report(const ck_dataset_t* dataset,
                                  ck_buffer_t** out) {
  return Guard("ck_dataset_error_report", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    return ToBuffer(dataset->rep.report, out);
  });
}

ck_status ck_dataset_write(const ck_dataset_t* dataset, const char* format,
                           const char* path) {
  return Guard("ck_dataset_write", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull(
            {{"dataset", dataset}, {"format", format}, {"path", path}});
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::Format> parsed = churnkit::ParseFormat(format);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'format': ", parsed.status().message()));
    }
    if (*path == '\0') {
      return absl::InvalidArgumentError("argument 'path' is empty");
    }
    return churnkit::WriteDataset(dataset->rep.dataset, *parsed, path);
  });
}

}  // extern "C"

// ---- Generator ------------------------------------------------------------

extern "C" {

ck_status ck_dataset_generate(const void* config, size_t config_size,
                              const char* format, const char* out_dir) {
  return Guard("ck_dataset_generate", [&]() -> absl::Status {
    if (absl::Status s =
            CheckNotNull({{"format", format}, {"out_dir", out_dir}});
        !s.ok()) {
      return s;
    }
    churnkit::v1::GeneratorConfig parsed_config;
    if (absl::Status s = ParseBytes(config, config_size, "config",
                                    "config_size", &parsed_config);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::Format> parsed = churnkit::ParseFormat(format);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'format': ", parsed.status().message()));
    }
    if (*out_dir == '\0') {
      return absl::InvalidArgumentError("argument 'out_dir' is empty");
    }
    return churnkit::Generate(parsed_config, *parsed, out_dir,
                              {.threads = churnkit::capi::Threads()})
        .status();
  });
}

ck_status ck_dataset_serialize(const ck_dataset_t* dataset, ck_buffer_t** out) {
  return Guard("ck_dataset_serialize", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    absl::StatusOr<std::string> bytes =
        churnkit::SerializeDataset(dataset->rep.dataset);
    if (!bytes.ok()) return bytes.status();
    return ToBuffer(*std::move(bytes), out);
  });
}

ck_status ck_dataset_customer_ids(const ck_dataset_t* dataset,
                                  ck_buffer_t** out) {
  return Guard("ck_dataset_customer_ids", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    return ToBuffer(dataset->ids, out);  // already NUL-terminated, in order
  });
}

}  // extern "C"
