#!/usr/bin/python3
"""Reference numbers of scipy and statsmodels for tests/experiments_test.cc.

Writes tests/reference/experiments_fixtures.json: results (numbers only, no
data) of
  * scipy.stats.norm.ppf / norm.cdf           -> NormalQuantile / NormalCdf
  * statsmodels proportions_ztest              -> TwoProportionZTest
    (pooled standard error; alternative 'two-sided', 'larger', 'smaller')
  * statsmodels confint_proportions_2indep     -> DifferenceInterval
    (compare='diff', method='wald' and method='newcomb')
  * scipy.stats.fisher_exact                   -> FisherExact
    (two-sided, 'less', 'greater'; the odds ratio, "inf" when infinite)
  * statsmodels samplesize_proportions_2indep_onetail (two-sided)
                                               -> SampleSizePerArm (before
    rounding up; the C++ test checks ceil of it)
and the time scipy takes for fisher_exact on the benchmark's large tables
(bench/experiments_bench.cc), for docs/experiments.md.

Run once with the system Python (python3-scipy, python3-statsmodels):
    /usr/bin/python3 tests/reference/experiments_reference.py
"""

import json
import math
import os
import sys
import timeit

import scipy
import statsmodels
from scipy import stats
from statsmodels.stats.proportion import (confint_proportions_2indep,
                                          proportions_ztest,
                                          samplesize_proportions_2indep_onetail)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "experiments_fixtures.json")

QUANTILE_PS = [1e-300, 1e-100, 1e-20, 1e-10, 1e-5, 0.001, 0.01, 0.025, 0.05,
               0.1, 0.2, 0.25, 0.3, 0.4, 0.425, 0.5, 0.575, 0.6, 0.75, 0.8,
               0.9, 0.95, 0.975, 0.99, 0.999, 1 - 1e-5, 1 - 1e-10]
CDF_XS = [-38.0, -20.0, -10.0, -5.0, -3.0, -1.959963984540054, -1.0, -0.5,
          0.0, 0.5, 1.0, 1.6448536269514722, 2.0, 3.0, 5.0, 8.0]

# (successes1, trials1, successes2, trials2)
PROPORTIONS = [
    (56, 70, 48, 80),        # Newcombe (1998), example (a)
    (9, 10, 3, 10),          # Newcombe (1998), example (b)
    (6, 7, 2, 7),            # Newcombe (1998), example (c)
    (5, 56, 0, 29),          # Newcombe (1998), example (d)
    (189, 11034, 104, 11037),  # Agresti (2002) 2.2.3: aspirin and MI
    (412, 1000, 380, 1000),
    (3, 40, 9, 41),
    (812, 1000, 790, 1000),
    (10, 10, 9, 10),
    (1, 1, 0, 1),
]

# [[a, b], [c, d]]
FISHER_TABLES = [
    (3, 1, 1, 3),        # Fisher's lady tasting tea
    (1, 9, 11, 3),       # scipy docs / Agresti-style small table
    (8, 2, 1, 5),
    (0, 5, 5, 0),
    (5, 0, 0, 5),
    (2, 7, 8, 2),
    (10, 10, 10, 10),
    (7, 12, 0, 15),
    (21, 3, 2, 14),
    (100, 50, 60, 90),
    (412, 588, 380, 620),
    (5000, 4000, 4800, 4300),
    (1, 0, 0, 0),        # a zero margin: p = 1, odds ratio undefined
    (0, 0, 3, 4),
    (12, 0, 7, 9),
]

# (p1, p2, alpha, power)
SAMPLE_SIZES = [
    (0.25, 0.40, 0.05, 0.8),
    (0.40, 0.25, 0.05, 0.8),
    (0.80, 0.85, 0.05, 0.8),
    (0.50, 0.60, 0.05, 0.9),
    (0.10, 0.12, 0.01, 0.8),
    (0.95, 1.00, 0.05, 0.8),
    (0.30, 0.35, 0.10, 0.5),
]

# The benchmark's large tables (bench/experiments_bench.cc).
BENCH_TABLES = [
    (5000, 4000, 4800, 4300),
    (250000, 250000, 249000, 251000),
    (400000, 100000, 395000, 105000),
]


def finite_or_str(x):
    if math.isinf(x):
        return "inf"
    if math.isnan(x):
        return "nan"
    return x


def main():
    out = {
        "versions": {"scipy": scipy.__version__,
                     "statsmodels": statsmodels.__version__},
        "normal_quantile": [[p, float(stats.norm.ppf(p))]
                            for p in QUANTILE_PS],
        "normal_cdf": [[x, float(stats.norm.cdf(x))] for x in CDF_XS],
        "proportions": [],
        "fisher": [],
        "sample_size": [],
        "scipy_fisher_seconds": {},
    }
    for s1, n1, s2, n2 in PROPORTIONS:
        case = {"s1": s1, "n1": n1, "s2": s2, "n2": n2}
        for alt, name in (("two-sided", "p_value"), ("larger", "p_greater"),
                          ("smaller", "p_less")):
            z, p = proportions_ztest([s1, s2], [n1, n2], alternative=alt)
            case["z"] = float(z)
            case[name] = float(p)
        for alpha in (0.05, 0.01):
            for method in ("wald", "newcomb"):
                low, upp = confint_proportions_2indep(
                    s1, n1, s2, n2, method=method, compare="diff",
                    alpha=alpha)
                case["%s_%g" % (method, alpha)] = [float(low), float(upp)]
        out["proportions"].append(case)
    for a, b, c, d in FISHER_TABLES:
        table = [[a, b], [c, d]]
        odds, p = stats.fisher_exact(table)
        _, p_less = stats.fisher_exact(table, alternative="less")
        _, p_greater = stats.fisher_exact(table, alternative="greater")
        out["fisher"].append({"table": [a, b, c, d], "p_value": float(p),
                              "p_less": float(p_less),
                              "p_greater": float(p_greater),
                              "odds_ratio": finite_or_str(float(odds))})
    for p1, p2, alpha, power in SAMPLE_SIZES:
        n = samplesize_proportions_2indep_onetail(
            p1 - p2, p2, power, ratio=1, alpha=alpha,
            alternative="two-sided")
        out["sample_size"].append({"p1": p1, "p2": p2, "alpha": alpha,
                                   "power": power, "n": float(n)})
    for table in BENCH_TABLES:
        t = [[table[0], table[1]], [table[2], table[3]]]
        runs = 20
        seconds = timeit.timeit(lambda: stats.fisher_exact(t), number=runs)
        out["scipy_fisher_seconds"]["%d,%d,%d,%d" % table] = seconds / runs
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
