#include "internal/parallel.h"

namespace churnkit::internal {

WorkerPool::WorkerPool(int threads) : size_(ResolveThreads(threads)) {}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void WorkerPool::ForEach(size_t n, const std::function<void(int, size_t)>& fn) {
  if (n == 0) return;
  if (size_ == 1 || n == 1) {
    for (size_t i = 0; i < n; ++i) fn(0, i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    n_ = n;
    next_.store(0, std::memory_order_relaxed);
    ++loop_;
    busy_ = size_ - 1;
    for (int w = static_cast<int>(threads_.size()) + 1; w < size_; ++w) {
      threads_.emplace_back(&WorkerPool::Work, this, w);
    }
  }
  wake_.notify_all();
  Take(0);
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [this] { return busy_ == 0; });
  fn_ = nullptr;
}

void WorkerPool::Take(int worker) {
  for (size_t i; (i = next_.fetch_add(1, std::memory_order_relaxed)) < n_;) {
    (*fn_)(worker, i);
  }
}

void WorkerPool::Work(int worker) {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || loop_ != seen; });
    if (stop_) return;
    seen = loop_;
    lock.unlock();
    Take(worker);
    lock.lock();
    if (--busy_ == 0) done_.notify_one();
  }
}

}  // namespace churnkit::internal
