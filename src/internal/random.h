// A small, fully specified random number generator and the samplers the
// data generator needs. Unlike <random>'s distributions, whose output
// differs between standard libraries, every sampler here is written out, so
// a seed gives the same numbers with any compiler and library (up to the
// last bit of libm's log/exp/cos, which glibc computes identically on every
// x86-64 machine).
#ifndef CHURNKIT_SRC_INTERNAL_RANDOM_H_
#define CHURNKIT_SRC_INTERNAL_RANDOM_H_

#include <cmath>
#include <cstdint>

#include "absl/types/span.h"

namespace churnkit::internal {

// SplitMix64 (Steele, Lea, Flood 2014): seeds the main generator.
inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman, Vigna 2018) with samplers. Each (seed, stream)
// pair gives an independent sequence; the generator uses the customer index
// as the stream so customers can be simulated in any order or thread.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) {
    uint64_t sm =
        seed ^ (stream * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL);
    // Mix once more so that neighbouring streams start far apart.
    sm = SplitMix64(&sm) ^ stream;
    for (uint64_t& word : s_) word = SplitMix64(&sm);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1), 53 bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Uniform integer in [0, n); n > 0 (Lemire's multiply-shift; the bias is
  // below 2^-32 for the small n used here).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >>
                                 64);
  }
  bool Bernoulli(double p) { return Uniform() < p; }

  // Standard normal (Box-Muller, one value per call).
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  // Log-normal with the given median and log-scale sigma.
  double LogNormal(double median, double sigma) {
    return median * std::exp(sigma * Normal());
  }
  // Exponential with the given rate (mean 1 / rate); rate > 0.
  double Exponential(double rate) { return -std::log(1.0 - Uniform()) / rate; }

  // Gamma(shape, scale), Marsaglia-Tsang; shape > 0.
  double Gamma(double shape, double scale) {
    if (shape < 1.0) {
      // Boost: Gamma(a) = Gamma(a + 1) * U^(1/a).
      const double u = 1.0 - Uniform();
      return Gamma(shape + 1.0, scale) * std::pow(u, 1.0 / shape);
    }
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double x, v;
      do {
        x = Normal();
        v = 1.0 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const double u = 1.0 - Uniform();
      if (u < 1.0 - 0.0331 * x * x * x * x) return d * v * scale;
      if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) {
        return d * v * scale;
      }
    }
  }

  // Poisson(mean): inversion for small means, Hormann's PTRS above 10.
  int64_t Poisson(double mean) {
    if (!(mean > 0)) return 0;
    if (mean < 10) {
      double p = std::exp(-mean);
      double cdf = p;
      const double u = Uniform();
      int64_t k = 0;
      while (u > cdf && k < 1000) {
        ++k;
        p *= mean / static_cast<double>(k);
        cdf += p;
      }
      return k;
    }
    const double slam = std::sqrt(mean);
    const double loglam = std::log(mean);
    const double b = 0.931 + 2.53 * slam;
    const double a = -0.059 + 0.02483 * b;
    const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    const double vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const double u = Uniform() - 0.5;
      const double v = Uniform();
      const double us = 0.5 - std::fabs(u);
      const double k = std::floor((2 * a / us + b) * u + mean + 0.43);
      if (us >= 0.07 && v <= vr) return static_cast<int64_t>(k);
      if (k < 0 || (us < 0.013 && v > us)) continue;
      // lgamma_r: std::lgamma writes the global signgam (a data race).
      int sign;
      if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
          -mean + k * loglam - ::lgamma_r(k + 1, &sign)) {
        return static_cast<int64_t>(k);
      }
    }
  }

  // Index drawn with probability proportional to `weights` (not all zero).
  size_t Pick(absl::Span<const double> weights) {
    double total = 0;
    for (double w : weights) total += w;
    double u = Uniform() * total;
    for (size_t i = 0; i + 1 < weights.size(); ++i) {
      if (u < weights[i]) return i;
      u -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_RANDOM_H_
