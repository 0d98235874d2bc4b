// Helpers shared by the libFuzzer targets.
#ifndef CHURNKIT_TESTS_FUZZ_FUZZ_UTIL_H_
#define CHURNKIT_TESTS_FUZZ_FUZZ_UTIL_H_

#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "churnkit/dataset.h"
#include "internal/utf8.h"

namespace churnkit::fuzz {

// The fuzz input as an in-memory file (memfd) with a path, for the readers
// that take a path. The file disappears with the object.
class MemFile {
 public:
  MemFile(const uint8_t* data, size_t size) {
    fd_ = ::memfd_create("churnkit-fuzz", MFD_CLOEXEC);
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) {
        std::perror("write");
        std::abort();
      }
      done += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// Stops the fuzzer (as a crash) when a built Dataset breaks an invariant
// that every consumer relies on.
inline void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "churnkit fuzz: invariant violated: %s\n", what);
    std::abort();
  }
}

// Walks a built Dataset: CSR offsets, per-customer time order, string ids,
// UTF-8 strings (protobuf readers refuse anything else), enum values, the
// summary and message reconstruction.
inline void CheckDataset(const Dataset& ds) {
  for (StringId id = 0; id < ds.strings().size(); ++id) {
    Check(internal::IsValidUtf8(ds.strings().Get(id)), "strings are UTF-8");
  }
  const EventTable& ev = ds.events();
  const size_t nc = ds.num_customers();
  const size_t ne = ds.num_events();
  Check(ev.offsets.size() == nc + 1, "event offsets size");
  Check(ev.offsets.front() == 0 && ev.offsets.back() == ne,
        "event offsets ends");
  for (const auto* col : {&ev.key, &ev.group}) {
    Check(col->size() == ne, "event column size");
    for (StringId id : *col) Check(id < ds.strings().size(), "string id");
  }
  Check(ev.time.size() == ne && ev.subtype.size() == ne &&
            ev.amount.size() == ne && ev.value.size() == ne &&
            ev.flags.size() == ne,
        "event column size");
  for (CustomerIndex c = 0; c < nc; ++c) {
    Check(ds.event_begin(c) <= ds.event_end(c), "event offsets order");
    for (size_t e = ds.event_begin(c); e + 1 < ds.event_end(c); ++e) {
      Check(ev.time[e] <= ev.time[e + 1], "events sorted by time");
    }
    Check(ds.FindCustomer(ds.customer_id(c)) == c, "customer lookup");
  }
  for (size_t e = 0; e < ne; ++e) {
    Check(v1::EventKind_IsValid(ev.kind[e]) && ev.kind[e] != 0, "event kind");
    Check(ev.subtype[e] == 0 || v1::EventSubtype_IsValid(ev.subtype[e]),
          "event subtype");
    Check(std::isfinite(ev.amount[e]) && ev.amount[e] >= 0, "event amount");
    Check(std::isfinite(ev.value[e]), "event value");
  }
  const ContactTable& ct = ds.contacts();
  Check(ct.offsets.size() == nc + 1 && ct.offsets.back() == ct.id.size(),
        "contact offsets");
  const ContractTable& kt = ds.contracts();
  Check(kt.offsets.size() == nc + 1 && kt.offsets.back() == kt.id.size(),
        "contract offsets");
  const v1::DatasetSummary summary = ds.Summary();
  Check(summary.events() == static_cast<int64_t>(ne), "summary events");
  // Message reconstruction (what the writers and the C ABI use), bounded.
  size_t budget = 64;
  for (CustomerIndex c = 0; c < nc && budget > 0; ++c, --budget) {
    (void)ds.CustomerMessage(c);
    for (size_t e = ds.event_begin(c); e < ds.event_end(c) && budget > 0;
         ++e, --budget) {
      (void)ds.EventMessage(e, c);
    }
    for (uint32_t i = ct.offsets[c]; i < ct.offsets[c + 1]; ++i) {
      (void)ds.ContactMessage(i, c);
    }
    for (uint32_t i = kt.offsets[c]; i < kt.offsets[c + 1]; ++i) {
      (void)ds.ContractMessage(i, c);
    }
  }
  for (size_t i = 0; i < ds.num_owners(); ++i) (void)ds.OwnerMessage(i);
}

}  // namespace churnkit::fuzz

#endif  // CHURNKIT_TESTS_FUZZ_FUZZ_UTIL_H_
