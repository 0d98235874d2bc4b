"""Measures the per-customer steps single-process, over partitions in turn,
and on a LocalCluster (docs/scale-out.md, "Memory per worker" and "Plan").

    PYTHONPATH=python CHURNKIT_LIBRARY=build/default/libchurnkit.so \\
      nice /usr/bin/python3 python/benchmarks/scale_out.py MODE ...

Modes (each prints one JSON object; run each in its own process, so the
peak RSS, ``getrusage(RUSAGE_SELF).ru_maxrss``, is that mode's):

* ``single DATA MODEL``: load the whole data set, then features, scores,
  labels, assess (with MODEL, a file of ``Model.save_file``), timed;
* ``local PARTS MODEL [--threads N] [--steps features,labels]``:
  ``churnkit.dask.run(client=None)``
  over a partitions directory;
* ``cluster PARTS MODEL [--workers 2] [--threads-per-worker 1]``: the same
  on a ``LocalCluster`` of worker processes: each worker's peak RSS, and
  that of an idle worker (its fixed overhead) measured before the run;
* ``partition DATA OUT N``: ``churnkit.partition``, timed.

With ``--fit`` the single, local and cluster modes also train the churn
model on the train job's panel at FIT_DATES (horizon 90, labelled at the
end): ``Model.fit`` on the training rows of the whole panel (Newton, the
resolved request's options) single-process, ``churnkit.dask.train`` over
the partitions otherwise; with ``--steps ''`` only the training runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

AS_OF = "2025-10-01"
STEPS = ("features", "scores", "labels", "assess")
# The training panel (--fit): the main job's quarterly dates and labels.
FIT_DATES = ["2024-07-01", "2024-10-01", "2025-01-01", "2025-04-01",
             "2025-07-01"]
TRAIN = {"horizon_days": 90, "panel_label": "PANEL_LABEL_CHURNED_AT_END"}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def single(args) -> dict:
    import churnkit as ck
    import churnkit.dask as ckd
    base = peak_rss_mib()
    model = ck.Model.load_file(args.model)
    out = {"mode": "single", "rss_after_import_mib": base}
    t = time.perf_counter()
    ds = ck.load(args.data)
    out["seconds_load"] = time.perf_counter() - t
    out["customers"], out["events"] = ds.num_customers, ds.num_events
    if args.fit:
        t = time.perf_counter()
        panel, request = ck.train_panel(ds, ck.train_request(FIT_DATES,
                                                             **TRAIN))
        held = panel.as_of >= ck.parse_time(request["test_from"])
        out["seconds_panel"] = time.perf_counter() - t
        out["panel_rows"] = len(panel.labels)
        t = time.perf_counter()
        x = panel.to_frame(index="row")
        ck.Model.fit(x[~held], panel.labels[~held],
                     options=dict(request["fit"],
                                  solver="SOLVER_NEWTON_CHOLESKY"))
        out["seconds_fit"] = time.perf_counter() - t
        del panel, x
    steps = set(args.steps.split(",")) if args.steps else set()
    if "features" in steps or "scores" in steps:
        t = time.perf_counter()
        x = ck.FeatureSet().compute(ds, AS_OF).to_frame()
        out["seconds_features"] = time.perf_counter() - t
        if "scores" in steps:
            t = time.perf_counter()
            model.predict(x)
            out["seconds_scores"] = time.perf_counter() - t
        del x
    if "labels" in steps:
        t = time.perf_counter()
        ck.labels(ds, AS_OF)
        out["seconds_labels"] = time.perf_counter() - t
    if "assess" in steps:
        t = time.perf_counter()
        r = ck.assess(ds, AS_OF, model=model)
        r.customers[ckd.ASSESS_COLUMNS]
        out["seconds_assess"] = time.perf_counter() - t
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def local(args) -> dict:
    import churnkit as ck
    import churnkit.dask as ckd
    base = peak_rss_mib()
    model = ck.Model.load_file(args.model)
    out = {"mode": "local", "rss_after_import_mib": base}
    if args.fit:
        t = time.perf_counter()
        ckd.train(args.parts, FIT_DATES, threads=args.threads, **TRAIN)
        out["seconds_fit_with_panels"] = time.perf_counter() - t
        out["peak_rss_after_fit_mib"] = peak_rss_mib()
    if args.steps:
        t = time.perf_counter()
        res = ckd.run(args.parts, AS_OF, steps=args.steps.split(","),
                      model=model, threads=args.threads)
        info = res["info"]
        out.update({"seconds": time.perf_counter() - t,
                    "partitions": len(info),
                    "customers": int(info["customers"].sum()),
                    "per_partition": json.loads(
                        info.to_json(orient="records"))})
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def cluster(args) -> dict:
    import churnkit as ck
    import churnkit.dask as ckd
    from distributed import Client, LocalCluster
    model = ck.Model.load_file(args.model)
    with LocalCluster(n_workers=args.workers,
                      threads_per_worker=args.threads_per_worker,
                      processes=True, dashboard_address=":0",
                      silence_logs=40) as lc, Client(lc) as client:
        def idle():
            import churnkit
            churnkit.library_version()  # load the library as a task would
            return peak_rss_mib()
        idle_rss = client.run(idle)
        out = {"mode": "cluster", "workers": args.workers,
               "threads_per_worker": args.threads_per_worker,
               "idle_worker_peak_rss_mib": idle_rss}
        if args.fit:
            t = time.perf_counter()
            ckd.train(args.parts, FIT_DATES, client=client, **TRAIN)
            out["seconds_fit_with_panels"] = time.perf_counter() - t
            out["worker_peak_rss_after_fit_mib"] = client.run(peak_rss_mib)
        if args.steps:
            t = time.perf_counter()
            res = ckd.run(args.parts, AS_OF, client=client,
                          steps=args.steps.split(","), model=model)
            info = res["info"]
            out.update({"seconds": time.perf_counter() - t,
                        "partitions": len(info),
                        "customers": int(info["customers"].sum()),
                        "per_partition": json.loads(
                            info.to_json(orient="records"))})
        out["worker_peak_rss_mib"] = client.run(peak_rss_mib)
    out["client_peak_rss_mib"] = peak_rss_mib()
    return out


def partition(args) -> dict:
    import churnkit as ck
    t = time.perf_counter()
    r = ck.partition(args.data, args.n, args.out)
    return {"mode": "partition", "seconds": time.perf_counter() - t,
            "rows_read": r.rows_read, "partitions": r.partitions,
            "rows": [p.rows for p in r], "peak_rss_mib": peak_rss_mib()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("single")
    p.add_argument("data")
    p.add_argument("model")
    p.add_argument("--steps", default=",".join(STEPS))
    p.add_argument("--fit", action="store_true")
    p = sub.add_parser("local")
    p.add_argument("parts")
    p.add_argument("model")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--steps", default=",".join(STEPS))
    p.add_argument("--fit", action="store_true")
    p = sub.add_parser("cluster")
    p.add_argument("parts")
    p.add_argument("model")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads-per-worker", type=int, default=1)
    p.add_argument("--steps", default=",".join(STEPS))
    p.add_argument("--fit", action="store_true")
    p = sub.add_parser("partition")
    p.add_argument("data")
    p.add_argument("out")
    p.add_argument("n", type=int)
    args = ap.parse_args()
    out = {"single": single, "local": local, "cluster": cluster,
           "partition": partition}[args.mode](args)
    out["cpu_count"] = os.cpu_count()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
