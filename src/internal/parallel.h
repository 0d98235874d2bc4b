// Splits [0, n) into contiguous chunks run on worker threads. Each index is
// processed by exactly one call, so results written per index are the same
// for every thread count.
#ifndef CHURNKIT_SRC_INTERNAL_PARALLEL_H_
#define CHURNKIT_SRC_INTERNAL_PARALLEL_H_

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace churnkit::internal {

// `threads` <= 0 means hardware concurrency. Chunks hold at least
// `min_chunk` indices so small inputs stay on one thread.
template <typename Fn>  // void(size_t from, size_t to)
void ParallelFor(size_t n, int threads, Fn fn, size_t min_chunk = 256) {
  if (threads <= 0)
    threads = static_cast<int>(std::thread::hardware_concurrency());
  const size_t max_threads = (n + min_chunk - 1) / min_chunk;
  threads = static_cast<int>(std::max<size_t>(
      1, std::min<size_t>(static_cast<size_t>(threads), max_threads)));
  if (threads == 1) {
    fn(size_t{0}, n);
    return;
  }
  // The calling thread takes the first chunk: one thread fewer to start
  // (tens of microseconds each, which small passes notice).
  std::vector<std::thread> pool;
  const size_t chunk = (n + threads - 1) / threads;
  for (int t = 1; t < threads; ++t) {
    const size_t from = t * chunk, to = std::min(n, from + chunk);
    if (from < to) pool.emplace_back(fn, from, to);
  }
  fn(size_t{0}, std::min(n, chunk));
  for (std::thread& th : pool) th.join();
}

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_PARALLEL_H_
