"""The HTML churn report a customer-success team reads (issue 16 item 2).

One self-contained HTML file -- charts embedded as base64 PNG (matplotlib,
Agg canvas), inline CSS, no network -- with one section per figure:

=================  ======================================================
section id         what it shows (and the job it comes from)
=================  ======================================================
trend              churn and retention by month (``report(trend=True)``)
segments           churn by tier / industry / lifecycle stage (``report``)
cohorts            cohort retention heat map (``report(cohorts=True)``)
survival           Kaplan-Meier curves by tier (``report(survival=)``)
health             health-colour mix and the backtest (``assess``)
model              lift / gains and calibration of the model (``train`` or
                   ``evaluate`` of a given model)
factors            the strongest factors (``train``; a given model's
                   coefficients)
value-risk         value x risk scatter with the four quadrants
                   (``segment``)
revenue-at-risk    revenue at risk by quadrant and tier, whom to save first
                   (``segment``)
experiments        the A/B-test effects with confidence intervals
                   (``abtest``)
warnings           the warning list per owner (``assess`` alerts with the
                   customers' owners)
=================  ======================================================

Every number comes from the library through the package's jobs; this
module only chooses the requests (the README's main job: a model trained on
six quarterly dates before ``as_of``, churn within 90 days, the panel label
at the end; the health scorecard learned from the same history; the
assessment with a red share of 0.05 and a 90-day backtest), joins tables
for display and draws them.

Use :func:`write_report` (or ``python3 -m churnkit report DATA --as-of DATE
--html FILE``); :func:`collect` + :func:`render` split the computing from
the HTML; :func:`screenshot` renders a file in headless Chromium.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import html
import io
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import __version__, _proto, errors
from .dataset import Dataset, DateLike, iso_time, parse_time
from .features import FeatureSet
from .jobs import abtest, assess, labels, report, scorecard, segment, train
from .model import Model, evaluate
from .results import (AssessResult, ChurnReport, Evaluation,
                      ExperimentReport, ScorecardResult, SegmentResult,
                      TrainResult)

__all__ = ["SECTIONS", "CHARTS", "ReportData", "collect", "render",
           "build_html", "write_report", "training_dates", "evaluate_model",
           "load_model", "load_assess_config", "screenshot", "dump_dom",
           "find_chromium"]

#: (id, title) of every section, in order.
SECTIONS: List[Tuple[str, str]] = [
    ("trend", "Churn and retention by month"),
    ("segments", "Churn by tier, industry and lifecycle stage"),
    ("cohorts", "Cohort retention"),
    ("survival", "Survival by tier (Kaplan\u2013Meier)"),
    ("health", "Health colours and their backtest"),
    ("model", "Churn model: lift, gains and calibration"),
    ("factors", "Strongest factors"),
    ("value-risk", "Value \u00d7 risk"),
    ("revenue-at-risk", "Revenue at risk"),
    ("experiments", "A/B tests of retention offers"),
    ("warnings", "Warnings per owner"),
]

#: (chart id, section id) of every chart; each is an <img class="chart">.
CHARTS: List[Tuple[str, str]] = [
    ("chart-trend", "trend"),
    ("chart-segments", "segments"),
    ("chart-cohorts", "cohorts"),
    ("chart-survival", "survival"),
    ("chart-health", "health"),
    ("chart-model", "model"),
    ("chart-factors", "factors"),
    ("chart-value-risk", "value-risk"),
    ("chart-revenue-at-risk", "revenue-at-risk"),
    ("chart-experiments", "experiments"),
    ("chart-warnings", "warnings"),
]

#: The main job's recipe (README, scripts/run.sh).
QUARTERS = 6
HORIZON_DAYS = 90
RED_SHARE = 0.05
BACKTEST_DAYS = 90

_COLOURS = {"GREEN": "#2e9d58", "YELLOW": "#e6b400", "RED": "#d1383d",
            "UNSPECIFIED": "#999999"}
_PALETTE = ["#3465a4", "#f57900", "#4e9a06", "#75507b", "#c17d11",
            "#cc0000", "#555753"]


# ------------------------------------------------------------------ inputs

def training_dates(as_of: DateLike, quarters: int = QUARTERS,
                   after: Optional[DateLike] = None) -> List[str]:
    """The main job's training dates: ``quarters`` quarterly dates before
    ``as_of`` (as_of - 3k months, k = quarters..1), oldest first; with
    ``after``, only the dates strictly after it (the data set's first
    event: nothing is known before it)."""
    end = pd.Timestamp(iso_time(as_of)[:10])
    out = [end - pd.DateOffset(months=3 * k) for k in range(quarters, 0, -1)]
    if after is not None:
        first = pd.Timestamp(parse_time(after), unit="s")
        out = [d for d in out if d > first]
    return [d.strftime("%Y-%m-%d") for d in out]


def load_model(model: Union[Model, bytes, str, "os.PathLike[str]", None]
               ) -> Optional[Model]:
    """A :class:`Model`, its saved bytes or the path of a file written by
    ``churnkit train --out`` / :meth:`Model.save_file`; None stays None."""
    if model is None or isinstance(model, Model):
        return model
    if isinstance(model, (bytes, bytearray, memoryview)):
        return Model.load(bytes(model))
    path = pathlib.Path(os.fspath(model))
    if not path.is_file():
        raise errors.NotFoundError(f"model: {path}: no such file")
    return Model.load(path.read_bytes())


def load_assess_config(config: Any) -> Optional[Dict[str, Any]]:
    """An AssessmentConfig as a dict: from a dict, bytes, a path (a
    ``.textproto`` / text-format file as ``churnkit scorecard
    --assess-config`` writes, a ``.json`` file, or a binary ``.pb``), or
    None."""
    if config is None:
        return None
    if isinstance(config, dict):
        return _proto.to_dict("AssessmentConfig", config)
    if isinstance(config, (bytes, bytearray, memoryview)):
        return _proto.to_dict("AssessmentConfig", bytes(config))
    path = pathlib.Path(os.fspath(config))
    if not path.is_file():
        raise errors.NotFoundError(f"assess config: {path}: no such file")
    if path.suffix in (".pb", ".bin"):
        return _proto.to_dict("AssessmentConfig", path.read_bytes())
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        import json
        return _proto.to_dict("AssessmentConfig", json.loads(text))
    return _proto.to_dict("AssessmentConfig", text)


def evaluate_model(dataset: Dataset, model: Model, as_of: DateLike, *,
                   horizon_days: int = HORIZON_DAYS) -> Evaluation:
    """Evaluates a given model as the train job evaluates its held-out
    date with the main job's panel label (churned at the horizon's end):
    the panel rows at ``as_of`` (customers existing and not churned then,
    ``FeatureSet.panel``), scored by ``model``, labelled by the library's
    churn labels as of ``as_of + horizon_days`` (``labels``), evaluated by
    ``evaluate``.  For a model trained by :func:`churnkit.train` with
    ``panel_label="PANEL_LABEL_CHURNED_AT_END"`` on dates ending with
    ``as_of``, this equals its ``held_out`` evaluation."""
    panel = FeatureSet().panel(dataset, [as_of], horizon_days=horizon_days)
    if len(panel) == 0:
        raise errors.FailedPreconditionError(
            f"no customer to evaluate the model on at {iso_time(as_of)}")
    end = parse_time(as_of) + horizon_days * 86400
    churned = labels(dataset, end).labels.set_index("customer_id")["churned"]
    y = churned.reindex(panel.customer_ids).fillna(False).to_numpy(
        dtype=np.uint8)
    scores = model.predict(panel.to_frame())
    return evaluate(y, scores)


# -------------------------------------------------------------------- data

@dataclasses.dataclass
class ReportData:
    """Everything the report shows, as the jobs returned it."""

    source: str
    as_of: str
    summary: Dict[str, Any]
    churn: ChurnReport
    assessed: AssessResult
    segments: SegmentResult
    experiments: ExperimentReport
    evaluation: Evaluation
    factors: pd.DataFrame
    adjusting_factors: pd.DataFrame
    model_note: str
    health_note: str
    customers: pd.DataFrame
    owners: pd.DataFrame
    trained: Optional[TrainResult] = None
    learned: Optional[ScorecardResult] = None
    timings: Dict[str, float] = dataclasses.field(default_factory=dict)


def _describe(data: Any) -> str:
    if isinstance(data, Dataset):
        return repr(data)
    if isinstance(data, (str, os.PathLike)):
        return os.fspath(data)
    return ", ".join(os.fspath(p) for p in data)


def _load(data: Any, format: Optional[str]) -> Dataset:
    if isinstance(data, Dataset):
        return data
    paths = [data] if isinstance(data, (str, os.PathLike)) else list(data)
    if not paths:
        raise errors.InvalidArgumentError("data: no path given")
    for p in paths:
        if not os.path.exists(os.fspath(p)):
            raise errors.NotFoundError(
                f"data: {os.fspath(p)}: no such file or directory")
    return Dataset.load(paths, format=format)


def _check_as_of(as_of: DateLike, summary: Dict[str, Any]) -> str:
    try:
        t = parse_time(as_of)
    except errors.InvalidArgumentError:
        raise errors.InvalidArgumentError(
            f"as_of: {as_of!r} is not a date (expected YYYY-MM-DD)") from None
    first = summary.get("first_event_time", "")
    if not first:
        raise errors.FailedPreconditionError(
            "data: the data set has no events: nothing to report on")
    if t <= parse_time(first):
        raise errors.InvalidArgumentError(
            f"as_of: {iso_time(as_of)} is not after the data set's first "
            f"event ({first}): the report needs history before its date")
    return iso_time(t)[:10] if iso_time(t).endswith("T00:00:00Z") \
        else iso_time(t)


def collect(data: Union[str, "os.PathLike[str]", Sequence[Any], Dataset],
            as_of: DateLike, *,
            model: Union[Model, bytes, str, "os.PathLike[str]", None] = None,
            assess_config: Any = None, format: Optional[str] = None,
            quarters: int = QUARTERS, horizon_days: int = HORIZON_DAYS,
            red_share: Optional[float] = RED_SHARE,
            backtest_days: int = BACKTEST_DAYS,
            threads: Optional[int] = None) -> ReportData:
    """Runs the jobs behind the report.

    Args:
        data: a data set directory / files (as :func:`churnkit.load`), or a
            loaded :class:`Dataset`.
        as_of: the report's date (e.g. the day after the data ends).
        model: a model, its bytes or its file; None trains one (the main
            job's recipe: ``quarters`` quarterly dates before ``as_of``,
            churn within ``horizon_days``, panel label at the end, the last
            date held out).
        assess_config: an AssessmentConfig (dict, bytes, or a file); None
            learns the health scorecard from the same history as the main
            job does (``churnkit scorecard --panel-label at-end --binning
            quantile --max-bins 20``, YELLOW from a 5% risk: the options of
            configs/scorecard/main_job.textproto).
        red_share: RED is the riskiest share of customers (None: the
            scorecard's cut-offs); backtest_days: the colours' backtest.

    Raises:
        NotFoundError: a missing data path, model or config file.
        InvalidArgumentError: a bad date, an ``as_of`` not after the data's
            first event, too little history before ``as_of`` to train.
    """
    timings: Dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    given_model = load_model(model)
    config = load_assess_config(assess_config)
    ds = _load(data, format)
    summary = ds.summary()
    as_of_text = _check_as_of(as_of, summary)
    lap("load")
    dates = training_dates(as_of_text, quarters,
                           after=summary["first_event_time"])
    if len(dates) < 2 and (given_model is None or config is None):
        raise errors.InvalidArgumentError(
            f"as_of: {as_of_text} leaves {len(dates)} quarterly date(s) "
            f"after the data's first event ({summary['first_event_time']}); "
            f"training the model and the scorecard needs two: choose a later "
            f"as_of, or give a model and an assessment config")

    churn = report(ds, as_of=as_of_text, breakdowns=["tier", "industry"],
                   trend=True, cohorts=True, survival={"group_by": ["tier"]},
                   threads=threads)
    lap("report")
    trained = None
    if given_model is None:
        trained = train(ds, dates, horizon_days=horizon_days,
                        panel_label="PANEL_LABEL_CHURNED_AT_END",
                        threads=threads)
        the_model = trained.model
        evaluation = trained.held_out
        factors, adjusting = trained.factors, trained.adjusting_factors
        model_note = (
            f"Model trained by the report on {len(dates)} quarterly dates "
            f"({dates[0]} \u2026 {dates[-1]}), churned {horizon_days} days "
            f"later; held out: {dates[-1]}.")
    else:
        the_model = given_model
        evaluation = evaluate_model(ds, the_model, dates[-1],
                                    horizon_days=horizon_days)
        coef = the_model.coefficients
        coef = coef[coef["coefficient"] != 0]
        order = coef["coefficient"].abs().sort_values(ascending=False).index
        factors = coef.loc[order].head(10)[
            ["feature", "coefficient", "univariate_correlation"]
        ].reset_index(drop=True)
        adjusting = factors.iloc[0:0]
        model_note = (
            f"Given model ({len(the_model.feature_names)} features), "
            f"evaluated on the customers of {dates[-1]}, churned "
            f"{horizon_days} days later.")
    lap("model")
    learned = None
    if config is None:
        learned = scorecard(ds, dates, horizon_days=horizon_days,
                            panel_label="PANEL_LABEL_CHURNED_AT_END",
                            options={"binning": "QUANTILE", "max_bins": 20,
                                     "yellow_probability": 0.05},
                            threads=threads)
        config = dict(learned.assessment_config)
        health_note = (f"Health scorecard learned from the same history "
                       f"({len(dates)} dates, quantile bins).")
    else:
        health_note = "Health scorecard from the given assessment config."
    lap("scorecard")
    if red_share is not None:
        config = dict(config)
        config["red_share"] = float(red_share)
        health_note += f" RED: the riskiest {red_share:.0%} of customers."
    assessed = assess(ds, as_of_text, model=the_model, config=config,
                      backtest_days=backtest_days, threads=threads)
    lap("assess")
    segments = segment(ds, as_of_text, model=the_model, threads=threads)
    lap("segment")
    experiments = abtest(ds, as_of=as_of_text)
    lap("abtest")
    tables = ds.tables(["customers", "owners"])
    lap("customers")
    return ReportData(
        source=_describe(data), as_of=as_of_text, summary=summary,
        churn=churn, assessed=assessed, segments=segments,
        experiments=experiments, evaluation=evaluation, factors=factors,
        adjusting_factors=adjusting, model_note=model_note,
        health_note=health_note, customers=tables["customers"],
        owners=tables.get("owners", pd.DataFrame(columns=["id", "name"])),
        trained=trained, learned=learned, timings=timings)


# ------------------------------------------------------------------ charts

def _require_matplotlib() -> None:
    import importlib
    try:
        importlib.import_module("matplotlib")
    except ImportError:
        raise errors.FailedPreconditionError(
            "the HTML report draws its charts with matplotlib, which is not "
            "installed (Debian: apt-get install python3-matplotlib; pip: "
            "pip install 'churnkit[report]')") from None


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", facecolor="white")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes,
            color="#777777")
    ax.set_xticks([])
    ax.set_yticks([])


def _style(ax, title: str = "") -> None:
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(True, axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)


def _chart_trend(d: ReportData):
    fig = _figure(12, 3.6)
    a, b = fig.subplots(1, 2)
    t = d.churn.trend
    if len(t):
        months = [s[:7] for s in t["start"]]
        x = np.arange(len(months))
        a.bar(x, t["churn_rate"], color="#d1383d", alpha=0.85,
              label="customer churn")
        a.plot(x, t["revenue_churn_rate"], color="#3465a4", marker="o",
               label="revenue churn")
        a.set_ylabel("% of customers / revenue at month start")
        a.legend(frameon=False, fontsize=9)
        b.plot(x, t["retention_rate"], color="#2e9d58", marker="o")
        b.set_ylabel("retention, %")
        for ax in (a, b):
            ax.set_xticks(x)
            ax.set_xticklabels(months, rotation=45, ha="right", fontsize=8)
    else:
        _empty(a, "no months")
        _empty(b, "no months")
    _style(a, "Monthly churn rate")
    _style(b, "Monthly retention rate")
    return fig


def _chart_segments(d: ReportData):
    fig = _figure(12, 3.6)
    axes = fig.subplots(1, 3)
    bd = d.churn.breakdowns
    for ax, attr in zip(axes[:2], ("tier", "industry")):
        rows = bd[bd["attribute"] == attr]
        if len(rows):
            ax.bar(rows["value"], rows["churn_rate"], color=_PALETTE[0])
            for i, v in enumerate(rows["churn_rate"]):
                ax.text(i, v, f"{v:.1f}%", ha="center", va="bottom",
                        fontsize=8)
            ax.set_ylabel("churn rate, %")
            ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        else:
            _empty(ax, f"no {attr}")
        _style(ax, f"Churn rate by {attr}")
    st = d.churn.by_stage
    ax = axes[2]
    if len(st):
        ax.bar(st["key"].str.replace("_", " "), st["share"],
               color=_PALETTE[1])
        for i, v in enumerate(st["share"]):
            ax.text(i, v, f"{v:.0f}%", ha="center", va="bottom", fontsize=8)
        ax.set_ylabel("% of churned customers")
        ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    else:
        _empty(ax, "no churn")
    _style(ax, "Churn by lifecycle stage")
    return fig


def _chart_cohorts(d: ReportData):
    c = d.churn.cohorts
    c = c[c["attribute"] == ""] if len(c) else c
    fig = _figure(12, 0.9 + 0.26 * max(c["cohort"].nunique() if len(c)
                                       else 4, 6))
    ax = fig.subplots()
    if len(c):
        grid = c.pivot_table(index="cohort", columns="month",
                             values="retention", aggfunc="first").sort_index()
        im = ax.imshow(grid.to_numpy(dtype=float), aspect="auto",
                       cmap="RdYlGn", vmin=max(0.0, float(np.nanmin(
                           grid.to_numpy(dtype=float)))), vmax=100.0,
                       interpolation="nearest")
        ax.set_yticks(range(len(grid.index)))
        ax.set_yticklabels(grid.index, fontsize=8)
        ax.set_xticks(range(len(grid.columns)))
        ax.set_xticklabels(grid.columns, fontsize=8)
        ax.set_xlabel("months since signup")
        ax.set_ylabel("signup month")
        if grid.size <= 700:
            for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
                if np.isfinite(v):
                    ax.text(j, i, f"{v:.0f}", ha="center", va="center",
                            fontsize=6.5)
        fig.colorbar(im, ax=ax, label="retained, %", fraction=0.03)
    else:
        _empty(ax, "no cohorts")
    ax.set_title("Share of each signup cohort still a customer",
                 fontsize=11, loc="left")
    return fig


def _chart_survival(d: ReportData):
    fig = _figure(12, 4)
    ax = fig.subplots()
    s = d.churn.survival
    s = s[s["attribute"] == "tier"] if len(s) else s
    if len(s):
        for i, (value, g) in enumerate(s.groupby("value", sort=True)):
            g = g.sort_values("days")
            colour = _PALETTE[i % len(_PALETTE)]
            ax.step(g["days"], g["survival"], where="post", color=colour,
                    label=f"tier {value}")
            ax.fill_between(g["days"], g["lower"], g["upper"], step="post",
                            color=colour, alpha=0.15)
        ax.set_xlabel("days since signup")
        ax.set_ylabel("still a customer")
        ax.set_ylim(0, 1.02)
        ax.legend(frameon=False)
    else:
        _empty(ax, "no survival curves")
    _style(ax, "Kaplan\u2013Meier survival by tier (95% band)")
    return fig


def _chart_health(d: ReportData):
    fig = _figure(12, 3.6)
    a, b = fig.subplots(1, 2)
    mix = d.assessed.summary.get("colours", {})
    order = [c for c in ("GREEN", "YELLOW", "RED") if c in mix] + sorted(
        c for c in mix if c not in ("GREEN", "YELLOW", "RED"))
    if order:
        counts = [mix[c] for c in order]
        a.bar(order, counts, color=[_COLOURS.get(c, "#999") for c in order])
        total = max(sum(counts), 1)
        for i, v in enumerate(counts):
            a.text(i, v, f"{v:,} ({v / total:.0%})", ha="center",
                   va="bottom", fontsize=8)
        a.set_ylabel("customers")
    else:
        _empty(a, "no customers")
    _style(a, f"Health colours as of {d.as_of}")
    bc = d.assessed.backtest_colours
    if len(bc):
        a_rates = 100 * bc["churn_rate"]
        b.bar(bc["colour"], a_rates,
              color=[_COLOURS.get(c, "#999") for c in bc["colour"]])
        for i, (v, n) in enumerate(zip(a_rates, bc["customers"])):
            b.text(i, v, f"{v:.1f}% of {n:,}", ha="center", va="bottom",
                   fontsize=8)
        b.set_ylabel("churned within the backtest, %")
    else:
        _empty(b, "no backtest")
    bt = d.assessed.backtest
    span = (f" {bt.get('from', '')[:10]} \u2192 {bt.get('to', '')[:10]}"
            if bt else "")
    _style(b, f"Backtest: churn by colour{span}")
    return fig


def _chart_model(d: ReportData):
    fig = _figure(12, 3.6)
    a, b, c = fig.subplots(1, 3)
    lift = d.evaluation.lift
    if len(lift):
        a.bar(lift["bin"], lift["lift"], color=_PALETTE[0])
        a.axhline(1.0, color="#777", linewidth=1, linestyle="--")
        a.set_xticks(lift["bin"])
        a.set_xlabel("decile (1 = highest scores)")
        a.set_ylabel("lift")
        share = np.concatenate([[0.0], lift["cumulative_share"]])
        gain = np.concatenate([[0.0], lift["cumulative_gain"]])
        b.plot(100 * share, 100 * gain, marker="o", color=_PALETTE[1],
               label="model")
        b.plot([0, 100], [0, 100], color="#777", linestyle="--",
               label="random")
        b.set_xlabel("% of customers contacted (riskiest first)")
        b.set_ylabel("% of churners reached")
        b.legend(frameon=False, fontsize=9)
    else:
        _empty(a, "no evaluation")
        _empty(b, "no evaluation")
    rel = d.evaluation.reliability
    if len(rel):
        top = max(float(rel["mean_predicted"].max()),
                  float(rel["observed_rate"].max()), 0.05)
        c.plot([0, top], [0, top], color="#777", linestyle="--")
        sizes = 20 + 200 * rel["count"] / max(int(rel["count"].max()), 1)
        c.scatter(rel["mean_predicted"], rel["observed_rate"], s=sizes,
                  color=_PALETTE[2], alpha=0.8, zorder=3)
        c.plot(rel["mean_predicted"], rel["observed_rate"],
               color=_PALETTE[2], alpha=0.6)
        c.set_xlabel("mean predicted probability")
        c.set_ylabel("observed churn rate")
    else:
        _empty(c, "no calibration table")
    _style(a, "Lift by decile")
    _style(b, "Cumulative gains")
    _style(c, "Calibration (point size: customers)")
    return fig


def _chart_factors(d: ReportData):
    f = d.factors
    fig = _figure(12, 1.2 + 0.32 * max(len(f), 4))
    ax = fig.subplots()
    if len(f):
        f = f.iloc[::-1]
        colours = ["#d1383d" if v > 0 else "#2e9d58"
                   for v in f["coefficient"]]
        ax.barh(f["feature"], f["coefficient"], color=colours)
        ax.axvline(0, color="#555", linewidth=0.8)
        ax.set_xlabel("coefficient on the standardized feature "
                      "(red raises churn risk, green lowers it)")
        ax.tick_params(axis="y", labelsize=9)
    else:
        _empty(ax, "no factors")
    _style(ax, "Strongest factors of the churn model")
    ax.grid(True, axis="x", color="#e5e5e5")
    return fig


def _chart_value_risk(d: ReportData):
    fig = _figure(12, 5)
    ax = fig.subplots()
    c = d.segments.customers
    c = c[~c["churned"]] if len(c) else c
    c = c[np.isfinite(c["risk"])] if len(c) else c
    fig_ = d.segments.figures()
    hv = fig_.get("high_value_threshold", float("nan"))
    rc = fig_.get("risk_cutoff", float("nan"))
    if len(c):
        value = c["value"].clip(lower=1.0)
        risk = c["risk"].clip(lower=1e-5)
        colours = np.where(c["high_risk"], "#d1383d", "#3465a4")
        ax.scatter(value, risk, s=6, c=colours, alpha=0.45, linewidths=0,
                   rasterized=True)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("value (log scale; below 1 shown at 1)")
        _money_axis(ax.xaxis)
        ax.set_ylabel("risk: churn probability (log scale)")
        if np.isfinite(hv):
            ax.axvline(hv, color="#333", linestyle="--", linewidth=1)
        if np.isfinite(rc) and rc > 0:
            ax.axhline(rc, color="#333", linestyle="--", linewidth=1)
        q = d.segments.quadrants.set_index("quadrant") \
            if len(d.segments.quadrants) else pd.DataFrame()
        spots = {"HIGH_VALUE_HIGH_RISK": (0.98, 0.98, "right", "top"),
                 "LOW_VALUE_HIGH_RISK": (0.02, 0.98, "left", "top"),
                 "HIGH_VALUE_LOW_RISK": (0.98, 0.02, "right", "bottom"),
                 "LOW_VALUE_LOW_RISK": (0.02, 0.02, "left", "bottom")}
        for name, (x, y, ha, va) in spots.items():
            n = int(q.loc[name, "customers"]) if name in q.index else 0
            ax.text(x, y, f"{name.replace('_', ' ').lower()}\n{n:,} "
                    f"customers", transform=ax.transAxes, ha=ha, va=va,
                    fontsize=9, bbox=dict(boxstyle="round", fc="white",
                                          ec="#cccccc", alpha=0.9))
    else:
        _empty(ax, "no active customers")
    _style(ax, "Active customers by value and risk (dashed: the quadrant "
           "thresholds)")
    return fig


def _chart_revenue(d: ReportData):
    fig = _figure(12, 3.6)
    a, b = fig.subplots(1, 2)
    q = d.segments.quadrants
    if len(q):
        names = [s.replace("_", " ").lower().replace("value ", "value\n")
                 for s in q["quadrant"]]
        colours = ["#d1383d" if "HIGH_RISK" in s else "#3465a4"
                   for s in q["quadrant"]]
        a.bar(names, q["revenue_at_risk"], color=colours)
        for i, v in enumerate(q["revenue_at_risk"]):
            a.text(i, v, _money(v), ha="center", va="bottom", fontsize=8)
        a.set_ylabel("revenue at risk")
        a.tick_params(axis="x", labelsize=8)
        _money_axis(a.yaxis)
    else:
        _empty(a, "no quadrants")
    c = d.segments.customers
    c = c[~c["churned"]] if len(c) else c
    if len(c):
        by = c.groupby("tier", sort=True)["revenue_at_risk"].sum()
        b.bar([f"tier {t}" for t in by.index], by.to_numpy(),
              color=_PALETTE[:len(by)])
        for i, v in enumerate(by.to_numpy()):
            b.text(i, v, _money(v), ha="center", va="bottom", fontsize=8)
        b.set_ylabel("revenue at risk")
        _money_axis(b.yaxis)
    else:
        _empty(b, "no active customers")
    _style(a, "Revenue at risk by quadrant")
    _style(b, "Revenue at risk by value tier")
    return fig


def _chart_experiments(d: ReportData):
    comp = d.experiments.comparisons
    fig = _figure(12, 1.2 + 0.42 * max(len(comp), 4))
    ax = fig.subplots()
    if len(comp):
        comp = comp.iloc[::-1].reset_index(drop=True)
        y = np.arange(len(comp))
        lo = comp["newcombe_lower"].to_numpy(dtype=float)
        hi = comp["newcombe_upper"].to_numpy(dtype=float)
        mid = comp["difference"].to_numpy(dtype=float)
        colours = ["#2e9d58" if s else "#3465a4" for s in comp["significant"]]
        for i in range(len(comp)):
            ax.plot([lo[i], hi[i]], [y[i], y[i]], color=colours[i],
                    linewidth=2)
            ax.plot(mid[i], y[i], "o", color=colours[i])
        ax.axvline(0, color="#555", linewidth=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels([f"{s}: {a} vs {c}, cycle {k}" for s, a, c, k in
                            zip(comp["strategy"], comp["arm"],
                                comp["control_arm"], comp["cycle"])],
                           fontsize=9)
        ax.set_xlabel("retention difference vs control, percentage points "
                      "(Newcombe 95% interval; green: significant)")
    else:
        _empty(ax, "no A/B tests in the data")
    _style(ax, "Effect of each arm on retention")
    ax.grid(True, axis="x", color="#e5e5e5")
    return fig


def _money_axis(axis) -> None:
    from matplotlib.ticker import FuncFormatter
    axis.set_major_formatter(FuncFormatter(lambda v, _: _money(v)))


def _chart_warnings(d: ReportData, table: pd.DataFrame):
    fig = _figure(12, 3.4)
    a, b = fig.subplots(1, 2)
    levels = d.assessed.summary.get("alert_levels", {})
    order = [lv for lv in ("L3", "L2", "L1") if lv in levels]
    if order:
        a.bar(order, [levels[lv] for lv in order],
              color=["#d1383d", "#e6b400", "#3465a4"][:len(order)])
        for i, lv in enumerate(order):
            a.text(i, levels[lv], f"{levels[lv]:,}", ha="center",
                   va="bottom", fontsize=8)
        a.set_ylabel("alerts")
    else:
        _empty(a, "no alerts")
    _style(a, "Alerts by level (L3 = most severe)")
    own = d.assessed.owners
    if len(own):
        # Owner ids on the axis: names may need glyphs the chart's font
        # lacks (the table below has them).
        total = own["alerted"] + own["routed_to_automated_care"]
        top = own.assign(total=total).sort_values(
            ["total", "owner_id"], ascending=[False, True]).head(15)[::-1]
        ids = [i or "(no owner)" for i in top["owner_id"]]
        b.barh(ids, top["alerted"], color=_PALETTE[0], label="alerted")
        b.barh(ids, top["routed_to_automated_care"], left=top["alerted"],
               color="#b8c4d0", label="over capacity: automated care")
        b.set_xlabel("customers")
        b.tick_params(axis="y", labelsize=8)
        b.legend(frameon=False, fontsize=8, loc="lower right")
    else:
        _empty(b, "no alerts")
    _style(b, "Owners with the most customers to warn about")
    b.grid(True, axis="x", color="#e5e5e5")
    return fig


# -------------------------------------------------------------------- html

def _money(v: float) -> str:
    if v is None or not np.isfinite(v):
        return "\u2013"
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.2f} bn"
    if a >= 1e6:
        return f"{v / 1e6:.1f} M"
    if a >= 1e4:
        return f"{v / 1e3:.0f} k"
    return f"{v:,.0f}"


def _pct(v: Any, digits: int = 1) -> str:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "\u2013"
    return "\u2013" if not np.isfinite(v) else f"{v:.{digits}f}%"


def _num(v: Any, digits: int = 3) -> str:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return html.escape(str(v))
    return "\u2013" if not np.isfinite(v) else f"{v:.{digits}f}"


def _table(df: pd.DataFrame, columns: Sequence[Tuple[str, str, Any]],
           table_id: str = "", max_rows: Optional[int] = None) -> str:
    """An HTML table of ``df``: columns (key, heading, formatter or None)."""
    if not len(df):
        return '<p class="note">None.</p>'
    shown = df if max_rows is None else df.head(max_rows)
    head = "".join(f"<th>{html.escape(h)}</th>" for _, h, _ in columns)
    rows = []
    for rec in shown.to_dict("records"):
        cells = []
        for key, _, fmt in columns:
            v = rec.get(key, "")
            text = fmt(v) if fmt else html.escape(str(v))
            num = (' class="n"' if isinstance(v, (int, float, np.number))
                   and not isinstance(v, (bool, np.bool_)) else "")
            cells.append(f"<td{num}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if max_rows is not None and len(df) > max_rows:
        more = (f'<p class="note">First {max_rows:,} of {len(df):,} '
                f'rows.</p>')
    ident = f' id="{table_id}"' if table_id else ""
    return (f'<div class="tw"><table{ident}><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>{more}')


def _img(chart_id: str, fig, alt: str) -> str:
    return (f'<img class="chart" id="{chart_id}" alt="{html.escape(alt)}" '
            f'src="data:image/png;base64,{_png(fig)}">')


def _text(v: Any) -> str:
    return html.escape(str(v))


def _warning_table(d: ReportData) -> pd.DataFrame:
    alerts = d.assessed.alerts
    cols = ["owner", "owner_id", "customer_id", "customer", "level", "rule",
            "message", "expected_revenue_at_risk", "churn_probability",
            "rank"]
    if not len(alerts):
        return pd.DataFrame(columns=cols)
    cust = d.customers
    cust = cust[[c for c in ("id", "name", "owner_id", "tier")
                 if c in cust.columns]].rename(
        columns={"id": "customer_id", "name": "customer"})
    t = alerts.merge(cust, on="customer_id", how="left")
    owners = d.owners.rename(columns={"id": "owner_id", "name": "owner"})
    if "owner_id" not in t.columns:
        t["owner_id"] = ""
    t["owner_id"] = t["owner_id"].fillna("")
    if len(owners) and "owner" in owners.columns:
        t = t.merge(owners[["owner_id", "owner"]], on="owner_id", how="left")
    else:
        t["owner"] = np.nan
    t["owner"] = [(f"{o} ({i})" if isinstance(o, str) and o else
                   (i or "(no owner)")) for o, i in zip(t["owner"],
                                                         t["owner_id"])]
    if "customer" not in t.columns:
        t["customer"] = t["customer_id"]
    t["customer"] = t["customer"].fillna(t["customer_id"])
    return t.sort_values(["owner", "rank"]).reset_index(drop=True)[cols]


_CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --bg: #f5f7fa;
        --accent: #3465a4; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 -apple-system, "Segoe UI", Roboto,
       "DejaVu Sans", "Noto Sans", sans-serif; color: var(--ink);
       background: var(--bg); }
header { background: #1f2d3d; color: #fff; padding: 28px 40px 22px; }
header h1 { margin: 0 0 4px; font-size: 26px; font-weight: 600; }
header p { margin: 0; color: #c7d0d9; }
.tiles { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 18px; }
.tile { background: rgba(255,255,255,0.08); border-radius: 8px;
        padding: 10px 16px; min-width: 150px; }
.tile b { display: block; font-size: 22px; font-weight: 600; }
.tile span { color: #c7d0d9; font-size: 13px; }
nav { padding: 10px 40px; background: #fff; border-bottom: 1px solid
      var(--line); font-size: 14px; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none;
        white-space: nowrap; }
main { max-width: 1260px; margin: 0 auto; padding: 12px 24px 40px; }
section { background: #fff; border: 1px solid var(--line);
          border-radius: 10px; padding: 18px 24px; margin: 18px 0; }
section h2 { margin: 0 0 6px; font-size: 20px; }
.lead { color: var(--muted); margin: 0 0 12px; }
img.chart { display: block; max-width: 100%; height: auto;
            margin: 8px 0 12px; }
.tw { max-height: 560px; overflow: auto; border: 1px solid var(--line);
      border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { position: sticky; top: 0; background: #eef2f7; text-align: left;
     padding: 6px 8px; border-bottom: 1px solid var(--line); }
td { padding: 5px 8px; border-bottom: 1px solid var(--line);
     vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums;
       white-space: nowrap; }
tr:nth-child(even) td { background: #fafbfc; }
.note { color: var(--muted); font-size: 13px; }
.lv { font-weight: 600; padding: 1px 6px; border-radius: 4px;
      color: #fff; }
.L3 { background: #d1383d; } .L2 { background: #d49a00; }
.L1 { background: #3465a4; }
footer { color: var(--muted); font-size: 12px; text-align: center;
         padding: 0 0 30px; }
"""


def render(d: ReportData, *, title: str = "Churn report") -> str:
    """The report's HTML (one self-contained document) from
    :func:`collect`'s data."""
    _require_matplotlib()
    rep = d.churn.figures()
    seg = d.segments.figures()
    ev = d.evaluation.figures()
    colours = d.assessed.summary.get("colours", {})
    period = (f"{rep.get('period_start', '')} \u2192 "
              f"{rep.get('period_end', '')}")
    warnings = _warning_table(d)
    tiles = [
        (f"{d.summary.get('customers', 0):,}", "customers in the data"),
        (_pct(rep.get("churn_rate")), f"churn rate, {period}"),
        (_pct(rep.get("retention_rate")), "retention rate"),
        (_money(rep.get("revenue_lost", float("nan"))), "revenue lost"),
        (_num(ev.get("roc_auc"), 3), "model ROC-AUC (held out)"),
        (f"{colours.get('RED', 0):,}", "RED customers now"),
        (f"{d.assessed.summary.get('alerts', 0):,}", "alerts to owners"),
        (_money(seg.get("total_revenue_at_risk", float("nan"))),
         "revenue at risk"),
    ]
    parts: List[str] = []
    add = parts.append
    add("<!DOCTYPE html>")
    add('<html lang="en"><head><meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, '
        'initial-scale=1">')
    add(f"<title>{_text(title)} \u2013 {_text(d.as_of)}</title>")
    add(f"<style>{_CSS}</style></head><body>")
    add('<header id="summary">')
    add(f"<h1>{_text(title)} as of {_text(d.as_of)}</h1>")
    first = d.summary.get("first_event_time", "")[:10]
    last = d.summary.get("last_event_time", "")[:10]
    add(f"<p>Data set <code>{_text(d.source)}</code>: "
        f"{d.summary.get('customers', 0):,} customers, "
        f"{d.summary.get('events', 0):,} events from {_text(first)} to "
        f"{_text(last)}. Churn figures of the period {_text(period)}.</p>")
    add('<div class="tiles">' + "".join(
        f'<div class="tile"><b>{v}</b><span>{_text(k)}</span></div>'
        for v, k in tiles) + "</div></header>")
    add("<nav>" + "".join(f'<a href="#{sid}">{_text(t)}</a>'
                          for sid, t in SECTIONS) + "</nav><main>")

    def section(sid: str, lead: str, body: str) -> None:
        t = dict(SECTIONS)[sid]
        add(f'<section id="{sid}"><h2>{_text(t)}</h2>'
            f'<p class="lead">{lead}</p>{body}</section>')

    # trend
    tr = d.churn.trend
    section("trend",
            "Each month: customers who churned as a share of those at its "
            "start, the revenue they took, and retention. The last months "
            "read low: passive churn is known only once a customer has been "
            "silent for its whole window, so their churners are still being "
            "counted.",
            _img("chart-trend", _chart_trend(d), "monthly churn and "
                 "retention") + _table(tr, [
                     ("start", "month", lambda v: _text(str(v)[:7])),
                     ("customers_at_start", "customers at start",
                      lambda v: f"{v:,}"),
                     ("churned", "churned", lambda v: f"{v:,}"),
                     ("churn_rate", "churn rate", _pct),
                     ("retention_rate", "retention", _pct),
                     ("new_customers", "new", lambda v: f"{v:,}"),
                     ("reactivated", "reactivated", lambda v: f"{v:,}"),
                     ("revenue_lost", "revenue lost", _money)],
                     "table-trend"))
    bd = d.churn.breakdowns
    section("segments",
            f"Churn rate of each tier and industry over {_text(period)}, "
            f"and at which lifecycle stage churned customers left.",
            _img("chart-segments", _chart_segments(d), "churn by tier, "
                 "industry and lifecycle stage") + _table(bd, [
                     ("attribute", "by", None), ("value", "value", None),
                     ("customers_at_start", "customers at start",
                      lambda v: f"{v:,}"),
                     ("churned", "churned", lambda v: f"{v:,}"),
                     ("churn_rate", "churn rate", _pct),
                     ("revenue_lost", "revenue lost", _money),
                     ("revenue_churn_rate", "revenue churn", _pct)],
                     "table-segments"))
    section("cohorts",
            "Customers grouped by signup month: the share still customers "
            "after each month (green: retained, red: lost).",
            _img("chart-cohorts", _chart_cohorts(d), "cohort retention "
                 "heat map"))
    curves = d.churn.survival_curves
    curves = curves[curves["attribute"] == "tier"] if len(curves) else curves
    section("survival",
            "The probability that a customer is still a customer N days "
            "after signup, by tier, with its 95% confidence band.",
            _img("chart-survival", _chart_survival(d), "Kaplan-Meier "
                 "curves by tier") + _table(curves, [
                     ("value", "tier", None),
                     ("customers", "customers", lambda v: f"{v:,}"),
                     ("churned", "churned", lambda v: f"{v:,}"),
                     ("censored", "still customers", lambda v: f"{v:,}"),
                     ("median_days", "median lifetime, days",
                      lambda v: _num(v, 0))], "table-survival"))
    bt = d.assessed.backtest
    bt_text = ""
    if bt:
        bt_text = (f" Backtest: colours as of {_text(bt.get('from', '')[:10])}"
                   f", churn by {_text(bt.get('to', '')[:10])} "
                   f"({bt.get('churned', 0):,} of {bt.get('customers', 0):,}"
                   f" customers churned; ROC-AUC of the score "
                   f"{_num(bt.get('auc'), 3)}).")
    section("health",
            f"{_text(d.health_note)}{bt_text} A good score puts the "
            f"churners in RED.",
            _img("chart-health", _chart_health(d), "health colour mix and "
                 "backtest"))
    section("model",
            f"{_text(d.model_note)} ROC-AUC {_num(ev.get('roc_auc'), 3)}, "
            f"average precision {_num(ev.get('average_precision'), 3)}, "
            f"{ev.get('positives', 0):,} churners of "
            f"{ev.get('count', 0):,} customers. Lift: how many times the "
            f"base rate each decile churns; gains: the share of churners "
            f"reached by contacting the riskiest first; calibration: "
            f"predicted against observed churn.",
            _img("chart-model", _chart_model(d), "lift, gains and "
                 "calibration"))
    factor_cols = [("feature", "feature", None),
                   ("coefficient", "coefficient", lambda v: _num(v, 3)),
                   ("univariate_correlation", "correlation with churn "
                    "alone", lambda v: _num(v, 3))]
    adj = ""
    if len(d.adjusting_factors):
        adj = ("<h3>Adjusting factors</h3><p class=\"note\">Their sign "
               "only adjusts for correlated features (it differs from the "
               "feature's own direction); do not read them alone.</p>" +
               _table(d.adjusting_factors, factor_cols, "table-adjusting"))
    section("factors",
            "The churn model's largest coefficients on standardized "
            "features: what raises (red) and lowers (green) the risk.",
            _img("chart-factors", _chart_factors(d), "strongest factors") +
            _table(d.factors, factor_cols, "table-factors") + adj)
    section("value-risk",
            f"Every active customer by value "
            f"({_text(seg.get('value_source', ''))}"
            f") and risk ({_text(seg.get('risk_source', ''))}); thresholds: "
            f"value {_money(seg.get('high_value_threshold', float('nan')))}"
            f", risk {_num(seg.get('risk_cutoff'), 2)}.",
            _img("chart-value-risk", _chart_value_risk(d), "value x risk "
                 "scatter with quadrants") + _table(d.segments.quadrants, [
                     ("quadrant", "quadrant",
                      lambda v: _text(str(v).replace("_", " ").lower())),
                     ("customers", "customers", lambda v: f"{v:,}"),
                     ("value", "value", _money),
                     ("revenue_at_risk", "revenue at risk", _money),
                     ("strategy", "strategy", None)], "table-quadrants"))
    save = d.segments.customers
    if len(save):
        save = save[~save["churned"] & (save["save_rank"] > 0)].sort_values(
            "save_rank")
        names = d.customers.set_index("id")["name"] \
            if "name" in d.customers.columns else pd.Series(dtype=object)
        save = save.assign(name=save["customer_id"].map(names).fillna(""))
    section("revenue-at-risk",
            f"Expected revenue lost "
            f"({_text(seg.get('revenue_at_risk_basis', ''))}"
            f"): {_money(seg.get('total_revenue_at_risk', float('nan')))} of "
            f"{_money(seg.get('total_value', float('nan')))} total value. "
            f"The customers to save first:",
            _img("chart-revenue-at-risk", _chart_revenue(d), "revenue at "
                 "risk by quadrant and tier") + _table(save, [
                     ("save_rank", "#", lambda v: f"{v:,}"),
                     ("customer_id", "customer", None),
                     ("name", "name", None), ("tier", "tier", None),
                     ("value", "value", _money),
                     ("risk", "risk", lambda v: _num(v, 3)),
                     ("revenue_at_risk", "revenue at risk", _money),
                     ("quadrant", "quadrant",
                      lambda v: _text(str(v).replace("_", " ").lower()))],
                     "table-save-first", max_rows=20))
    comp = d.experiments.comparisons
    section("experiments",
            "Retention of each offer's arm against its control after each "
            "cycle: the difference in percentage points with its 95% "
            "interval and the p-value of the z-test (Fisher's exact test "
            "beside it).",
            _img("chart-experiments", _chart_experiments(d), "A/B test "
                 "effects with confidence intervals") + _table(comp, [
                     ("strategy", "strategy", None), ("arm", "arm", None),
                     ("control_arm", "control", None),
                     ("cycle", "cycle", lambda v: f"{v}"),
                     ("arm_evaluated", "arm n", lambda v: f"{v:,}"),
                     ("control_evaluated", "control n", lambda v: f"{v:,}"),
                     ("difference", "difference, pp", lambda v: _num(v, 2)),
                     ("newcombe_lower", "95% low", lambda v: _num(v, 2)),
                     ("newcombe_upper", "95% high", lambda v: _num(v, 2)),
                     ("p_value", "p (z)", lambda v: _num(v, 4)),
                     ("fisher_p_value", "p (Fisher)", lambda v: _num(v, 4)),
                     ("significant", "significant",
                      lambda v: "yes" if v else "no")],
                     "table-experiments"))
    owners_n = warnings["owner"].nunique() if len(warnings) else 0
    section("warnings",
            f"{len(warnings):,} alerts sent to {owners_n:,} owners as of "
            f"{_text(d.as_of)} (within each owner's weekly capacity, "
            f"highest expected revenue at risk first; the rest go to "
            f"automated care).",
            _img("chart-warnings", _chart_warnings(d, warnings), "alerts "
                 "by level and owner") + _table(warnings, [
                     ("owner", "owner", None),
                     ("customer", "customer", None),
                     ("level", "level", lambda v: (
                         f'<span class="lv {_text(v)}">{_text(v)}</span>')),
                     ("rule", "warning", None),
                     ("message", "message", None),
                     ("expected_revenue_at_risk", "expected revenue at risk",
                      _money),
                     ("churn_probability", "churn probability",
                      lambda v: _num(v, 3))], "table-warnings"))
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    add(f"</main><footer>churnkit {__version__} (Python) \u00b7 generated "
        f"{stamp}</footer></body></html>")
    return "\n".join(parts)


def build_html(data: Any, as_of: DateLike, *, title: str = "Churn report",
               **kwargs: Any) -> str:
    """:func:`collect` then :func:`render`: the report's HTML as a str."""
    return render(collect(data, as_of, **kwargs), title=title)


def write_report(data: Any, as_of: DateLike,
                 html_path: Union[str, "os.PathLike[str]"], *,
                 title: str = "Churn report",
                 timings: Optional[Dict[str, float]] = None,
                 **kwargs: Any) -> pathlib.Path:
    """Writes the HTML churn report of ``data`` as of ``as_of`` to
    ``html_path`` (written to a temporary file, then renamed: the file
    appears only when complete); returns its path.  Keyword arguments go to
    :func:`collect` (``model``, ``assess_config``, ``format``, ...);
    ``timings``, a dict, receives the seconds of each step."""
    path = pathlib.Path(os.fspath(html_path))
    _require_matplotlib()  # before the jobs, not after them
    d = collect(data, as_of, **kwargs)
    start = time.perf_counter()
    text = render(d, title=title)
    d.timings["render"] = time.perf_counter() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    if timings is not None:
        timings.update(d.timings)
    return path


# ------------------------------------------------------------------ browser

def find_chromium() -> Optional[str]:
    """The headless browser: ``CHURNKIT_CHROMIUM``, else chromium or
    chromium-browser on PATH, else /usr/bin/chromium; None without one."""
    env = os.environ.get("CHURNKIT_CHROMIUM")
    if env:
        return env if os.path.exists(env) else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") \
        else None


def _chromium(html_path: pathlib.Path, *args: str,
              timeout: float = 120) -> subprocess.CompletedProcess:
    exe = find_chromium()
    if exe is None:
        raise errors.NotFoundError("chromium: not installed (Debian: apt-get "
                                   "install chromium)")
    with tempfile.TemporaryDirectory(prefix="churnkit-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--hide-scrollbars",
               "--no-first-run", "--disable-extensions",
               f"--user-data-dir={profile}", *args,
               html_path.resolve().as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=timeout)
    if proc.returncode != 0:
        raise errors.UnknownError(f"chromium exited {proc.returncode}: "
                                  f"{proc.stderr[-2000:]}")
    return proc


def screenshot(html_path: Union[str, "os.PathLike[str]"],
               png_path: Union[str, "os.PathLike[str]"], *,
               width: int = 1280, height: int = 4000) -> pathlib.Path:
    """Renders ``html_path`` in headless Chromium into a PNG of
    ``width`` x ``height`` pixels (the top of the page)."""
    out = pathlib.Path(os.fspath(png_path)).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    _chromium(pathlib.Path(os.fspath(html_path)), f"--screenshot={out}",
              f"--window-size={width},{height}")
    if not out.exists():
        raise errors.UnknownError(f"chromium wrote no screenshot to {out}")
    return out


def dump_dom(html_path: Union[str, "os.PathLike[str]"]) -> str:
    """The DOM of ``html_path`` after Chromium loaded it (``--dump-dom``)."""
    return _chromium(pathlib.Path(os.fspath(html_path)),
                     "--dump-dom").stdout
