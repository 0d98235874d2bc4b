// Splits [0, n) into contiguous chunks run on worker threads. Each index is
// processed by exactly one call, so results written per index are the same
// for every thread count.
#ifndef CHURNKIT_SRC_INTERNAL_PARALLEL_H_
#define CHURNKIT_SRC_INTERNAL_PARALLEL_H_

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace churnkit::internal {

// A thread-count option as a count: `threads` <= 0 means the hardware
// concurrency; at least 1.
inline int ResolveThreads(int threads) {
  if (threads <= 0) {
    threads = static_cast<int>(std::thread::hardware_concurrency());
  }
  return std::max(1, threads);
}

// `threads` <= 0 means hardware concurrency. Chunks hold at least
// `min_chunk` indices so small inputs stay on one thread. Threads take
// chunks as they come free (a few per thread), so one the OS deschedules,
// or one whose indices cost more, does not hold the others up on a fixed
// share.
template <typename Fn>  // void(size_t from, size_t to)
void ParallelFor(size_t n, int threads, Fn fn, size_t min_chunk = 256) {
  threads = ResolveThreads(threads);
  const size_t max_threads = (n + min_chunk - 1) / min_chunk;
  threads = static_cast<int>(std::max<size_t>(
      1, std::min<size_t>(static_cast<size_t>(threads), max_threads)));
  if (threads == 1) {
    fn(size_t{0}, n);
    return;
  }
  constexpr size_t kChunksPerThread = 8;
  const size_t parts = static_cast<size_t>(threads) * kChunksPerThread;
  const size_t chunk = std::max(min_chunk, (n + parts - 1) / parts);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t from; (from = next.fetch_add(chunk)) < n;) {
      fn(from, std::min(n, from + chunk));
    }
  };
  // The calling thread works too: one thread fewer to start (tens of
  // microseconds each, which small passes notice).
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& th : pool) th.join();
}

// Workers started once for a series of parallel loops (a fit's passes),
// instead of threads started per loop: starting a thread costs tens of
// microseconds on an idle machine and far more on a loaded one, which
// passes of a millisecond notice. Each loop hands out its items one at a
// time, so a worker the OS deschedules does not hold the others up on a
// fixed share. Results written per item are the same for every worker
// count and schedule.
//
// One loop at a time: ForEach is not reentrant and not thread-safe.
class WorkerPool {
 public:
  // `threads` workers in all, the calling thread included (<= 0: hardware
  // concurrency); the others start with the first loop that can use them.
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int size() const { return size_; }

  // Runs fn(worker, i) for every i in [0, n), worker in [0, size()); the
  // calling thread is worker 0. Returns when every item is done.
  void ForEach(size_t n, const std::function<void(int, size_t)>& fn);

 private:
  void Work(int worker);
  void Take(int worker);  // items of the current loop until none is left

  const int size_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(int, size_t)>* fn_ = nullptr;  // current loop
  size_t n_ = 0;
  std::atomic<size_t> next_{0};
  uint64_t loop_ = 0;  // loops started, for the workers to see a new one
  int busy_ = 0;       // workers (not the caller) still in the current loop
  bool stop_ = false;
};

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_PARALLEL_H_
