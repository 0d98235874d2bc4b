#!/usr/bin/python3
"""Newton-Cholesky against L-BFGS on the real tables of ../shared/data:
the evidence for SOLVER_AUTO's choice of Newton up to 64 features (issue
19). One-hot CRM exports are ill-conditioned (each categorical's levels
sum to one), which costs L-BFGS many passes where Newton needs a few; the
synthetic matrices of model_vs_sklearn.py are well conditioned and favour
L-BFGS.

Tables as cv_vs_sklearn.py builds them (Telco one-hot with mean imputation,
the CDNOW RFM table), fitted whole with `churnkit.Model.fit` (L2, C = 1)
at two tolerances. Prints, per table, solver and tolerance: the best of 15
wall times through the Python package, the report's iterations, the
passes over the table (1 for means and scales + the evaluations) and the
objective, as a Markdown table.

  CHURNKIT_LIBRARY=build/default/libchurnkit.so PYTHONPATH=python \\
      /usr/bin/python3 bench/compare/solvers_on_real_tables.py \\
      [--data ../shared/data]
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cv_vs_sklearn import cdnow, telco  # noqa: E402

import churnkit as ck  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
        "shared", "data"))
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print("| table | rows × features | solver | tolerance | best s "
          "| iterations | passes | objective |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for name, load in (("Telco", telco), ("CDNOW", cdnow)):
        x, y = load(args.data)
        names = [str(c) for c in x.columns]
        values = np.ascontiguousarray(x.to_numpy(dtype=np.float64))
        for solver in ("SOLVER_NEWTON_CHOLESKY", "SOLVER_LBFGS"):
            for tolerance in (1e-6, 1e-8):
                options = {"solver": solver, "tolerance": tolerance,
                           "missing_values": "MISSING_IMPUTE_MEAN"}
                best = float("inf")
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    model = ck.Model.fit(values, y, columns=names,
                                         options=options)
                    best = min(best, time.perf_counter() - start)
                report = model.raw["report"]
                # int64 fields arrive as strings (protobuf's JSON).
                share = (int(report.get("subsample_rows", 0)) /
                         int(report["rows"]))
                passes = (1 + report.get("evaluations", 0) +
                          report.get("subsample_evaluations", 0) * share)
                print(f"| {name} | {values.shape[0]} × {values.shape[1]} "
                      f"| {solver} | {tolerance:g} | {best:.4f} "
                      f"| {report.get('iterations', 0)} "
                      f"| {passes:g} "
                      f"| {report['objective']:.9f} |")


if __name__ == "__main__":
    main()
