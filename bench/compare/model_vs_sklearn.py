#!/usr/bin/python3
"""churnkit's logistic fit and batch scoring against scikit-learn, liblinear
and numpy: the same data, in the same run.

For each size, the script generates a standardized matrix and labels
(numpy, fixed seed), writes them to a scratch directory and times:
  * churnkit (bench/model_fit_file: FitLogistic with the default solver and
    with L-BFGS, PredictInto, and a parallel copy of the matrix);
  * scikit-learn LogisticRegression with solver lbfgs, newton-cholesky and
    liblinear, at their default tolerance (tol=1e-4);
  * liblinear-train -s 0 (the liblinear-tools package), on an svmlight file
    (its parsing time is included: that is how the tool is used);
  * numpy scoring, 1 / (1 + exp(-(X @ w + b))).
Every fit is reported with its objective in scikit-learn's convention,
C * sum_i logloss_i + 0.5 * ||w||^2 with an unpenalized intercept, so that
speed is compared at a known accuracy. liblinear penalizes its bias term,
so its objective is that of a slightly different problem, evaluated here in
the common convention. Times are the best of REPEATS runs (wall clock).

Usage (the system Python has numpy and scikit-learn):
    /usr/bin/python3 bench/compare/model_vs_sklearn.py BUILD_DIR \
        [--sizes 10000x32,10000x128,100000x32,100000x128] [--repeats 3]
BUILD_DIR is a build with -DCHURNKIT_BUILD_BENCH=ON (e.g. build/bench).
Prints a Markdown table for docs/performance.md.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

C = 1.0


def make_data(n, d, seed=7):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)) * (1 + np.arange(d) % 5) + np.arange(d)
    beta = rng.standard_normal(d) * 2 / np.sqrt(d)
    eta = -1 + ((x - np.arange(d)) / (1 + np.arange(d) % 5)) @ beta
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(np.uint8)
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    return np.ascontiguousarray(z), y


def objective(z, y, coef, intercept):
    eta = intercept + z @ coef
    return C * np.sum(np.logaddexp(0, eta) - y * eta) + 0.5 * coef @ coef


def best_time(fn, repeats):
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def sklearn_fit(z, y, solver, repeats):
    def fit():
        return LogisticRegression(C=C, solver=solver, max_iter=10000).fit(z, y)
    t, m = best_time(fit, repeats)
    return t, objective(z, y, m.coef_.ravel(), m.intercept_[0])


def liblinear_train(z, y, tmp, repeats):
    exe = shutil.which("liblinear-train")
    if exe is None:
        return None
    data = os.path.join(tmp, "train.svm")
    with open(data, "w") as f:
        for i in range(z.shape[0]):
            f.write("%d " % (1 if y[i] else -1))
            f.write(" ".join("%d:%.17g" % (j + 1, v)
                             for j, v in enumerate(z[i])))
            f.write("\n")
    model = os.path.join(tmp, "train.model")

    def run():
        subprocess.run([exe, "-s", "0", "-c", str(C), "-B", "1", "-q", data,
                        model], check=True)
    t, _ = best_time(run, repeats)
    with open(model) as f:
        lines = f.read().split("\n")
    labels = next(l for l in lines if l.startswith("label")).split()[1:]
    w = np.array([float(v) for v in lines[lines.index("w") + 1:] if v])
    if labels[0] != "1":  # weights are for the first label
        w = -w
    return t, objective(z, y, w[:-1], w[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build_dir")
    parser.add_argument("--sizes",
                        default="10000x32,10000x128,100000x32,100000x128")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runner = os.path.join(args.build_dir, "bench", "model_fit_file")
    if not os.path.exists(runner):
        sys.exit("no %s: build with -DCHURNKIT_BUILD_BENCH=ON" % runner)
    fits, scoring = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            n, d = (int(v) for v in size.split("x"))
            z, y = make_data(n, d)
            z.tofile(os.path.join(tmp, "x.f64"))
            y.tofile(os.path.join(tmp, "y.u8"))
            out = subprocess.run(
                [runner, os.path.join(tmp, "x.f64"), os.path.join(tmp, "y.u8"),
                 str(n), str(d), str(C), str(args.repeats)],
                check=True, capture_output=True, text=True).stdout
            ck = json.loads(out)
            rows = [("churnkit %s" % ck["solver"].replace("SOLVER_", "").lower(),
                     ck["fit_seconds"], ck["objective"]),
                    ("churnkit lbfgs", ck["lbfgs_seconds"],
                     ck["lbfgs_objective"])]
            for solver in ("lbfgs", "newton-cholesky", "liblinear"):
                t, obj = sklearn_fit(z, y, solver, args.repeats)
                rows.append(("sklearn " + solver, t, obj))
            if n <= 100000:
                ll = liblinear_train(z, y, tmp, args.repeats)
                if ll is not None:
                    rows.append(("liblinear-train -s 0", ll[0], ll[1]))
            best = min(r[2] for r in rows)
            for name, t, obj in rows:
                fits.append((n, d, name, t, obj, obj - best,
                             t / ck["fit_seconds"]))
            w = np.array(ck["coefficients"])
            b = ck["intercept"]
            t_np, _ = best_time(lambda: 1 / (1 + np.exp(-(z @ w + b))),
                                max(args.repeats, 5))
            scoring.append((n, d, ck["predict_seconds"], ck["predict_gbps"],
                            ck["copy_gbps"], t_np))
            print("done %dx%d" % (n, d), file=sys.stderr)
    print("| n | d | fit | seconds | objective | above best | time / churnkit default |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    for n, d, name, t, obj, gap, ratio in fits:
        print("| %d | %d | %s | %.4f | %.6f | %.2e | %.2f |" %
              (n, d, name, t, obj, gap, ratio))
    print()
    print("| n | d | churnkit scoring s | GB/s read | copy GB/s (read+write) "
          "| scoring / copy | numpy X@w+sigmoid s | numpy / churnkit |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, d, t, gbps, copy, t_np in scoring:
        print("| %d | %d | %.4f | %.2f | %.2f | %.2f | %.4f | %.2f |" %
              (n, d, t, gbps, copy, gbps / copy, t_np, t_np / t))


if __name__ == "__main__":
    main()
