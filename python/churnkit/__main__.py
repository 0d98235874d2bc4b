"""``python3 -m churnkit``: the package's command line.

Subcommands:

* ``version``: the package's and the library's versions, ABI and path;
* ``info DATA``: counts, date span and event-kind mix of a data set;
* ``validate DATA``: the ingestion error report of a data set.

Each subcommand is one entry of :data:`COMMANDS`: a help line, a function
adding its arguments to an ``argparse`` sub-parser, and a function running
it (returning the exit status).  The HTML churn report (``report DATA
--as-of DATE --html FILE``) is registered the same way, in the
``# --- report`` slot below.
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


COMMANDS: Dict[str, Command] = {
    "version": ("print the package's and the library's versions",
                _version_args, _version),
    "info": ("counts, date span and event-kind mix of a data set",
             _data_args, _info),
    "validate": ("ingest a data set and print its error report",
                 _data_args, _validate),
    # --- report: the HTML churn report (issue 16 item 2) registers
    # "report" here: ("write the HTML churn report", <add args>, <run>).
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
