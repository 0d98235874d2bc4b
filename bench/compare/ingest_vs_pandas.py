#!/usr/bin/python3
"""churnkit CSV ingestion vs pandas.read_csv on the same files, in one run.

Times churnkit's LoadDataset (the ingest_bench benchmark BM_CsvLoadDataset:
customers.csv + events.csv -> a validated, time-sorted, dictionary-encoded
Dataset) and pandas.read_csv on the same directory, best of N runs each, and
prints a table with MB/s and the churnkit/pandas throughput ratio.

pandas variants (all with the default C engine, which is single-threaded,
as churnkit's reader is):
  default        read_csv() with inferred types, times left as text
  typed          strings as object, numbers float64, flags float32,
                 times left as text (pandas' fastest typed read here)
  typed+cat      strings as category (the equivalent of churnkit's
                 dictionary encoding), times as text
  typed+cat+time as typed+cat, plus the time columns parsed to
                 datetime64[ns, UTC] with the exact ISO format; the same
                 work churnkit does (types, dictionary, parsed times)

Usage (normally through bench/compare/run_ingest.sh):
  /usr/bin/python3 bench/compare/ingest_vs_pandas.py \
      --bench build/bench/bench/ingest_bench --data-dir /tmp/ck-data \
      --events 5000000 --runs 3 [--json out.json]
The data must have been written by make_events_csv with the same sizes
(the benchmark reuses it through CHURNKIT_BENCH_DIR).
"""

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

STRING_COLUMNS = ["customer_id", "kind", "subtype", "key", "group"]
NUMBER_COLUMNS = ["amount", "value"]
FLAG_COLUMNS = ["complaint", "stockout", "decision_maker",
                "negative_feedback", "credit_used"]
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # "2021-01-01T00:00:01Z"; ISO fast path
CUSTOMER_STRINGS = ["id", "name", "industry", "size", "region", "tier",
                    "owner_id", "product"]


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(path, f))
               for f in os.listdir(path)
               if os.path.isfile(os.path.join(path, f)))


def read_default(csv_dir):
    customers = pd.read_csv(os.path.join(csv_dir, "customers.csv"))
    events = pd.read_csv(os.path.join(csv_dir, "events.csv"))
    return customers, events


def read_typed(csv_dir, string_dtype, parse_times):
    customers = pd.read_csv(
        os.path.join(csv_dir, "customers.csv"),
        dtype={**{c: string_dtype for c in CUSTOMER_STRINGS},
               "annual_value": "float64"})
    events = pd.read_csv(
        os.path.join(csv_dir, "events.csv"),
        dtype={**{c: string_dtype for c in STRING_COLUMNS},
               **{c: "float64" for c in NUMBER_COLUMNS},
               **{c: "float32" for c in FLAG_COLUMNS}})
    if parse_times:
        # signup_time holds dates only ("2020-05-17").
        customers["signup_time"] = pd.to_datetime(
            customers["signup_time"], format="%Y-%m-%d", utc=True)
        events["time"] = pd.to_datetime(events["time"], format=TIME_FORMAT)
    return customers, events


VARIANTS = [
    ("pandas default", lambda d: read_default(d)),
    ("pandas typed", lambda d: read_typed(d, "str", False)),
    ("pandas typed+cat", lambda d: read_typed(d, "category", False)),
    ("pandas typed+cat+time", lambda d: read_typed(d, "category", True)),
]


def time_pandas_once(fn, csv_dir, measure_memory):
    """One read; returns (seconds, rows, bytes/row or None)."""
    gc.collect()
    start = time.perf_counter()
    customers, events = fn(csv_dir)
    seconds = time.perf_counter() - start
    rows = len(events)  # checked by the caller, as churnkit's benchmark does
    per_row = None
    if measure_memory:
        mem = events.memory_usage(deep=True).sum() + \
            customers.memory_usage(deep=True).sum()
        per_row = mem / max(rows, 1)
    return seconds, rows, per_row


def time_churnkit_once(bench, data_dir, events, customers):
    """One BM_CsvLoadDataset run; returns (seconds, events, bytes/event,
    benchmark context)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = out.name
    env = dict(os.environ,
               CHURNKIT_BENCH_DIR=data_dir,
               CHURNKIT_BENCH_EVENTS=str(events),
               CHURNKIT_BENCH_CUSTOMERS=str(customers))
    try:
        proc = subprocess.run(
            [bench, "--benchmark_filter=^BM_CsvLoadDataset/",
             "--benchmark_min_time=0.01",
             f"--benchmark_out={out_path}", "--benchmark_out_format=json"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)
        if proc.returncode != 0:
            sys.exit(f"ingest_vs_pandas: {bench} failed:\n{proc.stderr}")
        with open(out_path) as f:
            report = json.load(f)
    finally:
        os.unlink(out_path)
    runs = [b for b in report["benchmarks"]
            if b.get("run_type") == "iteration" and "error_occurred" not in b]
    if not runs:
        errors = [b.get("error_message") for b in report["benchmarks"]]
        sys.exit(f"ingest_vs_pandas: churnkit benchmark failed: {errors}")
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    b = runs[0]
    return (b["real_time"] * scale[b["time_unit"]], int(b["events"]),
            b["ds_bytes/event"], report.get("context", {}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", required=True, help="ingest_bench binary")
    parser.add_argument("--data-dir", required=True,
                        help="directory written by make_events_csv")
    parser.add_argument("--events", type=int, default=5000000)
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3, help="best of N")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    csv_dir = os.path.join(args.data_dir, "csv")
    if not os.path.isfile(os.path.join(csv_dir, "events.csv")):
        sys.exit(f"ingest_vs_pandas: no {csv_dir}/events.csv; "
                 "run make_events_csv first")
    size = dir_bytes(csv_dir)
    mb = size / 1e6

    # Runs are interleaved (churnkit, then each pandas variant, N times) so
    # that load from other processes on a shared machine hits all readers
    # alike; each reader's best run counts.
    best = {}
    context = {}
    load_before = os.getloadavg()[0]
    for run in range(args.runs):
        seconds, n, bpe, context = time_churnkit_once(
            args.bench, args.data_dir, args.events, args.customers)
        if n != args.events:
            sys.exit(f"ingest_vs_pandas: churnkit read {n} events, "
                     f"expected {args.events}")
        name = "churnkit LoadDataset"
        best[name] = min(best.get(name, (float("inf"), 0))[0], seconds), bpe
        for name, fn in VARIANTS:
            seconds, n, bpe = time_pandas_once(fn, csv_dir, run == 0)
            if n != args.events:
                sys.exit(f"ingest_vs_pandas: {name} read {n} rows, "
                         f"expected {args.events}")
            previous = best.get(name, (float("inf"), bpe))
            best[name] = min(previous[0], seconds), previous[1]
    rows = [(name, t, bpe) for name, (t, bpe) in best.items()]
    ck_time = rows[0][1]

    load_after = os.getloadavg()[0]
    print(f"data: {csv_dir}: {args.events} events, {args.customers} "
          f"customers, {mb:.1f} MB; best of {args.runs} runs")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus "
          f"({context.get('num_cpus', '?')} seen by the benchmark, "
          f"{context.get('mhz_per_cpu', '?')} MHz); python "
          f"{platform.python_version()}, pandas {pd.__version__}, "
          f"numpy {np.__version__}; load average {load_before:.2f} before, "
          f"{load_after:.2f} after")
    print()
    header = (f"{'reader':<24} {'seconds':>8} {'MB/s':>8} {'Mevents/s':>10} "
              f"{'bytes/event':>12} {'churnkit x':>10}")
    print(header)
    print("-" * len(header))
    for name, seconds, bpe in rows:
        ratio = seconds / ck_time
        print(f"{name:<24} {seconds:8.3f} {mb / seconds:8.1f} "
              f"{args.events / seconds / 1e6:10.2f} {bpe:12.1f} "
              f"{ratio:10.2f}")
    print()
    equivalent = next(r for r in rows if r[0] == "pandas typed+cat+time")
    fastest = min(rows[1:], key=lambda r: r[1])
    print(f"churnkit / pandas throughput, same work (typed+cat+time): "
          f"{equivalent[1] / ck_time:.2f}x")
    verdict = "met" if fastest[1] / ck_time >= 1.5 else "NOT met"
    print(f"churnkit / pandas throughput, fastest pandas variant "
          f"({fastest[0]}): {fastest[1] / ck_time:.2f}x  "
          f"(goal >= 1.5x: {verdict})")
    print("(bytes/event: churnkit Dataset::MemoryUsage(); pandas "
          "memory_usage(deep=True) of both frames)")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({
                "events": args.events, "customers": args.customers,
                "bytes": size, "runs": args.runs,
                "load_average": [load_before, load_after],
                "pandas": pd.__version__,
                "results": [{"reader": n, "seconds": s, "mb_per_s": mb / s,
                             "bytes_per_event": b,
                             "churnkit_speedup": s / ck_time}
                            for n, s, b in rows],
            }, f, indent=2)
    return 0  # a report, not a test: no timing assertion


if __name__ == "__main__":
    sys.exit(main())
