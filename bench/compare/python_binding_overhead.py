#!/usr/bin/env python3
"""The Python package's overhead over the bare C calls (issue 16).

In one run, side by side on the same data and the same library, times

  (1) scoring 10^6 rows x the shipped feature count (91):
      - C floor: ck_model_predict called through ctypes directly, with
        preallocated numpy input and output buffers and every pointer made
        beforehand (no checks, no allocation);
      - the package: Model.predict(x) (default: input checks, output
        allocated), Model.predict(x, check_input=False), and
        Model.predict(x, out=buf, check_input=False);
      once on an all-finite matrix and once (unless --nan-share 0) on a
      copy with 20% NaN scored by a mean-imputing model, as real feature
      matrices have missing values (the default feature set leaves about
      20% of the values of the generated customers undefined) and the
      package's finite check then takes its slower, chunked path;
  (2) the features of 10^5 generated customers (every customer, as of the
      day after the generated period):
      - C floor: ck_features_compute_matrix through ctypes + wrapping the
        result as a numpy view of ck_matrix_data (shape, data pointer, no
        copy; no ids, no names);
      - the package: FeatureSet.compute(ds, as_of) (a FeatureMatrix: the
        view, the column names and the customer ids), and
        FeatureSet.compute(ds, as_of).to_frame() (the DataFrame indexed by
        customer id), timed separately.

Each measurement is the best of --reps repetitions (more for a short
call: as many as fit in --min-time seconds of the C call) after --warmup
unmeasured ones; the C and Python variants are interleaved repetition by
repetition, in rotating order, so that load from other processes hits
them alike.  With
--rounds R > 1 the best-of-reps is taken R times and the median of the R
bests is reported (with each round's overhead).  Handles are freed and
results released outside the timed regions, on both sides.

On a loaded machine the end-to-end difference of two calls of 0.03-3 s
is noisier than 5%, so the package's own work is also timed alone, the
same number of times: Model.predict with ck_model_predict skipped (the
package's call function replaced, for that measurement only, by one that
skips it), and for the features the wrapping of a matrix the bare call
computed beforehand (FeatureMatrix(handle): names, ids, view; and its
.to_frame()) minus the bare wrapping (the numpy view).  That time, as a
share of the C call, is the overhead without the C call's noise.

The data set is generated once with
  build/default/tools/churnkit generate --customers 100000 --seed 5 \
      --out /tmp/ck_bench100k
and reused when /tmp/ck_bench100k/generator_config.textproto (written last
by the generator) exists.  Its loading is not timed.  The scoring model is
fitted (L2, the defaults) on 10^5 rows of the same synthetic matrix with the
default FeatureSet's 91 column names; the matrix is standard normal with
labels drawn from a logistic model (seed 16); the NaN copy's model is
fitted the same way with missing_values: MISSING_IMPUTE_MEAN.

Usage (from the repository root):
  CHURNKIT_LIBRARY=build/default/libchurnkit.so PYTHONPATH=python \\
      nice /usr/bin/python3 bench/compare/python_binding_overhead.py \\
      [--reps 5] [--warmup 1] [--rounds 3] [--min-time 3] [--threads 0] [--rows 1000000] \\
      [--nan-share 0.2] [--data /tmp/ck_bench100k] \\
      [--only predict|features]
"""
import argparse
import ctypes
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from ctypes import POINTER, c_char_p, c_double, c_int, c_int64, c_size_t, \
    c_void_p

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
AS_OF = "2026-01-01"  # the day after the generated period: every customer
DOUBLE_P = POINTER(c_double)


def bare_library(path):
    """A ctypes view of libchurnkit independent of the package's bindings
    (its own CDLL object and function prototypes)."""
    L = ctypes.CDLL(path)
    sig = {
        "ck_last_error": (c_char_p, []),
        "ck_threads_set": (c_int, [c_int]),
        "ck_threads_get": (c_int, []),
        "ck_model_load": (c_int, [c_char_p, c_size_t, POINTER(c_void_p)]),
        "ck_model_free": (None, [c_void_p]),
        "ck_model_predict": (c_int, [c_void_p, DOUBLE_P, c_size_t, c_size_t,
                                     POINTER(c_char_p), DOUBLE_P, c_size_t]),
        "ck_features_create": (c_int, [c_char_p, c_size_t,
                                       POINTER(c_void_p)]),
        "ck_features_free": (None, [c_void_p]),
        "ck_features_compute_matrix": (c_int, [c_void_p, c_void_p, c_int64,
                                               POINTER(c_void_p)]),
        "ck_matrix_shape": (c_int, [c_void_p, POINTER(c_size_t),
                                    POINTER(c_size_t)]),
        "ck_matrix_data": (c_void_p, [c_void_p]),
        "ck_matrix_free": (None, [c_void_p]),
    }
    for name, (restype, argtypes) in sig.items():
        fn = getattr(L, name)
        fn.restype, fn.argtypes = restype, argtypes
    return L


def check(L, status, what):
    if status != 0:
        raise SystemExit(f"{what}: status {status}: "
                         f"{L.ck_last_error().decode()}")


def timed(fn):
    """Seconds of one call of fn(); returns (seconds, result)."""
    gc.collect()
    t0 = time.perf_counter()
    r = fn()
    t1 = time.perf_counter()
    return t1 - t0, r


def best_of(variants, reps, warmup, min_time=0.0):
    """Runs every variant warmup + reps times, interleaved (the order
    rotating each repetition, so that no variant always follows another);
    returns the best time per variant.  More repetitions are made when
    reps of the first variant would take under min_time seconds.  A
    variant returns something to release after the timer stops (a handle
    or an array), or None."""
    best = {name: float("inf") for name, _, _ in variants}
    i, n = 0, warmup + reps
    while i < n:
        k = i % len(variants)
        for name, fn, release in variants[k:] + variants[:k]:
            t, r = timed(fn)
            if release is not None:
                release(r)
            del r
            if i >= warmup:
                best[name] = min(best[name], t)
            elif i == 0 and name == variants[0][0] and t * reps < min_time:
                n = warmup + int(min_time / max(t, 1e-6)) + 1
        i += 1
    return best


def load_average():
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def uptime_line():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average %.2f, %.2f, %.2f" % load_average()


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def ensure_data(path, binary):
    if os.path.exists(os.path.join(path, "generator_config.textproto")):
        print(f"reusing {path}", file=sys.stderr)
        return
    print(f"generating {path} ...", file=sys.stderr)
    subprocess.run([binary, "generate", "--customers", "100000", "--seed",
                    "5", "--out", path, "--quiet"], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--min-time", type=float, default=3.0,
                    help="more repetitions while the C call's take less")
    ap.add_argument("--threads", type=int, default=0,
                    help="ck_threads_set for this thread (0: one per core)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--nan-share", type=float, default=0.2,
                    help="also score a copy with this share of NaN (0: no)")
    ap.add_argument("--data", default="/tmp/ck_bench100k")
    ap.add_argument("--churnkit", default=os.path.join(
        ROOT, "build", "default", "tools", "churnkit"))
    ap.add_argument("--only", choices=["predict", "features"])
    args = ap.parse_args()
    if args.reps < 5 and args.rounds == 1:
        print("note: fewer than 5 repetitions", file=sys.stderr)

    import churnkit as ck
    from churnkit import _lib

    for attempt in range(30):  # the library may be briefly replaced by a build
        try:
            path = _lib.lib().path
            break
        except ck.LibraryNotFoundError:
            if attempt == 29:
                raise
            time.sleep(2)
    start_load = uptime_line()
    L = bare_library(path)
    check(L, L.ck_threads_set(args.threads), "ck_threads_set")
    # (task, size, variant, C s per round, Python s per round, the
    # package's own work alone per round)
    rows_out = []
    real_call = _lib.call

    def skip_call(skipped):
        def call(name, *a):
            if name != skipped:
                real_call(name, *a)
        return call

    # ------------------------------------------------ (1) scoring
    if args.only in (None, "predict"):
        fs = ck.FeatureSet()
        cols = list(fs.columns)
        d = len(cols)
        rng = np.random.default_rng(16)
        x = rng.standard_normal((args.rows, d))
        w = rng.standard_normal(d) * 0.3
        fit_n = min(100_000, args.rows)
        p = 1.0 / (1.0 + np.exp(-(x[:fit_n] @ w - 1.0)))
        y = (rng.random(fit_n) < p).astype(np.uint8)
        cases = [("all finite", x, None)]
        if args.nan_share > 0:
            cases.append((f"{args.nan_share:.0%} NaN, mean-imputing model",
                          x.copy(), {"missing_values": "MISSING_IMPUTE_MEAN"}))
            cases[-1][1][rng.random(x.shape) < args.nan_share] = np.nan
        names = (c_char_p * d)(*[c.encode() for c in cols])
        out_c = np.empty(args.rows, dtype=np.float64)
        out_py = np.empty(args.rows, dtype=np.float64)
        rows, predict = args.rows, L.ck_model_predict
        for label, xs, options in cases:
            model = ck.Model.fit(xs[:fit_n], y, columns=cols, options=options)
            assert model.feature_names == cols
            saved = model.save()
            h = c_void_p()
            check(L, L.ck_model_load(saved, len(saved), ctypes.byref(h)),
                  "ck_model_load")
            x_p = xs.ctypes.data_as(DOUBLE_P)
            out_p = out_c.ctypes.data_as(DOUBLE_P)

            def c_predict(h=h, x_p=x_p, out_p=out_p):
                predict(h, x_p, rows, d, names, out_p, rows)

            def py(xs=xs, model=model, **kw):
                return lambda: model.predict(xs, **kw)

            variants = [
                ("C", c_predict, None),
                ("predict(x)", py(), None),
                ("predict(x, check_input=False)", py(check_input=False),
                 None),
            ]
            if options is None:
                variants.append(("predict(x, out=buf, check_input=False)",
                                 py(out=out_py, check_input=False), None))
            # same numbers from both sides
            c_predict()
            if not np.array_equal(out_c, model.predict(xs)):
                raise SystemExit("C and Python scores differ")
            results = [best_of(variants, args.reps, args.warmup, args.min_time)
                       for _ in range(args.rounds)]
            # the package's own work: the same calls with ck_model_predict
            # skipped (everything else of Model.predict runs)
            _lib.call = skip_call("ck_model_predict")
            try:
                alone = [best_of(variants[1:], args.reps, args.warmup,
                                 args.min_time) for _ in range(args.rounds)]
            finally:
                _lib.call = real_call
            size = f"{rows:,} rows x {d}, {label}"
            for name, _, _ in variants[1:]:
                rows_out.append(("score", size, f"`Model.{name}`",
                                 [r["C"] for r in results],
                                 [r[name] for r in results],
                                 [a[name] for a in alone]))
            L.ck_model_free(h)
            del model, variants
        del x, xs, cases
        gc.collect()

    # ------------------------------------------------ (2) features
    if args.only in (None, "features"):
        ensure_data(args.data, args.churnkit)
        t0 = time.perf_counter()
        ds = ck.Dataset.load(args.data)
        load_s = time.perf_counter() - t0
        print(f"loaded {args.data}: {ds.num_customers:,} customers, "
              f"{ds.num_events:,} events in {load_s:.1f} s (not timed)",
              file=sys.stderr)
        fs = ck.FeatureSet()
        fh = c_void_p()
        check(L, L.ck_features_create(None, 0, ctypes.byref(fh)),
              "ck_features_create")
        as_of = ck.parse_time(AS_OF)
        dsh = ds._h.ptr  # the same loaded data set for both sides
        compute = L.ck_features_compute_matrix

        def c_features():
            m = c_void_p()
            status = compute(fh, dsh, as_of, ctypes.byref(m))
            if status != 0:
                check(L, status, "ck_features_compute_matrix")
            r, c = c_size_t(), c_size_t()
            L.ck_matrix_shape(m, ctypes.byref(r), ctypes.byref(c))
            buf = (c_double * (r.value * c.value)).from_address(
                L.ck_matrix_data(m))
            values = np.frombuffer(buf, dtype=np.float64).reshape(
                r.value, c.value)
            return (m, values)

        def release_c(result):
            m, values = result
            del values
            L.ck_matrix_free(m)

        variants = [
            ("C", c_features, release_c),
            ("compute", lambda: fs.compute(ds, AS_OF), None),
            ("compute().to_frame()",
             lambda: fs.compute(ds, AS_OF).to_frame(), None),
        ]
        # same numbers from both sides
        mc = c_features()
        fm = fs.compute(ds, AS_OF)
        n_rows = fm.shape[0]
        if not np.array_equal(mc[1], fm.values, equal_nan=True):
            raise SystemExit("C and Python features differ")
        release_c(mc)
        del fm, mc
        results = [best_of(variants, args.reps, args.warmup, args.min_time)
                   for _ in range(args.rounds)]
        # each side's own work alone: wrapping a matrix computed (untimed)
        # beforehand by the bare call -- the numpy view for C, FeatureMatrix
        # (names, ids, view) and .to_frame() for the package
        from churnkit.features import FeatureMatrix

        def wrap_c(m):
            r, c = c_size_t(), c_size_t()
            L.ck_matrix_shape(m, ctypes.byref(r), ctypes.byref(c))
            buf = (c_double * (r.value * c.value)).from_address(
                L.ck_matrix_data(m))
            return (m, np.frombuffer(buf, dtype=np.float64).reshape(
                r.value, c.value))

        def wrap_alone(wrap, reps):
            best = float("inf")
            for i in range(args.warmup + reps):
                m = c_void_p()
                check(L, compute(fh, dsh, as_of, ctypes.byref(m)),
                      "ck_features_compute_matrix")
                t, r = timed(lambda: wrap(m))
                if isinstance(r, tuple):
                    release_c(r)
                del r  # the package's objects free the matrix
                if i >= args.warmup:
                    best = min(best, t)
            return best

        alone = []
        for _ in range(args.rounds):
            c_alone = wrap_alone(wrap_c, args.reps)
            alone.append({
                "C": c_alone,
                "compute": wrap_alone(lambda m: FeatureMatrix(m), args.reps),
                "compute().to_frame()": wrap_alone(
                    lambda m: FeatureMatrix(m).to_frame(), args.reps)})
        size = f"{n_rows:,} customers x {len(fs.columns)} ({ds.num_events:,} events)"
        for name, label in (("compute", "`FeatureSet.compute`"),
                            ("compute().to_frame()",
                             "`FeatureSet.compute(...).to_frame()`")):
            rows_out.append(("features", size, label,
                             [r["C"] for r in results],
                             [r[name] for r in results],
                             [a[name] - a["C"] for a in alone]))
        L.ck_features_free(fh)

    # ------------------------------------------------ report
    print()
    print(f"library {path} ({ck.library_version()}); Python "
          f"{platform.python_version()}, numpy {np.__version__}; "
          f"{os.cpu_count()} CPUs ({cpu_model()}); "
          f"ck_threads_set({args.threads}) -> ck_threads_get() = "
          f"{L.ck_threads_get()} (0: one per core); nice "
          f"{os.nice(0)}; best of {args.reps} (or >= {args.min_time:g} s of "
          f"C calls) after {args.warmup} warm-up, "
          f"C and Python interleaved"
          + (f"; median of {args.rounds} rounds" if args.rounds > 1 else ""))
    print(f"at the start: {start_load}")
    print(f"at the end:   {uptime_line()}")
    print()
    multi = args.rounds > 1
    print("| task | size | Python call | C s | Python s | overhead "
          "| package's own work alone | as % of C |"
          + (" overhead per round |" if multi else ""))
    print("|---|---|---|---:|---:|---:|---:|---:|" + ("---|" if multi else ""))
    for task, size, name, cs, ps, own in rows_out:
        c, py, o = (statistics.median(cs), statistics.median(ps),
                    statistics.median(own))
        line = (f"| {task} | {size} | {name} | {c:.3f} | {py:.3f} | "
                f"{100 * (py / c - 1):+.1f}% | {o:.4f} | "
                f"{100 * o / c:.1f}% |")
        if multi:
            line += " " + ", ".join(f"{100 * (p / q - 1):+.1f}%"
                                    for q, p in zip(cs, ps)) + " |"
        print(line)


if __name__ == "__main__":
    main()
