"""Targets from a city's work-order export (``govsim calibrate --targets-from
DIR/fit.json``, issue 19 part 7): what ``fit-orders`` wrote becomes the calibration's
fitted and held-out targets, measured on a run as the export was."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, baseline

from sim.calibration.targets import RunTables, statistic
from sim.cli import main

TARGETS = ROOT / "calibration" / "targets.toml"
BASE = ROOT / "scenarios" / "nanjing_baseline.toml"


def _spec(folder: Path, **kw: object) -> Path:
    lines = [f"base = {str(BASE)!r}", f"targets = {str(TARGETS)!r}"]
    params = kw.pop("parameters")
    lines += [f"{k} = {v!r}" for k, v in kw.items()]
    for key, lo, hi in params:  # type: ignore[attr-defined]
        lines += ["[[parameters]]", f"key = {key!r}", f"range = [{lo}, {hi}]"]
    path = folder / "spec.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _fit_json(path: Path, *, mean_table: bool = True) -> Path:
    import json

    data = {"n": 5835, "open": 40, "q1": 0.91, "median": 3.34, "q3": 12.14,
            "mean": 16.88, "within7": 0.656}
    hold = {"n": 1728, "open": 150, "q1": 0.80, "median": 3.15, "q3": 12.11,
            "mean": 10.78, "within7": 0.685}
    closure: dict = {"data": data, "holdout": hold}
    if mean_table:
        closure["data_mean_by_window"] = {"300": 9.7, "330": 10.0, "360": 10.3}
    path.write_text(json.dumps({"kind": "fit-orders", "closure": closure, "export": {
        "files": [{"name": "baltimore_311_sample.csv", "sha256": "4a83127702485a4d" * 4}]}}))
    return path


def test_targets_from_an_exports_fit_json(tmp_path: Path) -> None:
    """The fitted part's closure days are fitted targets, the holdout's held out; bands
    are fit-orders' (15% of the value, 5 points for the 7-day share); the fitted mean is
    the one re-weighted to the run's window; they are fitted even when the spec lists
    its own; the spec key and --targets-from agree; the run's identity includes them."""
    from sim.calibration.abc import build_model
    from sim.calibration.spec import read_calibration

    fit_json = _fit_json(tmp_path / "fit.json")
    spec = _spec(tmp_path, days=365, population=8, generations=1,
                 fit=["hotline_resolved_30d"],
                 parameters=[("staffing.community_works_days", 0.0, 30.0)])
    plain = read_calibration(spec)
    cal = read_calibration(spec, [str(fit_json)])
    t = {x.name: x for x in cal.targets()}
    d, h = t["baltimore_311_sample_data_q3"], t["baltimore_311_sample_holdout_q3"]
    assert (d.role, d.value, d.statistic) == ("fitted", 12.14, "orders_q3_days")
    assert d.tolerance == pytest.approx(0.15 * 12.14) and h.role == "held_out"
    assert t["baltimore_311_sample_data_within7"].tolerance == 0.05
    # a 365-day run watches requests for 329 days after its first tenth: 10.0 at 330
    assert t["baltimore_311_sample_data_mean"].value == pytest.approx(9.99)
    assert t["baltimore_311_sample_holdout_mean"].value == 10.78
    assert "sha256 4a83127702485a4d" in d.source
    fitted = {x.name for x in build_model(cal, cal.targets()).targets}
    assert fitted == {"hotline_resolved_30d"} | {
        f"baltimore_311_sample_data_{k}" for k in ("q1", "median", "q3", "mean", "within7")}
    assert cal.digest() != plain.digest()
    (tmp_path / "sub").mkdir()
    keyed = _spec(tmp_path / "sub", days=365, population=8, generations=1,
                  targets_from=["../fit.json"],
                  parameters=[("staffing.community_works_days", 0.0, 30.0)])
    assert [x.name for x in read_calibration(keyed).extra_targets] == [
        x.name for x in cal.extra_targets]
    # without the window table the mean of closed orders is taken as exported
    raw = read_calibration(spec, [str(_fit_json(tmp_path / "raw.json", mean_table=False))])
    assert {x.name: x.value for x in raw.extra_targets}[
        "baltimore_311_sample_data_mean"] == 16.88


def test_a_bad_targets_from_exits_2_with_one_line(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    spec = _spec(tmp_path, population=8, generations=1,
                 parameters=[("platform.dispatch_delay_days", 0.1, 1.0)])
    for bad, says in ((tmp_path / "none.json", "no such file"),
                      (tmp_path / "notes.json", "not a fit-orders fit.json")):
        if bad.name == "notes.json":
            bad.write_text("{}")
        assert main(["calibrate", str(spec), "--targets-from", str(bad), "--out",
                     str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and says in err and bad.name in err
    assert not (tmp_path / "out").exists()


def test_order_statistics_are_measured_as_an_export_is() -> None:
    """Requests to the platform only (hotline, app, rider), from known to the
    platform's closing; open ones censored (Kaplan-Meier), the mean over closed ones."""
    known = np.arange(20.0, 40.0)
    days_to = np.arange(1.0, 21.0)
    closed = known + days_to
    closed[-1] = np.nan  # open: censored at day 100, after 61 days
    iss = pd.DataFrame({"known_at": np.r_[known, 25.0], "closed_at": np.r_[closed, 90.0],
                        "resolved_at": np.r_[closed, 90.0],
                        "channel": ["hotline"] * 10 + ["app"] * 10 + ["grid_worker"]})
    t = RunTables(baseline(), {}, pd.DataFrame({"day": range(100)}), iss)
    assert statistic("orders_median_days", t) == 10.0
    assert statistic("orders_q3_days", t) == 15.0
    assert statistic("orders_within_7d", t) == pytest.approx(7 / 20)
    assert statistic("orders_mean_days", t) == pytest.approx(np.mean(days_to[:-1]))
