#!/usr/bin/python3
"""Scoring 10^6 x 91 doubles with a mean-imputing model: all finite against
20% NaN (best of 5 `Model.predict` calls each, preallocated output).

  CHURNKIT_LIBRARY=build/default/libchurnkit.so PYTHONPATH=python \\
      /usr/bin/python3 bench/compare/score_nan.py
"""
import time, numpy as np, churnkit as ck
rng = np.random.default_rng(1)
n, d = 1_000_000, 91
x = rng.standard_normal((n, d))
y = (x[:, 0] + rng.standard_normal(n) > 0).astype(np.uint8)
names = [f"f{j}" for j in range(d)]
m = ck.Model.fit(x[:20000], y[:20000], columns=names, options={"missing_values": "MISSING_IMPUTE_MEAN"})
xn = x.copy(); xn[rng.random((n, d)) < 0.2] = np.nan
out = np.empty(n)
for label, arr in (("finite", x), ("20% NaN", xn)):
    best = 1e9
    for _ in range(5):
        t = time.perf_counter(); m.predict(arr, columns=names, out=out); best = min(best, time.perf_counter() - t)
    print(f"{label}: {best:.4f} s")
