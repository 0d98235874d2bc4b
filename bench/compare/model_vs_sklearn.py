#!/usr/bin/python3
"""churnkit's logistic fit and batch scoring against scikit-learn, liblinear
and numpy: the same data, in the same run.

For each size, the script generates a standardized matrix and labels
(numpy, fixed seed), writes them to a scratch directory and times:
  * churnkit (bench/model_fit_file): FitLogistic with the default solver and
    with L-BFGS at each tolerance of a ladder (1e-4 ... 1e-10; the default
    is 1e-8), PredictInto, and a parallel read and copy of the matrix;
  * scikit-learn LogisticRegression with solver lbfgs, newton-cholesky and
    liblinear, at their default tolerance (tol=1e-4);
  * liblinear-train -s 0 (the liblinear-tools package), on an svmlight file
    (its parsing time is included: that is how the tool is used), up to
    LIBLINEAR_MAX_ROWS rows (writing the text file takes minutes above);
  * numpy scoring, 1 / (1 + exp(-(X @ w + b))).
Every objective is computed here, by one function, from each tool's
coefficients on the same matrix, in scikit-learn's convention:
C * sum_i logloss_i + 0.5 * ||w||^2 with an unpenalized intercept.
liblinear penalizes its bias term, so its objective is that of a slightly
different problem, evaluated in the common convention. churnkit's
coefficients are mapped back from its own standardization (of the already
standardized matrix: means ~0, scales ~1).

Speed is compared at equal accuracy: for each other tool, "churnkit to
match" is the time of the loosest ladder tolerance at which churnkit's
objective is at most the tool's (plus 1e-13 relative, the rounding of the
objective's sum), for the default solver and for L-BFGS. Times are the best
of REPEATS runs (wall clock).

Usage (the system Python has numpy and scikit-learn; unset OPENBLAS_CORETYPE
and OPENBLAS_L2_SIZE, which slow a current numpy's BLAS):
    /usr/bin/python3 bench/compare/model_vs_sklearn.py BUILD_DIR \
        [--sizes 10000x32,10000x128,100000x32,100000x128] [--repeats 3]
BUILD_DIR is a build with -DCHURNKIT_BUILD_BENCH=ON (e.g. build/bench).
Prints Markdown tables for docs/prediction.md.
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
TOLERANCES = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10)
LIBLINEAR_MAX_ROWS = 100000
# Slack of "objective at most the other tool's": the rounding of the sum.
SLACK = 1e-13


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


def churnkit_objective(z, y, ck, fit):
    """Objective of a churnkit fit on z, mapped from its standardization."""
    scales = np.array(ck["scales"])
    coef = np.array(fit["coefficients"]) / scales
    intercept = fit["intercept"] - coef @ np.array(ck["means"])
    return objective(z, y, coef, intercept)


def passes(fit):
    """Reads of the whole matrix: means and scales, the warm start's
    subsample fit (its share of the rows per pass), the solver's passes."""
    share = fit["subsample_rows"] / fit["rows"]
    return 1 + fit["subsample_evaluations"] * share + fit["evaluations"]


def time_to_match(ladder, target):
    """(seconds, tolerance, passes) of the loosest fit at most `target`, or
    None."""
    for fit in ladder:  # loosest first
        if fit["common_objective"] <= target + SLACK * abs(target):
            return fit["seconds"], fit["tolerance"], passes(fit)
    return None


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
    fits, matches, scoring = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            n, d = (int(v) for v in size.split("x"))
            load = os.getloadavg()[0]
            z, y = make_data(n, d)
            z.tofile(os.path.join(tmp, "x.f64"))
            y.tofile(os.path.join(tmp, "y.u8"))
            out = subprocess.run(
                [runner, os.path.join(tmp, "x.f64"), os.path.join(tmp, "y.u8"),
                 str(n), str(d), str(C), str(args.repeats),
                 ",".join("%g" % t for t in TOLERANCES)],
                check=True, capture_output=True, text=True).stdout
            ck = json.loads(out)
            for fit in ck["fits"]:
                fit["common_objective"] = churnkit_objective(z, y, ck, fit)
            default = [f for f in ck["fits"] if f["default_solver"]]
            lbfgs = [f for f in ck["fits"] if not f["default_solver"]]
            at_default = next(f for f in default if f["tolerance"] == 1e-8)
            rows = []
            for ladder, label in ((default, "default"), (lbfgs, "lbfgs")):
                for f in ladder:
                    rows.append(("churnkit %s (%s) tol %g" % (
                        label, f["solver"].replace("SOLVER_", "").lower(),
                        f["tolerance"]), f["seconds"], f["common_objective"],
                        f["iterations"], passes(f)))
            others = []
            for solver in ("lbfgs", "newton-cholesky", "liblinear"):
                t, obj = sklearn_fit(z, y, solver, args.repeats)
                others.append(("sklearn " + solver, t, obj))
            if n <= LIBLINEAR_MAX_ROWS:
                ll = liblinear_train(z, y, tmp, args.repeats)
                if ll is not None:
                    others.append(("liblinear-train -s 0", ll[0], ll[1]))
            best = min([r[2] for r in rows] + [o[2] for o in others])
            for name, t, obj, it, ev in rows:
                fits.append((n, d, name, t, obj, obj - best,
                             "%d / %.2f" % (it, ev)))
            for name, t, obj in others:
                fits.append((n, d, name, t, obj, obj - best, ""))
                m_default = time_to_match(default, obj)
                m_lbfgs = time_to_match(lbfgs, obj)
                matches.append((n, d, name, t, obj - best, m_default, m_lbfgs,
                                at_default["seconds"], load))
            # The scored model: the default solver's at the last tolerance.
            w = np.array(default[-1]["coefficients"]) / np.array(ck["scales"])
            b = default[-1]["intercept"] - w @ np.array(ck["means"])
            t_np, _ = best_time(lambda: 1 / (1 + np.exp(-(z @ w + b))),
                                max(args.repeats, 5))
            scoring.append((n, d, ck["predict_seconds"], ck["predict_gbps"],
                            ck["read_gbps"], ck["copy_gbps"], t_np, load))
            print("done %dx%d (load %.2f)" % (n, d, load), file=sys.stderr)

    def match(m, t):
        if m is None:
            return "not reached"
        return "%.4f (tol %g, %.2f passes) = %.2fx" % (m[0], m[1], m[2],
                                                        t / m[0])

    print("| n | d | fit | seconds | objective | above best | "
          "iterations / passes over the matrix |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    for n, d, name, t, obj, gap, iters in fits:
        print("| %d | %d | %s | %.4f | %.6f | %.2e | %s |" %
              (n, d, name, t, obj, gap, iters))
    print()
    print("| n | d | tool | tool s | tool above best | churnkit default to "
          "match s (speed-up) | churnkit lbfgs to match s (speed-up) | "
          "churnkit default tol 1e-8 s | load |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for n, d, name, t, gap, m_def, m_lb, t_def, load in matches:
        print("| %d | %d | %s | %.4f | %.1e | %s | %s | %.4f | %.2f |" %
              (n, d, name, t, gap, match(m_def, t), match(m_lb, t), t_def,
               load))
    print()
    print("| n | d | churnkit scoring s | GB/s read | parallel read GB/s | "
          "copy GB/s (read+write) | scoring / read | scoring / copy | "
          "numpy X@w+sigmoid s | numpy / churnkit | load |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, d, t, gbps, read, copy, t_np, load in scoring:
        print("| %d | %d | %.4f | %.2f | %.2f | %.2f | %.2f | %.2f | %.4f | "
              "%.2f | %.2f |" % (n, d, t, gbps, read, copy, gbps / read,
                                 gbps / copy, t_np, t_np / t, load))


if __name__ == "__main__":
    main()
