"""The HTML churn report (churnkit.html_report, python -m churnkit report):
every section and chart on a small generated data set, the given-model
path, bad input, and the report rendered in headless Chromium (skipped only
when Chromium is not installed).

CHURNKIT_REPORT_SCREENSHOT=PATH also keeps the Chromium screenshot of the
small report there (the committed docs/images/report.png is of the main
job's data: docs/report.md says how it was made).
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import churnkit as ck
from churnkit import html_report as hr

from conftest import DATES, ROOT

AS_OF = "2026-01-01"


@pytest.fixture(scope="module")
def report_data(gen):
    return hr.collect(gen, AS_OF)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory, gen_dir):
    out = tmp_path_factory.mktemp("report") / "report.html"
    path = hr.write_report(gen_dir, AS_OF, out)
    assert path == out
    return out


@pytest.fixture(scope="module")
def page(report_file) -> str:
    return report_file.read_text(encoding="utf-8")


def _images(text: str):
    return dict(re.findall(
        r'<img class="chart" id="([^"]+)"[^>]*src="data:image/png;base64,'
        r'([^"]+)"', text))


def test_every_section_has_an_id_a_title_and_its_chart(page):
    for sid, title in hr.SECTIONS:
        m = re.search(rf'<section id="{re.escape(sid)}"><h2>(.*?)</h2>',
                      page)
        assert m, f"section {sid} missing"
        assert m.group(1), f"section {sid} has no title"
    images = _images(page)
    assert set(images) == {cid for cid, _ in hr.CHARTS}
    for cid, sid in hr.CHARTS:
        body = page.split(f'<section id="{sid}">', 1)[1].split(
            "</section>", 1)[0]
        assert f'id="{cid}"' in body, f"{cid} not in section {sid}"


def test_charts_are_real_pngs(page):
    import matplotlib.image as mpimg
    for cid, data in _images(page).items():
        png = base64.b64decode(data)
        assert png[:8] == b"\x89PNG\r\n\x1a\n", cid
        img = mpimg.imread(io.BytesIO(png), format="png")
        assert img.shape[0] > 150 and img.shape[1] > 500, (cid, img.shape)
        assert float(np.std(img[..., :3])) > 0.02, f"{cid} looks blank"


def test_self_contained(page):
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "@import" not in page and "url(" not in page


def test_header_and_tables(page, report_data):
    d = report_data
    assert f"as of {AS_OF}" in page
    assert "400 customers" in page
    for table in ("table-trend", "table-segments", "table-survival",
                  "table-factors", "table-quadrants", "table-save-first",
                  "table-experiments", "table-warnings"):
        assert f'id="{table}"' in page, table
    # The warning table: one row per alert sent to an owner.
    rows = page.split('id="table-warnings"', 1)[1].split("</table>", 1)[0]
    assert rows.count("<tr>") - 1 == len(d.assessed.alerts) > 0


def test_figures_come_from_the_jobs(report_data, gen, trained):
    """The report runs the main job's recipe through the package."""
    d = report_data
    assert d.trained is not None and d.learned is not None
    assert d.trained.figures()["as_of_dates"] == hr.training_dates(AS_OF)
    assert d.evaluation.figures() == d.trained.held_out.figures()
    assert d.trained.factors.equals(d.factors)
    rep = ck.report(gen, as_of=AS_OF, trend=True)
    assert d.churn.trend["churn_rate"].equals(rep.trend["churn_rate"])
    colours = d.assessed.summary["colours"]
    assert sum(colours.values()) == 400
    assert d.assessed.backtest["horizon_days"] == 90
    assert len(d.experiments.comparisons) > 0


def test_training_dates():
    assert hr.training_dates("2026-01-01") == [
        "2024-07-01", "2024-10-01", "2025-01-01", "2025-04-01",
        "2025-07-01", "2025-10-01"]
    assert hr.training_dates("2025-01-01", after="2024-01-01") == [
        "2024-04-01", "2024-07-01", "2024-10-01"]


def test_given_model_evaluates_as_the_train_job(gen, report_data):
    """A given model is evaluated on the held-out date as the train job
    does it (panel label at the end): equal figures and tables."""
    t = report_data.trained
    dates = DATES + ["2025-10-01"]
    assert t.figures()["as_of_dates"] == dates
    ev = hr.evaluate_model(gen, t.model, dates[-1])
    assert ev.figures() == pytest.approx(t.held_out.figures())
    import pandas as pd
    pd.testing.assert_frame_equal(ev.lift, t.held_out.lift, rtol=1e-9)
    pd.testing.assert_frame_equal(ev.reliability, t.held_out.reliability,
                                  rtol=1e-9)


def test_cli_with_model_and_config(gen, gen_dir, tmp_path, report_data):
    model = tmp_path / "model.pb"
    report_data.trained.model.save_file(str(model))
    config = tmp_path / "assess.json"
    import json
    config.write_text(json.dumps(report_data.learned.assessment_config))
    out = tmp_path / "sub" / "r.html"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    proc = subprocess.run(
        [sys.executable, "-m", "churnkit", "report", str(gen_dir),
         "--as-of", AS_OF, "--html", str(out), "--model", str(model),
         "--assess-config", str(config)],
        capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out)
    text = out.read_text(encoding="utf-8")
    assert set(_images(text)) == {cid for cid, _ in hr.CHARTS}
    assert "Given model" in text
    # The same model and scorecard: the same assessment.
    d = hr.collect(gen, AS_OF, model=str(model), assess_config=str(config))
    assert d.assessed.summary == report_data.assessed.summary
    assert d.evaluation.figures() == pytest.approx(
        report_data.evaluation.figures())


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    return subprocess.run([sys.executable, "-m", "churnkit", "report",
                           *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=120)


def test_bad_input(gen_dir, tmp_path):
    out = tmp_path / "r.html"
    with pytest.raises(ck.NotFoundError, match="no such file"):
        hr.write_report(tmp_path / "missing", AS_OF, out)
    with pytest.raises(ck.InvalidArgumentError,
                       match="as_of: '2025-13-45' is not a date"):
        hr.write_report(gen_dir, "2025-13-45", out)
    with pytest.raises(ck.InvalidArgumentError,
                       match="not after the data set's first event"):
        hr.write_report(gen_dir, "2023-06-01", out)
    with pytest.raises(ck.InvalidArgumentError, match="quarterly date"):
        hr.write_report(gen_dir, "2024-03-01", out)
    with pytest.raises(ck.NotFoundError, match="model: .*no such file"):
        hr.write_report(gen_dir, AS_OF, out, model=tmp_path / "none.pb")
    with pytest.raises(ck.NotFoundError, match="assess config"):
        hr.write_report(gen_dir, AS_OF, out,
                        assess_config=tmp_path / "none.textproto")
    bad = tmp_path / "bad.pb"
    bad.write_bytes(b"not a model")
    with pytest.raises(ck.Error):
        hr.write_report(gen_dir, AS_OF, out, model=bad)
    assert not out.exists()
    # The command line: a one-line message and exit 1 (2 for usage).
    proc = _cli(tmp_path / "missing", "--as-of", AS_OF, "--html", out)
    assert proc.returncode == 1
    assert "no such file or directory" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = _cli(gen_dir, "--as-of", "soon", "--html", out)
    assert proc.returncode == 1 and "is not a date" in proc.stderr
    proc = _cli(gen_dir, "--as-of", "2020-01-01", "--html", out)
    assert proc.returncode == 1 and "first event" in proc.stderr
    proc = _cli(gen_dir, "--html", out)
    assert proc.returncode == 2 and "--as-of" in proc.stderr
    assert not out.exists()


# ----------------------------------------------------------------- browser

@pytest.fixture(scope="module")
def chromium():
    exe = hr.find_chromium()
    if exe is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return exe


def test_rendered_in_chromium_is_not_blank(chromium, report_file, tmp_path):
    import matplotlib.image as mpimg
    png = hr.screenshot(report_file, tmp_path / "report.png")
    img = mpimg.imread(str(png))
    assert img.shape[:2] == (4000, 1280)
    rgb = img[..., :3]
    non_white = float(np.mean(np.any(rgb < 0.95, axis=-1)))
    assert float(np.std(rgb)) > 0.1, "screenshot looks blank"
    assert non_white > 0.2, f"only {non_white:.1%} of the page is not white"
    # The header band is dark: the page is styled, not raw text.
    assert float(np.mean(rgb[:120, :, :])) < 0.5
    keep = os.environ.get("CHURNKIT_REPORT_SCREENSHOT")
    if keep:
        shutil.copyfile(png, keep)


def test_every_chart_is_in_the_dom(chromium, report_file):
    dom = hr.dump_dom(report_file)
    for sid, _ in hr.SECTIONS:
        assert f'<section id="{sid}">' in dom, sid
    images = _images(dom)
    assert set(images) == {cid for cid, _ in hr.CHARTS}
    assert all(len(v) > 1000 for v in images.values())


def test_small_export_without_experiments(examples):
    """examples/data (16 customers, no interventions): every section and
    chart is still there, the empty ones say so."""
    text = hr.build_html(examples, "2024-06-28")
    for sid, _ in hr.SECTIONS:
        assert f'<section id="{sid}">' in text, sid
    assert set(_images(text)) == {cid for cid, _ in hr.CHARTS}
    exp = text.split('<section id="experiments">', 1)[1].split(
        "</section>", 1)[0]
    assert "None." in exp  # no comparison rows


def test_without_matplotlib_a_clear_error(gen_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    out = tmp_path / "r.html"
    with pytest.raises(ck.FailedPreconditionError,
                       match="python3-matplotlib"):
        hr.write_report(gen_dir, AS_OF, out)
    assert not out.exists()
