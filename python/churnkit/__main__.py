"""``python3 -m churnkit``: the package's command line.

Subcommands:

* ``version``: the package's and the library's versions, ABI and path;
* ``info DATA``: counts, date span and event-kind mix of a data set;
* ``validate DATA``: the ingestion error report of a data set;
* ``report DATA --as-of DATE --html FILE``: the HTML churn report
  (:mod:`churnkit.html_report`).

Each subcommand is one entry of :data:`COMMANDS`: a help line, a function
adding its arguments to an ``argparse`` sub-parser, and a function running
it (returning the exit status).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Callable, Dict, List, Optional, Tuple

from . import __version__, errors

Command = Tuple[str, Callable[[argparse.ArgumentParser], None],
                Callable[[argparse.Namespace], int]]


def _version_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print a JSON object")


def _version(args: argparse.Namespace) -> int:
    from . import _lib
    info = {"package": __version__, "abi_expected": _lib.ABI_VERSION}
    try:
        lib = _lib.lib()
        info.update(library=lib.version, abi=lib.abi, path=lib.path)
    except errors.LibraryError as e:
        info["error"] = str(e)
    if args.json:
        print(json.dumps(info))
    else:
        print(f"churnkit (Python) {info['package']}")
        if "error" in info:
            print(f"library: {info['error']}")
        else:
            print(f"library {info['library']} (ABI {info['abi']}) at "
                  f"{info['path']}")
    return 0 if "error" not in info else 1


def _data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", nargs="+",
                        help="a directory of CSV tables, or record files")
    parser.add_argument("--format", choices=["csv", "jsonl", "pb"])


def _info(args: argparse.Namespace) -> int:
    from .dataset import Dataset
    ds = Dataset.load(args.data, format=args.format)
    print(json.dumps(ds.summary(), indent=2, ensure_ascii=False))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from .dataset import Dataset
    report = Dataset.load(args.data, format=args.format).error_report()
    print(f"{report.total_errors} errors, {report.total_warnings} warnings")
    if len(report.errors):
        print(report.errors.to_string(index=False))
    return 0


def _report_args(parser: argparse.ArgumentParser) -> None:
    _data_args(parser)
    parser.add_argument("--as-of", required=True, metavar="DATE",
                        help="the report's date, e.g. the day after the "
                        "data ends (YYYY-MM-DD)")
    parser.add_argument("--html", required=True, metavar="FILE",
                        help="the HTML file to write")
    parser.add_argument("--model", metavar="MODEL.pb",
                        help="a model written by `churnkit train --out` "
                        "(default: train one with the main job's recipe)")
    parser.add_argument("--assess-config", metavar="FILE",
                        help="an AssessmentConfig (text format, as "
                        "`churnkit scorecard --assess-config` writes; .json "
                        "or binary .pb) (default: learn the health "
                        "scorecard from the data's history)")
    parser.add_argument("--title", default="Churn report",
                        help="the report's title")
    parser.add_argument("--screenshot", metavar="PNG",
                        help="also render the report in headless Chromium "
                        "to this PNG (1280 x 4000 pixels)")
    parser.add_argument("--timings", action="store_true",
                        help="print the time of each step to stderr")


def _report(args: argparse.Namespace) -> int:
    import time
    from . import html_report
    start = time.perf_counter()
    timings: Dict[str, float] = {}
    path = html_report.write_report(
        args.data, args.as_of, args.html, model=args.model,
        assess_config=args.assess_config, format=args.format,
        title=args.title, timings=timings)
    if args.timings:
        for step, seconds in timings.items():
            print(f"{step}: {seconds:.2f} s", file=sys.stderr)
        print(f"total: {time.perf_counter() - start:.2f} s", file=sys.stderr)
    print(path)
    if args.screenshot:
        print(html_report.screenshot(path, args.screenshot))
    return 0


COMMANDS: Dict[str, Command] = {
    "version": ("print the package's and the library's versions",
                _version_args, _version),
    "info": ("counts, date span and event-kind mix of a data set",
             _data_args, _info),
    "validate": ("ingest a data set and print its error report",
                 _data_args, _validate),
    # --- report: the HTML churn report (issue 16 item 2).
    "report": ("write the HTML churn report of a data set",
               _report_args, _report),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="python3 -m churnkit",
        description="churnkit from Python: versions, data sets, reports.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, configure, _) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the command line; returns the exit status (0 success, 1 a
    churnkit error, 2 a usage error)."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command][2](args)
    except errors.Error as e:
        print(f"churnkit: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
