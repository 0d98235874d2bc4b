// capi/proto.cc: churnkit.v1 messages for hosts without protobuf: text to
// bytes, bytes to JSON, and one field read or written by its path.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "churnkit/assess.h"
#include "churnkit/c_api_experimental.h"
#include "churnkit/features.h"
#include "churnkit/generator.h"
#include "churnkit/io.h"
#include "churnkit/jobs.h"
#include "churnkit/labels.h"
#include "churnkit/model.h"
#include "churnkit/scorecard_learn.h"
#include "churnkit/segment.h"
#include "churnkit/v1/jobs.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "internal.h"

namespace {

namespace pb = google::protobuf;
using churnkit::capi::BytesArg;
using churnkit::capi::Guard;
using churnkit::capi::NullArgument;
using churnkit::capi::ParseBytes;
using churnkit::capi::ParseOptional;
using churnkit::capi::ToBuffer;

// A new, empty churnkit.v1 message of the given full name.
absl::StatusOr<std::unique_ptr<pb::Message>> NewMessage(const char* name) {
  if (name == nullptr) return NullArgument("message_name");
  // Every churnkit.v1 message is linked in; touching one descriptor makes
  // sure the generated pool has been built.
  churnkit::v1::TrainRequest::descriptor();
  const pb::Descriptor* d =
      absl::StartsWith(name, "churnkit.v1.")
          ? pb::DescriptorPool::generated_pool()->FindMessageTypeByName(name)
          : nullptr;
  if (d == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "argument 'message_name': '", name,
        "' is not a churnkit.v1 message (e.g. churnkit.v1.TrainRequest)"));
  }
  return std::unique_ptr<pb::Message>(
      pb::MessageFactory::generated_factory()->GetPrototype(d)->New());
}

// The message named `name` parsed from `size` bytes at `data`.
absl::StatusOr<std::unique_ptr<pb::Message>> ParseMessage(const char* name,
                                                          const void* data,
                                                          size_t size) {
  absl::StatusOr<std::unique_ptr<pb::Message>> m = NewMessage(name);
  if (!m.ok()) return m.status();
  if (absl::Status s = ParseBytes(data, size, "data", "size", m->get());
      !s.ok()) {
    return s;
  }
  return m;
}

// The message holding the field at dotted `path` and the field itself,
// reached through singular message fields by `step` (reading: an absent
// message is its default instance; writing: it is created).
template <typename M>
struct FieldRef {
  M* message;
  const pb::FieldDescriptor* field;
};
template <typename M, typename Step>
absl::StatusOr<FieldRef<M>> Resolve(M* root, const char* path, Step step) {
  if (path == nullptr) return NullArgument("path");
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  M* m = root;
  for (size_t i = 0; i < parts.size(); ++i) {
    const pb::FieldDescriptor* f =
        m->GetDescriptor()->FindFieldByName(parts[i]);
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'path': ", m->GetDescriptor()->full_name(),
                       " has no field '", parts[i], "'"));
    }
    if (f->is_repeated()) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'path': '", parts[i],
                       "' is a repeated field; read the whole message "
                       "(ck_proto_to_json) instead"));
    }
    if (i + 1 == parts.size()) return FieldRef<M>{m, f};
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      return absl::InvalidArgumentError(absl::StrCat(
          "argument 'path': '", parts[i], "' is not a message field"));
    }
    m = step(m, f);
  }
  return absl::InvalidArgumentError("argument 'path' is empty");
}

absl::StatusOr<FieldRef<const pb::Message>> FieldToRead(const pb::Message& root,
                                                        const char* path) {
  return Resolve(&root, path,
                 [](const pb::Message* m, const pb::FieldDescriptor* f) {
                   return &m->GetReflection()->GetMessage(*m, f);
                 });
}

absl::StatusOr<FieldRef<pb::Message>> FieldToWrite(pb::Message* root,
                                                   const char* path) {
  return Resolve(root, path, [](pb::Message* m, const pb::FieldDescriptor* f) {
    return m->GetReflection()->MutableMessage(m, f);
  });
}

// A text-format parser that reports nothing itself (the caller's status
// says what is wrong).
pb::TextFormat::Parser QuietParser() {
  class Silent : public pb::io::ErrorCollector {
   public:
    void AddError(int, pb::io::ColumnNumber, const std::string&) override {}
  };
  static Silent silent;
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&silent);
  return parser;
}

// Check-only validation of the configs that have one (ck_config_validate).
struct Validator {
  const char* name;
  absl::Status (*check)(const pb::Message& m);
};
template <typename T>
const T& As(const pb::Message& m) {
  return static_cast<const T&>(m);
}
constexpr Validator kValidators[] = {
    {"churnkit.v1.AssessmentConfig",
     [](const pb::Message& m) {
       return churnkit::Assessor::Create(As<churnkit::v1::AssessmentConfig>(m))
           .status();
     }},
    {"churnkit.v1.AssessRequest",
     [](const pb::Message& m) {
       return churnkit::CheckAssessRequest(As<churnkit::v1::AssessRequest>(m));
     }},
    {"churnkit.v1.ChurnDefinition",
     [](const pb::Message& m) {
       return churnkit::ChurnLabeler::Create(
                  As<churnkit::v1::ChurnDefinition>(m))
           .status();
     }},
    {"churnkit.v1.FeatureSet",
     [](const pb::Message& m) {
       return churnkit::FeatureEngine::Create(As<churnkit::v1::FeatureSet>(m))
           .status();
     }},
    {"churnkit.v1.FitOptions",
     [](const pb::Message& m) {
       return churnkit::ValidateFitOptions(As<churnkit::v1::FitOptions>(m));
     }},
    {"churnkit.v1.GeneratorConfig",
     [](const pb::Message& m) {
       return churnkit::ValidateGeneratorConfig(
           churnkit::ResolveGeneratorConfig(
               As<churnkit::v1::GeneratorConfig>(m)));
     }},
    {"churnkit.v1.ScorecardLearnOptions",
     [](const pb::Message& m) {
       return churnkit::ValidateScorecardLearnOptions(
           As<churnkit::v1::ScorecardLearnOptions>(m));
     }},
    {"churnkit.v1.SegmentOptions",
     [](const pb::Message& m) {
       absl::StatusOr<churnkit::v1::SegmentOptions> r =
           churnkit::ResolveSegmentOptions(As<churnkit::v1::SegmentOptions>(m));
       return r.ok() ? churnkit::ValidateSegmentOptions(*r) : r.status();
     }},
    {"churnkit.v1.SegmentRequest",
     [](const pb::Message& m) {
       return churnkit::CheckSegmentRequest(
           As<churnkit::v1::SegmentRequest>(m));
     }},
    {"churnkit.v1.TrainRequest",
     [](const pb::Message& m) {
       return churnkit::ResolveTrainRequest(As<churnkit::v1::TrainRequest>(m))
           .status();
     }},
};

}  // namespace

extern "C" {

ck_status ck_config_validate(const char* message_name, const void* data,
                             size_t size) {
  return Guard("ck_config_validate", [&]() -> absl::Status {
    absl::StatusOr<std::unique_ptr<pb::Message>> m =
        ParseMessage(message_name, data, size);
    if (!m.ok()) return m.status();
    std::string names;
    for (const Validator& v : kValidators) {
      if (message_name == absl::string_view(v.name)) return v.check(**m);
      absl::StrAppend(&names, names.empty() ? "" : ", ", v.name);
    }
    return absl::UnimplementedError(
        absl::StrCat("'", message_name,
                     "' has no check-only validation; it is checked when "
                     "used (configs that have one: ",
                     names, ")"));
  });
}

ck_status ck_proto_from_json(const char* message_name, const char* json,
                             ck_buffer_t** out) {
  return Guard("ck_proto_from_json", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    absl::StatusOr<std::unique_ptr<pb::Message>> m = NewMessage(message_name);
    if (!m.ok()) return m.status();
    if (json != nullptr && *json != '\0') {
      pb::util::JsonParseOptions options;  // unknown fields are errors
      const auto status =
          pb::util::JsonStringToMessage(json, m->get(), options);
      if (!status.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("argument 'json': ", std::string(status.message())));
      }
    }
    return ToBuffer(**m, out);
  });
}

ck_status ck_proto_from_text(const char* message_name, const char* text,
                             ck_buffer_t** out) {
  return Guard("ck_proto_from_text", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    absl::StatusOr<std::unique_ptr<pb::Message>> m = NewMessage(message_name);
    if (!m.ok()) return m.status();
    if (absl::Status s = ParseOptional(text, "text", m->get()); !s.ok()) {
      return s;
    }
    return ToBuffer(**m, out);
  });
}

ck_status ck_proto_to_json(const char* message_name, const void* data,
                           size_t size, ck_buffer_t** out) {
  return Guard("ck_proto_to_json", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    absl::StatusOr<std::unique_ptr<pb::Message>> m =
        ParseMessage(message_name, data, size);
    if (!m.ok()) return m.status();
    pb::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    std::string json;
    const auto status = pb::util::MessageToJsonString(**m, &json, options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot write JSON: ", std::string(status.message())));
    }
    return ToBuffer(std::move(json), out);
  });
}

ck_status ck_proto_get(const char* message_name, const void* data, size_t size,
                       const char* path, ck_buffer_t** out) {
  return Guard("ck_proto_get", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    absl::StatusOr<std::unique_ptr<pb::Message>> m =
        ParseMessage(message_name, data, size);
    if (!m.ok()) return m.status();
    absl::StatusOr<FieldRef<const pb::Message>> ref = FieldToRead(**m, path);
    if (!ref.ok()) return ref.status();
    const pb::Reflection* r = ref->message->GetReflection();
    switch (ref->field->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_MESSAGE:
        return ToBuffer(r->GetMessage(*ref->message, ref->field), out);
      case pb::FieldDescriptor::CPPTYPE_STRING:
        // Text format would quote and escape it; hand back the value.
        return ToBuffer(r->GetString(*ref->message, ref->field), out);
      default: {
        std::string text;
        pb::TextFormat::PrintFieldValueToString(*ref->message, ref->field, -1,
                                                &text);
        return ToBuffer(std::move(text), out);
      }
    }
  });
}

ck_status ck_proto_set(const char* message_name, const void* data, size_t size,
                       const char* path, const void* value, size_t value_size,
                       ck_buffer_t** out) {
  return Guard("ck_proto_set", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    absl::StatusOr<std::unique_ptr<pb::Message>> m =
        ParseMessage(message_name, data, size);
    if (!m.ok()) return m.status();
    absl::StatusOr<FieldRef<pb::Message>> ref = FieldToWrite(m->get(), path);
    if (!ref.ok()) return ref.status();
    absl::StatusOr<absl::string_view> bytes =
        BytesArg(value, value_size, "value", "value_size", INT_MAX);
    if (!bytes.ok()) return bytes.status();
    const pb::Reflection* r = ref->message->GetReflection();
    if (ref->field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      pb::Message* sub = r->MutableMessage(ref->message, ref->field);
      sub->Clear();
      if (absl::Status s = churnkit::ParseBinaryProto(*bytes, sub); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("argument 'value': ", s.message()));
      }
    } else if (ref->field->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
      r->SetString(ref->message, ref->field, std::string(*bytes));
    } else if (!QuietParser().ParseFieldValueFromString(
                   std::string(*bytes), ref->field, ref->message)) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'value': '", *bytes, "' is not a ",
                       ref->field->cpp_type_name(), " for '", path, "'"));
    }
    return ToBuffer(**m, out);
  });
}

}  // extern "C"
