#include "internal/parallel.h"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace churnkit::internal {
namespace {

// Every item runs once, on a worker in range, loop after loop on the same
// workers; results per item do not depend on the schedule.
TEST(WorkerPool, RunsEveryItemOnceLoopAfterLoop) {
  for (int threads : {1, 2, 3, 8}) {
    WorkerPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (size_t n : {0, 1, 2, 7, 64, 1000}) {
      for (int loop = 0; loop < 3; ++loop) {
        std::vector<std::atomic<int>> runs(n);
        std::vector<size_t> square(n, 0);
        std::atomic<bool> worker_out_of_range{false};
        pool.ForEach(n, [&](int worker, size_t i) {
          if (worker < 0 || worker >= pool.size()) worker_out_of_range = true;
          runs[i].fetch_add(1);
          square[i] = i * i;
        });
        EXPECT_FALSE(worker_out_of_range);
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(runs[i].load(), 1) << "threads " << threads << " n " << n;
          ASSERT_EQ(square[i], i * i);
        }
      }
    }
  }
}

// Items go to whichever worker is free: while one worker holds item 0
// until every other item is done, the other worker takes them all (a fixed
// split would leave some to the held worker, and item 0 would time out).
TEST(WorkerPool, HandsOutItemsOneAtATime) {
  WorkerPool pool(2);
  std::vector<int> by(8, -1);
  std::atomic<int> others_done{0};
  bool waited_out = false;
  pool.ForEach(by.size(), [&](int worker, size_t i) {
    if (i == 0) {
      const auto deadline =
          std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (others_done.load() < 7) {
        if (std::chrono::steady_clock::now() > deadline) {
          waited_out = true;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    } else {
      others_done.fetch_add(1);
    }
    by[i] = worker;
  });
  EXPECT_FALSE(waited_out);
  for (size_t i = 1; i < by.size(); ++i) EXPECT_NE(by[i], by[0]) << i;
}

// Every index in exactly one call, in chunks of at least min_chunk but the
// last, whatever the thread count (n = 0: one call with the empty range);
// small inputs stay on the caller.
TEST(ParallelFor, CoversEveryIndexOnceInChunksOfAtLeastMinChunk) {
  for (int threads : {0, 1, 2, 3, 8}) {
    for (size_t n : {0, 1, 5, 255, 256, 257, 1000, 100000}) {
      for (size_t min_chunk : {1, 4, 256}) {
        std::vector<std::atomic<int>> runs(n);
        std::atomic<bool> short_chunk{false}, empty_call{false};
        ParallelFor(
            n, threads,
            [&](size_t from, size_t to) {
              if (from >= to && n > 0) empty_call = true;
              if (to - from < min_chunk && to != n) short_chunk = true;
              for (size_t i = from; i < to; ++i) runs[i].fetch_add(1);
            },
            min_chunk);
        EXPECT_FALSE(empty_call) << threads << " " << n << " " << min_chunk;
        EXPECT_FALSE(short_chunk) << threads << " " << n << " " << min_chunk;
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(runs[i].load(), 1)
              << "threads " << threads << " n " << n << " i " << i;
        }
      }
    }
  }
  // At most min_chunk indices: one call, on the calling thread.
  const std::thread::id caller = std::this_thread::get_id();
  int calls = 0;
  bool elsewhere = false;
  ParallelFor(
      256, 8,
      [&](size_t, size_t) {
        ++calls;
        elsewhere = elsewhere || std::this_thread::get_id() != caller;
      },
      256);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(elsewhere);
}

TEST(WorkerPool, DefaultSizeAndUnusedPool) {
  WorkerPool pool(0);
  EXPECT_GE(pool.size(), 1);
  WorkerPool unused(4);  // destroyed without a loop: no thread to join
}

}  // namespace
}  // namespace churnkit::internal
