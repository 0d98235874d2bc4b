"""Job results: the raw message (dict and bytes) and its tables as
DataFrames.

Every result class has:

* ``raw``: the result message as a dict (protobuf JSON mapping, proto field
  names; fields at their default absent; 64-bit integers as str);
* ``data``: the serialized result bytes (to store, or to pass on);
* ``frames()``: every table of the result as ``{name: DataFrame}``, and
  ``figures()``: its scalar figures as a plain dict, for report builders;
* one attribute per table, as listed in each class.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np
import pandas as pd

from . import _frames, _proto

__all__ = ["Result", "Evaluation", "TrainResult", "TrainTableResult",
           "AssessResult", "SegmentResult", "ClvResult", "ChurnReport",
           "WindowsResult", "ExperimentReport", "LabelSet", "ScorecardResult",
           "GenerateResult", "PartitionResult", "DataPartition"]

_FIGURES = {
    "customers_at_start": "int", "churned": "int", "churned_customers": "int",
    "churn_rate": "opt", "retention_rate": "opt", "revenue_at_start": "float",
    "revenue_lost": "float", "revenue_churn_rate": "opt",
    "new_customers": "int", "customers_at_end": "int", "reactivated": "int",
}
_SHARE = {"key": "str", "customers": "int", "share": "float",
          "revenue_lost": "float"}


class Result:
    """Base of the job results (see the module doc)."""

    MESSAGE = ""
    TABLES: List[str] = []

    def __init__(self, data: bytes, raw: Optional[Dict[str, Any]] = None
                 ) -> None:
        self.data = data
        self.raw = raw if raw is not None else _proto.decode(self.MESSAGE,
                                                             data)

    def frames(self) -> Dict[str, pd.DataFrame]:
        """Every table of the result by name."""
        return {name: getattr(self, name) for name in self.TABLES}

    def figures(self) -> Dict[str, Any]:
        """The scalar figures of the result."""
        return {}

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in list(
            self.figures().items())[:4])
        return f"<churnkit.{type(self).__name__} {shown}>"


class Evaluation(Result):
    """A churnkit.v1.Evaluation: ``lift`` (by decile: bin 1 = highest
    scores), ``reliability`` (calibration table) and the figures (count,
    positives, roc_auc, average_precision, log_loss, brier) and
    ``confusion`` (dict at the chosen threshold)."""

    MESSAGE = "Evaluation"
    TABLES = ["lift", "reliability"]
    _SCALARS = {"count": "int", "positives": "int", "roc_auc": "float",
                "average_precision": "float", "log_loss": "opt",
                "brier": "opt"}

    def __init__(self, raw: Dict[str, Any], data: bytes = b"") -> None:
        super().__init__(data, raw)
        self.lift = _frames.frame(raw.get("lift", []), {
            "bin": "int", "count": "int", "positives": "int",
            "min_score": "float", "max_score": "float", "rate": "float",
            "lift": "float", "cumulative_gain": "float",
            "cumulative_share": "float", "cumulative_lift": "float"})
        self.reliability = _frames.frame(raw.get("reliability", []), {
            "lower": "float", "upper": "float", "count": "int",
            "mean_predicted": "float", "observed_rate": "float"})
        self.confusion = _frames.scalars(raw.get("confusion", {}), {
            "threshold": "float", "true_positives": "int",
            "false_positives": "int", "true_negatives": "int",
            "false_negatives": "int", "precision": "float", "recall": "float",
            "f1": "float", "accuracy": "float", "expected_cost": "float"})
        for key, value in _frames.scalars(raw, self._SCALARS).items():
            setattr(self, key, value)

    def figures(self) -> Dict[str, Any]:
        return _frames.scalars(self.raw, self._SCALARS)


def _factors(items: List[Dict[str, Any]]) -> pd.DataFrame:
    return _frames.frame(items, {"feature": "str", "coefficient": "float",
                                 "univariate_correlation": "opt"})


def _model_from(message: str, data: bytes):
    from .model import Model  # noqa: deferred (model imports results)
    model_bytes = _proto.get_field(message, data, "model")
    return Model.load(model_bytes) if model_bytes else None


class TrainResult(Result):
    """Result of :func:`churnkit.train` (churnkit.v1.TrainResult).

    Attributes:
        model: the fitted :class:`~churnkit.Model`.
        held_out: the :class:`Evaluation` of the held-out dates.
        factors: the strongest factors (feature, coefficient,
            univariate_correlation); adjusting_factors: those adjusting for
            correlated features.
        riskiest: the riskiest customers of the last date (customer_id,
            probability, churned, reasons); riskiest_reasons: one row per
            reason.
    """

    MESSAGE = "TrainResult"
    TABLES = ["factors", "adjusting_factors", "riskiest", "riskiest_reasons"]

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        r = self.raw
        self.model = _model_from(self.MESSAGE, data)
        self.held_out = Evaluation(r.get("held_out", {}))
        self.factors = _factors(r.get("factors", []))
        self.adjusting_factors = _factors(r.get("adjusting_factors", []))
        risky = r.get("riskiest", [])
        self.riskiest = _frames.frame(
            [x.get("explanation", {}) for x in risky],
            {"customer_id": "str", "probability": "float"})
        self.riskiest["churned"] = [bool(x.get("churned", False))
                                    for x in risky]
        self.riskiest["reasons"] = [
            "; ".join(reason.get("text", reason.get("feature", ""))
                      for reason in x.get("explanation", {}).get("risk", []))
            for x in risky]
        rows, extra = [], []
        for x in risky:
            e = x.get("explanation", {})
            for rank, reason in enumerate(e.get("risk", []), 1):
                rows.append(reason)
                extra.append({"customer_id": e.get("customer_id", ""),
                              "rank": rank})
        self.riskiest_reasons = _frames.frame(
            rows, {"feature": "str", "value": "float", "contribution": "float",
                   "text": "str"}, extra)

    def figures(self) -> Dict[str, Any]:
        r = self.raw
        out = {
            "as_of_dates": list(r.get("as_of_dates", [])),
            "horizon_days": int(r.get("horizon_days", 0)),
            "test_from": r.get("test_from", ""),
            "num_features": int(r.get("num_features", 0)),
            "train_rows": int(_frames.get(r, "train.rows", 0)),
            "train_churned": int(_frames.get(r, "train.churned", 0)),
            "test_rows": int(_frames.get(r, "test.rows", 0)),
            "test_churned": int(_frames.get(r, "test.churned", 0)),
        }
        out.update({f"held_out_{k}": v
                    for k, v in self.held_out.figures().items()})
        return out


class TrainTableResult(Result):
    """Result of :func:`churnkit.train_table`: ``model``,
    ``cross_validated`` (:class:`Evaluation`), ``factors``,
    ``adjusting_factors`` and the figures (rows, churned, columns, folds).
    """

    MESSAGE = "TrainTableResult"
    TABLES = ["factors", "adjusting_factors"]

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.model = _model_from(self.MESSAGE, data)
        self.cross_validated = Evaluation(self.raw.get("cross_validated", {}))
        self.factors = _factors(self.raw.get("factors", []))
        self.adjusting_factors = _factors(self.raw.get("adjusting_factors",
                                                       []))

    def figures(self) -> Dict[str, Any]:
        out = _frames.scalars(self.raw, {
            "rows": "int", "churned": "int", "numeric_columns": "int",
            "categorical_columns": "int", "num_features": "int",
            "folds": "int"})
        out.update({f"cv_{k}": v
                    for k, v in self.cross_validated.figures().items()})
        return out


class AssessResult(Result):
    """Result of :func:`churnkit.assess` (churnkit.v1.AssessResponse).

    Attributes:
        customers: one row per customer: customer_id, score, colour,
            score_change, churn_probability (NaN without a model), churned,
            alerts, tasks (counts), level (highest alert level or '').
        dimensions: customer_id, dimension, points, label.
        alerts: customer_id, rule, level, message, first_fired, escalated,
            rank, expected_revenue_at_risk, value, churn_probability.
        tasks: customer_id, type, title, assignee, assignee_id, due,
            priority, source.
        churn_reasons: customer_id, rank, feature, value, contribution,
            text (the model's reasons).
        at_risk: the at-risk ranking (rows of ``customers`` in order).
        owners: per owner: alerted, routed_to_automated_care.
        backtest_colours: per colour: customers, churned, churn_rate.
        summary: counts (customers, churned, alerts, tasks, colours,
            alert_levels, task_types).
        backtest: the backtest's figures (empty without one).
        assessment_bytes / history_bytes: the serialized Assessment and
            AlertHistory, for the next run's ``previous`` and ``history``.
    """

    MESSAGE = "AssessResponse"
    TABLES = ["customers", "dimensions", "alerts", "tasks", "churn_reasons",
              "at_risk", "owners", "backtest_colours"]
    _LEVELS = {"L1": 1, "L2": 2, "L3": 3}

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        r = self.raw
        assessment = r.get("assessment", {})
        customers = assessment.get("customers", [])
        self.as_of = assessment.get("as_of", "")
        df = _frames.frame(customers, {
            "customer_id": "str", "score": "float", "colour": "str",
            "score_change": "float", "churned": "bool"})
        df["churn_probability"] = np.asarray(
            [c.get("churn_probability", np.nan) for c in customers], float)
        df["alerts"] = np.asarray(
            [len(c.get("alerts", [])) for c in customers], np.int64)
        df["tasks"] = np.asarray([len(c.get("tasks", [])) for c in customers],
                                 np.int64)
        df["level"] = [max((a.get("level", "") for a in c.get("alerts", [])),
                           key=lambda v: self._LEVELS.get(v, 0), default="")
                       for c in customers]
        self.customers = df
        dims, alerts, tasks, reasons = [], [], [], []
        dx, ax, tx, rx = [], [], [], []
        for c in customers:
            cid = c.get("customer_id", "")
            for d in c.get("dimensions", []):
                dims.append(d)
                dx.append({"customer_id": cid})
            for a in c.get("alerts", []):
                alerts.append(a)
                ax.append({"customer_id": cid})
            for t in c.get("tasks", []):
                tasks.append(t)
                tx.append({"customer_id": cid})
            for rank, reason in enumerate(c.get("churn_reasons", []), 1):
                reasons.append(reason)
                rx.append({"customer_id": cid, "rank": rank})
        self.dimensions = _frames.frame(
            dims, {"name": "str", "points": "float", "label": "str"}, dx or
            None).rename(columns={"name": "dimension"})
        self.alerts = _frames.frame(alerts, {
            "rule": "str", "level": "str", "message": "str",
            "first_fired": "time", "escalated": "bool", "rank": "int",
            "expected_revenue_at_risk": "float", "value": "float",
            "churn_probability": "float"}, ax or None)
        self.tasks = _frames.frame(tasks, {
            "type": "str", "title": "str", "assignee": "str",
            "assignee_id": "str", "due": "time", "priority": "str",
            "source": "str"}, tx or None)
        self.churn_reasons = _frames.frame(reasons, {
            "feature": "str", "value": "float", "contribution": "float",
            "text": "str"}, rx or None)
        for frame_ in (self.dimensions, self.alerts, self.tasks,
                       self.churn_reasons):
            if "customer_id" not in frame_.columns:
                frame_.insert(0, "customer_id", pd.Series([], dtype=object))
        self.at_risk = df.iloc[[int(i) for i in r.get("at_risk", [])]
                               ].reset_index(drop=True)
        self.owners = _frames.frame(
            _frames.get(assessment, "alert_summary.owners", []),
            {"owner_id": "str", "alerted": "int",
             "routed_to_automated_care": "int"})
        s = r.get("summary", {})
        self.summary: Dict[str, Any] = _frames.scalars(s, {
            "customers": "int", "churned": "int", "alerts": "int",
            "tasks": "int"})
        for key in ("colours", "alert_levels", "task_types"):
            self.summary[key] = _frames.counts(s.get(key))
        b = r.get("backtest")
        self.backtest: Dict[str, Any] = {}
        self.backtest_colours = _frames.frame(
            (b or {}).get("colours", []), {
                "colour": "str", "customers": "int", "churned": "int",
                "churn_rate": "float"})
        if b is not None:
            self.backtest = _frames.scalars(b, {
                "from": "str", "to": "str", "horizon_days": "int",
                "customers": "int", "churned": "int", "auc": "opt",
                "note": "str", "cutoffs.green_min": "float",
                "cutoffs.yellow_min": "float"})
        self._assessment: Optional[bytes] = None
        self._history: Optional[bytes] = None

    @property
    def assessment_bytes(self) -> bytes:
        """The serialized churnkit.v1.Assessment (the next run's
        ``previous``)."""
        if self._assessment is None:
            self._assessment = _proto.get_field(self.MESSAGE, self.data,
                                                "assessment")
        return self._assessment

    @property
    def history_bytes(self) -> bytes:
        """The serialized churnkit.v1.AlertHistory (the next run's
        ``history``)."""
        if self._history is None:
            self._history = _proto.get_field(self.MESSAGE, self.data,
                                             "history")
        return self._history

    def figures(self) -> Dict[str, Any]:
        out = {k: v for k, v in self.summary.items()}
        out["as_of"] = self.as_of
        if self.backtest:
            out["backtest"] = dict(self.backtest)
        return out


class SegmentResult(Result):
    """Result of :func:`churnkit.segment` (churnkit.v1.SegmentResponse).

    Attributes:
        customers: one row per customer: customer_id, churned, revenue,
            value, tenure_days, expected_remaining_days, tier, risk,
            high_value, high_risk, quadrant, strategy, revenue_at_risk,
            save_rank, churn_reason, reason_source.
        tiers: A/B/C tiers (customers, value, shares, min_value).
        quadrants: the value x risk matrix (customers, value,
            revenue_at_risk, strategy).
        reasons: the churn-reason matrix rows; reason_cells: reason x
            segment.
        evidence_note: why there is no evidence, when asked for.
    """

    MESSAGE = "SegmentResponse"
    TABLES = ["customers", "tiers", "quadrants", "reasons", "reason_cells"]

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        rep = self.raw.get("report", {})
        self.report = rep
        self.evidence_note = self.raw.get("evidence_note", "")
        self.customers = _frames.frame(rep.get("customers", []), {
            "customer_id": "str", "churned": "bool", "revenue": "float",
            "value": "float", "tenure_days": "float",
            "expected_remaining_days": "float", "tier": "str", "risk": "opt",
            "high_value": "bool", "high_risk": "bool", "quadrant": "str",
            "strategy": "str", "revenue_at_risk": "float",
            "save_rank": "int", "churn_reason": "str",
            "reason_source": "str"})
        self.tiers = _frames.frame(rep.get("tiers", []), {
            "tier": "str", "customers": "int", "value": "float",
            "value_share": "float", "customer_share": "float",
            "min_value": "float"})
        self.quadrants = _frames.frame(rep.get("quadrants", []), {
            "quadrant": "str", "strategy": "str", "customers": "int",
            "value": "float", "revenue_at_risk": "float"})
        rows = _frames.get(rep, "reasons.rows", [])
        self.reasons = _frames.frame(rows, {
            "reason": "str", "name": "str", "in_taxonomy": "bool",
            "recoverable": "bool", "counter_plan": "str", "customers": "int",
            "from_cancellation": "int", "inferred": "int",
            "revenue_lost": "float", "value_lost": "float"})
        cells, extra = [], []
        for row in rows:
            for cell in row.get("cells", []):
                cells.append(cell)
                extra.append({"reason": row.get("reason", "")})
        self.reason_cells = _frames.frame(cells, {
            "segment": "str", "customers": "int", "revenue_lost": "float",
            "value_lost": "float"}, extra or None)
        if "reason" not in self.reason_cells.columns:
            self.reason_cells.insert(0, "reason", pd.Series([], dtype=object))

    def figures(self) -> Dict[str, Any]:
        return _frames.scalars(self.report, {
            "as_of": "str", "value_source": "str", "risk_source": "str",
            "revenue_at_risk_basis": "str", "active_customers": "int",
            "total_value": "float", "total_revenue_at_risk": "float",
            "high_value_threshold": "opt", "risk_cutoff": "float",
            "reasons.churned": "int", "reasons.revenue_lost": "float"})


class ClvResult(Result):
    """Result of :func:`churnkit.clv` (churnkit.v1.ClvResponse):
    ``customers`` (customer_id, frequency, recency, age, monetary, p_alive,
    expected_purchases, expected_spend, clv), ``model`` (the fitted BG/NBD
    and Gamma-Gamma parameters as a dict) and the totals."""

    MESSAGE = "ClvResponse"
    TABLES = ["customers"]

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.model = self.raw.get("model", {})
        self.customers = _frames.frame(self.raw.get("customers", []), {
            "customer_id": "str", "frequency": "float", "recency": "float",
            "age": "float", "monetary": "float", "p_alive": "float",
            "expected_purchases": "float", "expected_spend": "float",
            "clv": "float"})

    def figures(self) -> Dict[str, Any]:
        out = _frames.scalars(self.raw, {
            "time_unit": "str", "customers_without_orders": "int",
            "mean_p_alive": "float", "expected_purchases": "float",
            "total_clv": "float", "predict.horizon": "float"})
        out["customers"] = len(self.customers)
        return out


def _figures_row(figures: Dict[str, Any]) -> Dict[str, Any]:
    return _frames.scalars(figures, _FIGURES)


class ChurnReport(Result):
    """Result of :func:`churnkit.report` (churnkit.v1.ChurnReport).

    Attributes:
        overall: the period's figures (customers_at_start, churned,
            churn_rate, retention_rate, revenue_at_start, revenue_lost,
            revenue_churn_rate, new_customers, customers_at_end,
            reactivated) as a dict; rates in percent, NaN when undefined.
        by_type, by_reason, by_stage: churn shares (key, customers, share,
            revenue_lost).
        breakdowns: one row per (attribute, value) with the figures.
        trend: one row per month (start, end, figures).
        trend_breakdowns: per month and (attribute, value).
        cohorts: long form: attribute, value, cohort, customers, month,
            as_of, retained, retention.
        survival: Kaplan-Meier points: attribute, value, days, at_risk,
            churned, survival, variance, lower, upper.
        survival_curves: one row per curve (customers, churned, censored,
            median_days); survival_at: survival at the asked horizons.
    """

    MESSAGE = "ChurnReport"
    TABLES = ["by_type", "by_reason", "by_stage", "breakdowns", "trend",
              "trend_breakdowns", "cohorts", "survival", "survival_curves",
              "survival_at"]

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        r = self.raw
        period = r.get("period", {})
        overall = period.get("overall", {})
        self.overall = _figures_row(overall)
        self.period = {"start": period.get("start", ""),
                       "end": period.get("end", "")}
        self.by_type = _frames.frame(overall.get("by_type", []), _SHARE)
        self.by_reason = _frames.frame(overall.get("by_reason", []), _SHARE)
        self.by_stage = _frames.frame(overall.get("by_stage", []), _SHARE)
        self.breakdowns = self._breakdowns(period.get("breakdowns", []))
        trend_rows = []
        trend_bd = []
        for p in r.get("trend", []):
            row = {"start": p.get("start", ""), "end": p.get("end", "")}
            row.update(_figures_row(p.get("overall", {})))
            trend_rows.append(row)
            bd = self._breakdowns(p.get("breakdowns", []))
            bd.insert(0, "start", row["start"])
            trend_bd.append(bd)
        self.trend = pd.DataFrame(trend_rows, columns=[
            "start", "end", *_figures_row({}).keys()])
        self.trend_breakdowns = (pd.concat(trend_bd, ignore_index=True)
                                 if trend_bd else self._breakdowns([]))
        cells, extra = [], []
        for table in r.get("cohorts", []):
            for row in table.get("rows", []):
                for cell in row.get("cells", []):
                    cells.append(cell)
                    extra.append({"attribute": table.get("attribute", ""),
                                  "value": table.get("value", ""),
                                  "cohort": row.get("cohort", ""),
                                  "customers": int(row.get("customers", 0))})
        self.cohorts = _frames.frame(cells, {
            "month": "int", "as_of": "str", "retained": "int",
            "retention": "float"}, extra or None)
        points, pextra, at, aextra = [], [], [], []
        for curve in r.get("survival", []):
            key = {"attribute": curve.get("attribute", ""),
                   "value": curve.get("value", "")}
            for p in curve.get("points", []):
                points.append(p)
                pextra.append(key)
            for a in curve.get("at_horizons", []):
                at.append(a)
                aextra.append(key)
        self.survival = _frames.frame(points, {
            "days": "float", "at_risk": "int", "churned": "int",
            "survival": "float", "variance": "float", "lower": "float",
            "upper": "float"}, pextra or None)
        self.survival_curves = _frames.frame(r.get("survival", []), {
            "attribute": "str", "value": "str", "customers": "int",
            "churned": "int", "censored": "int", "median_days": "opt"})
        self.survival_at = _frames.frame(at, {
            "days": "int", "survival": "float", "lower": "float",
            "upper": "float"}, aextra or None)

    @staticmethod
    def _breakdowns(items: List[Dict[str, Any]]) -> pd.DataFrame:
        rows = []
        for b in items:
            for g in b.get("groups", []):
                row = {"attribute": b.get("attribute", ""),
                       "value": g.get("value", "")}
                row.update(_figures_row(g.get("figures", {})))
                rows.append(row)
        return pd.DataFrame(rows, columns=["attribute", "value",
                                           *_figures_row({}).keys()])

    def figures(self) -> Dict[str, Any]:
        out = {"as_of": self.raw.get("as_of", ""),
               "customers": int(self.raw.get("customers", 0)),
               "confidence": float(self.raw.get("confidence", 0.0)),
               "revenue_source": self.raw.get("revenue_source", ""),
               "period_start": self.period["start"],
               "period_end": self.period["end"]}
        out.update(self.overall)
        return out


class WindowsResult(Result):
    """Result of :func:`churnkit.windows` (churnkit.v1.WindowsResult):
    ``segments`` (one row per segment with the suggested window),
    ``points`` (return probability after N silent days) and
    ``definition`` (the suggested ChurnDefinition as a dict; pass it as a
    ``definition`` elsewhere)."""

    MESSAGE = "WindowsResult"
    TABLES = ["segments", "points"]

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        segs = self.raw.get("segments", [])
        self.segments = _frames.frame(segs, {
            "value": "str", "overall": "bool", "customers": "int",
            "spells": "int", "open_spells": "int", "median_gap_days": "opt",
            "p90_gap_days": "opt", "p99_gap_days": "opt",
            "suggested_days": "int", "suggested_followed": "int",
            "suggested_return_probability": "opt", "no_suggestion": "str"})
        pts, extra = [], []
        for s in segs:
            for p in s.get("points", []):
                pts.append(p)
                extra.append({"value": s.get("value", ""),
                              "overall": bool(s.get("overall", False))})
        self.points = _frames.frame(pts, {
            "days": "int", "reached": "int", "followed": "int",
            "returned": "int", "return_probability": "opt"}, extra or None)
        self.definition = self.raw.get("definition", {})

    def figures(self) -> Dict[str, Any]:
        return {"as_of": self.raw.get("as_of", ""),
                "by": self.raw.get("by", ""),
                "segments": len(self.segments)}


class ExperimentReport(Result):
    """Result of :func:`churnkit.abtest` (churnkit.v1.ExperimentReport).

    Attributes:
        strategies: one row per strategy (customers, total_cost, response).
        arms: one row per (strategy, arm).
        cycles: retention per (strategy, arm, cycle).
        comparisons: each arm against the control per cycle: difference,
            Wald and Newcombe intervals, z, p-values, Fisher, odds ratio,
            significance and sample sizes (rates in percent).
    """

    MESSAGE = "ExperimentReport"
    TABLES = ["strategies", "arms", "cycles", "comparisons"]

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        strategies = self.raw.get("strategies", [])
        self.strategies = _frames.frame(strategies, {
            "strategy": "str", "control_arm": "str", "customers": "int",
            "total_cost": "float", "response_evaluated": "int",
            "responded": "int", "response_rate": "opt",
            "low_response": "bool"})
        arms, ax, cycles, cx, comps, kx = [], [], [], [], [], []
        for s in strategies:
            name = s.get("strategy", "")
            for a in s.get("arms", []):
                arms.append(a)
                ax.append({"strategy": name})
                for c in a.get("cycles", []):
                    cycles.append(c)
                    cx.append({"strategy": name, "arm": a.get("arm", "")})
            for c in s.get("comparisons", []):
                comps.append(c)
                kx.append({"strategy": name})
        self.arms = _frames.frame(arms, {
            "arm": "str", "customers": "int", "repeat_interventions": "int",
            "total_cost": "float", "retention_subjects": "int",
            "response_evaluated": "int", "responded": "int",
            "response_rate": "opt", "low_response": "bool"}, ax or None)
        self.cycles = _frames.frame(cycles, {
            "cycle": "int", "evaluated": "int", "pending": "int",
            "retained": "int", "churned": "int", "retention_rate": "opt",
            "churn_rate": "opt", "cost": "float",
            "cost_per_retained": "opt"}, cx or None)
        self.comparisons = _frames.frame(comps, {
            "arm": "str", "control_arm": "str", "cycle": "int",
            "arm_evaluated": "int", "arm_retained": "int",
            "control_evaluated": "int", "control_retained": "int",
            "difference": "opt", "wald_lower": "opt", "wald_upper": "opt",
            "newcombe_lower": "opt", "newcombe_upper": "opt", "z": "opt",
            "p_value": "opt", "p_value_greater": "opt",
            "fisher_p_value": "opt", "odds_ratio": "opt",
            "odds_ratio_infinite": "bool", "test": "str",
            "significant": "bool", "sample_size_per_arm": "opt",
            "sample_size_observed": "opt",
            "incremental_cost_per_retained": "opt"}, kx or None)
        for df, keys in ((self.arms, ["strategy"]),
                         (self.cycles, ["strategy", "arm"]),
                         (self.comparisons, ["strategy"])):
            for i, k in enumerate(keys):
                if k not in df.columns:
                    df.insert(i, k, pd.Series([], dtype=object))

    def figures(self) -> Dict[str, Any]:
        return _frames.scalars(self.raw, {
            "as_of": "str", "cycle_days": "int", "cycles": "int",
            "alpha": "float", "power": "float", "min_response_rate": "float",
            "min_detectable_lift": "float", "interventions": "int"})


class LabelSet(Result):
    """Result of :func:`churnkit.labels` (churnkit.v1.LabelSet):
    ``labels`` (one row per customer: customer_id, churned, type,
    churn_time, reason, rule, last_activity, detected, reactivations) and
    ``episodes`` (every churn episode: customer_id, type, start, detected,
    end, reason, rule)."""

    MESSAGE = "LabelSet"
    TABLES = ["labels", "episodes"]

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        labels = self.raw.get("labels", [])
        self.labels = _frames.frame(labels, {
            "customer_id": "str", "churned": "bool", "type": "str",
            "churn_time": "time", "reason": "str", "rule": "str",
            "last_activity": "time", "detected": "time",
            "reactivations": "int"})
        eps, extra = [], []
        for lab in labels:
            for e in lab.get("episodes", []):
                eps.append(e)
                extra.append({"customer_id": lab.get("customer_id", "")})
        self.episodes = _frames.frame(eps, {
            "type": "str", "start": "time", "detected": "time", "end": "time",
            "reason": "str", "rule": "str"}, extra or None)
        if "customer_id" not in self.episodes.columns:
            self.episodes.insert(0, "customer_id", pd.Series([], dtype=object))

    def figures(self) -> Dict[str, Any]:
        churned = self.labels[self.labels["churned"]]
        return {"as_of": self.raw.get("as_of", ""),
                "customers": len(self.labels), "churned": len(churned),
                "by_type": churned["type"].value_counts().to_dict()}


class ScorecardResult(Result):
    """Result of :func:`churnkit.scorecard` / :func:`churnkit.scorecard_table`
    (churnkit.v1.ScorecardResult).

    Attributes:
        scorecard: the learned churnkit.v1.Scorecard as a dict.
        report: the ScorecardReport as a dict.
        assessment_config: an AssessmentConfig carrying the scorecard (a
            dict; pass it as ``config=`` to :func:`churnkit.assess`); empty
            for a table.
        features: one row per kept feature (dimension, information_value,
            auc, coefficient, trend, ...); bins: one row per bin (feature,
            label, min, max, missing, count, events, event_rate, woe,
            points); colours: churn per colour on the training and holdout
            rows; dropped: features left out, with the reason.
    """

    MESSAGE = "ScorecardResult"
    TABLES = ["features", "bins", "colours", "dropped"]

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.scorecard = self.raw.get("scorecard", {})
        self.report = self.raw.get("report", {})
        self.assessment_config = self.raw.get("assessment_config", {})
        feats = self.report.get("features", [])
        self.features = _frames.frame(feats, {
            "feature": "str", "dimension": "str",
            "information_value": "float", "auc": "float",
            "coefficient": "float", "increasing": "bool", "trend": "str",
            "binary": "bool"})
        bins, extra = [], []
        for f in feats:
            for b in f.get("bins", []):
                bins.append(b)
                extra.append({"feature": f.get("feature", "")})
        self.bins = _frames.frame(bins, {
            "label": "str", "min": "opt", "max": "opt", "missing": "bool",
            "count": "int", "events": "int", "event_rate": "float",
            "woe": "float", "points": "float"}, extra or None)
        if "feature" not in self.bins.columns:
            self.bins.insert(0, "feature", pd.Series([], dtype=object))
        self.colours = _frames.frame(self.report.get("colours", []), {
            "colour": "str", "train_rows": "int", "train_churn_rate": "float",
            "holdout_rows": "int", "holdout_churn_rate": "float"})
        self.dropped = _frames.frame(self.report.get("dropped", []), {
            "feature": "str", "reason": "str", "information_value": "float"})

    def figures(self) -> Dict[str, Any]:
        out = _frames.scalars(self.raw, {
            "rows": "int", "num_features": "int", "horizon_days": "int",
            "panel_label": "str", "default_train_auc": "opt",
            "default_holdout_auc": "opt"})
        out["as_of_dates"] = list(self.raw.get("as_of_dates", []))
        out.update(_frames.scalars(self.report, {
            "train_rows": "int", "train_events": "int",
            "holdout_rows": "int", "holdout_events": "int",
            "train_auc": "float", "holdout_auc": "opt", "cv_auc": "opt"}))
        return out


class GenerateResult(Result):
    """Result of :func:`churnkit.generate` (churnkit.v1.GenerateResult): the
    data set's directory (``path``; the object is path-like, so
    ``churnkit.load(generate(...))`` works), the resolved ``config`` dict
    and the ``summary`` (customers, events, churned_by_type, files, ...;
    empty with a library older than ``ck_job_generate``)."""

    MESSAGE = "GenerateResult"

    def __init__(self, data: bytes, raw: Optional[Dict[str, Any]] = None
                 ) -> None:
        super().__init__(data, raw)
        import pathlib
        self.path = pathlib.Path(self.raw.get("out_dir", ""))
        self.config = self.raw.get("config", {})
        s = self.raw.get("summary", {})
        self.summary: Dict[str, Any] = _frames.scalars(s, {
            "customers": "int", "events": "int", "contacts": "int",
            "contracts": "int", "owners": "int"}) if s else {}
        if s:
            self.summary["churned_by_type"] = _frames.counts(
                s.get("churned_by_type"))
            self.summary["events_by_kind"] = _frames.counts(
                s.get("events_by_kind"))
            self.summary["files"] = list(s.get("files", []))

    def __fspath__(self) -> str:
        return str(self.path)

    def figures(self) -> Dict[str, Any]:
        return {"path": str(self.path), **{
            k: v for k, v in self.summary.items() if not isinstance(v, dict)}}


class DataPartition:
    """One partition of a :class:`PartitionResult`: a normal data set.

    Attributes:
        index: 0..partitions-1 (customers whose id hashes to it).
        load: the churnkit.v1.LoadOptions that load it, as a dict (the
            input's options with the partition's files).
        rows: rows (CSV) or records (PB, JSONL) written, owners included.
        paths: the partition's files or directories (``load["paths"]``).
    """

    __slots__ = ("index", "load", "rows")

    def __init__(self, raw: Dict[str, Any]) -> None:
        self.index = int(raw.get("index", 0))
        self.load: Dict[str, Any] = dict(raw.get("load", {}))
        self.rows = int(raw.get("rows", 0))

    @property
    def paths(self) -> List[str]:
        return list(self.load.get("paths", []))

    def load_options(self) -> bytes:
        """The serialized LoadOptions (what a worker loads)."""
        return _proto.encode("LoadOptions", self.load)

    def load_dataset(self):
        """Loads the partition (``ck_dataset_load`` of :attr:`load`)."""
        from . import _lib
        from .dataset import Dataset
        data = self.load_options()
        return Dataset(_lib.make_handle("ck_dataset_load", data, len(data)))

    def __reduce__(self):
        return (DataPartition, ({"index": self.index, "load": self.load,
                                 "rows": str(self.rows)},))

    def __repr__(self) -> str:
        return (f"<churnkit.DataPartition {self.index}: {self.rows} rows, "
                f"{', '.join(self.paths)}>")


class PartitionResult(Result):
    """Result of :func:`churnkit.partition` (churnkit.v1.PartitionResult),
    also read back from a partitions directory by :meth:`open`.

    Attributes:
        parts: one :class:`DataPartition` per partition, by index.
        partitions, out_dir, rows_read, unrouted: the figures (unrouted:
            rows without a readable customer id, sent to partition 0).
        table: one row per partition (index, rows, paths).
        errors: rows that could not be read at all (source, row, field,
            reason).
    """

    MESSAGE = "PartitionResult"
    TABLES = ["table", "errors"]

    def __init__(self, data: bytes, raw: Optional[Dict[str, Any]] = None
                 ) -> None:
        super().__init__(data, raw)
        r = self.raw
        self.parts = sorted((DataPartition(p) for p in r.get("parts", [])),
                            key=lambda p: p.index)
        self.partitions = int(r.get("partitions", 0))
        self.out_dir = r.get("out_dir", "")
        self.rows_read = int(r.get("rows_read", 0))
        self.unrouted = int(r.get("unrouted", 0))
        self.table = pd.DataFrame({
            "index": np.asarray([p.index for p in self.parts], np.int64),
            "rows": np.asarray([p.rows for p in self.parts], np.int64),
            "paths": pd.Series([", ".join(p.paths) for p in self.parts],
                               dtype=object)})
        self.errors = _frames.frame(r.get("errors", []), {
            "source": "str", "row": "int", "field": "str", "reason": "str"})

    @classmethod
    def open(cls, path: Any) -> "PartitionResult":
        """The result of an earlier partitioning, from its directory (or
        its ``partitions.textproto``), e.g. one made by ``churnkit
        partition DATA --partitions N --out DIR``.

        Raises NotFoundError when there is no partitions.textproto.
        """
        import os
        import pathlib
        from . import errors as _errors
        p = pathlib.Path(os.fspath(path))
        if p.is_dir():
            p = p / "partitions.textproto"
        if not p.is_file():
            raise _errors.NotFoundError(
                f"{p}: no partitions.textproto (not a directory written by "
                f"churnkit.partition / churnkit partition)")
        data = _proto.encode("PartitionResult",
                             p.read_text(encoding="utf-8"))
        return cls(data)

    def __len__(self) -> int:
        return len(self.parts)

    def __iter__(self):
        return iter(self.parts)

    def __getitem__(self, index: int) -> DataPartition:
        return self.parts[index]

    def __reduce__(self):
        return (PartitionResult, (self.data, self.raw))

    def figures(self) -> Dict[str, Any]:
        return {"partitions": self.partitions, "out_dir": self.out_dir,
                "rows_read": self.rows_read, "unrouted": self.unrouted}
