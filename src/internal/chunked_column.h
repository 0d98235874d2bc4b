// A column that grows in chunks of pages mapped from the OS, for builders
// that stage many rows before knowing how many there will be.
//
// A std::vector doubles by copying, so while it grows it briefly holds its
// values twice, and its final capacity may be twice its size. A
// ChunkedColumn never copies while growing, and TakeVector() moves the
// values into one exact-size vector while unmapping each chunk as soon as
// it is copied, so the values exist about once throughout. The chunks are
// mapped directly rather than taken from malloc: freed heap blocks in the
// middle of the heap stay resident, unmapped pages do not.
#ifndef CHURNKIT_INTERNAL_CHUNKED_COLUMN_H_
#define CHURNKIT_INTERNAL_CHUNKED_COLUMN_H_

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <new>
#include <type_traits>
#include <vector>

namespace churnkit::internal {

template <typename T>
class ChunkedColumn {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  ChunkedColumn() = default;
  ChunkedColumn(const ChunkedColumn&) = delete;
  ChunkedColumn& operator=(const ChunkedColumn&) = delete;
  ~ChunkedColumn() { Release(); }

  void push_back(T value) {
    if (free_ == 0) Grow();
    *next_++ = value;
    --free_;
    ++size_;
  }
  size_t size() const { return size_; }

  // Returns the values in order (capacity == size) and leaves the column
  // empty.
  std::vector<T> TakeVector() {
    std::vector<T> out;
    out.reserve(size_);  // pages are touched only as the chunks are copied
    for (const Chunk& c : chunks_) {
      const size_t n = std::min(c.bytes / sizeof(T), size_ - out.size());
      out.insert(out.end(), c.data, c.data + n);
      munmap(c.data, c.bytes);
    }
    chunks_.clear();
    Release();
    return out;
  }

 private:
  // 64 KiB doubling to 16 MiB: small builders map little, large ones map
  // few chunks.
  static constexpr size_t kFirstChunkBytes = size_t{1} << 16;
  static constexpr size_t kMaxDoublings = 8;

  struct Chunk {
    T* data;
    size_t bytes;
  };

  void Grow() {
    const size_t bytes = kFirstChunkBytes
                         << std::min(chunks_.size(), kMaxDoublings);
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    chunks_.push_back({static_cast<T*>(p), bytes});
    next_ = static_cast<T*>(p);
    free_ = bytes / sizeof(T);
  }

  void Release() {
    for (const Chunk& c : chunks_) munmap(c.data, c.bytes);
    chunks_.clear();
    next_ = nullptr;
    free_ = 0;
    size_ = 0;
  }

  std::vector<Chunk> chunks_;
  T* next_ = nullptr;
  size_t free_ = 0;  // values left in the last chunk
  size_t size_ = 0;
};

}  // namespace churnkit::internal

#endif  // CHURNKIT_INTERNAL_CHUNKED_COLUMN_H_
