"""fit-orders on a 12345 export runs the model on the Chinese working calendar: public
holidays and Spring Festival off, time limits in working days [P11]; a 311 export's and
``--holidays off`` keep the base's calendar."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.orders.build import calendar_start
from sim.orders.synth import generate
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def _short_base(tmp_path: Path) -> Path:
    base = tmp_path / "short.toml"
    base.write_text(f'extends = "{ROOT / "scenarios" / "nanjing_baseline.toml"}"\n'
                    'name = "short"\n[run]\ndays = 40\n')
    return base


def _export(tmp_path: Path) -> Path:
    # 2024 spans Spring Festival (10-17 February) and the May and October holidays;
    # every order's time limit is 5 working days after the request.
    frame = generate(3000, seed=3, start="2024-01-01", days=366, due_working_days=5.0)
    path = tmp_path / "nj_12345.csv"
    frame.to_csv(path, index=False, encoding="gbk")
    return path


def test_a_12345_export_switches_the_chinese_calendar_on(tmp_path: Path) -> None:
    export = _export(tmp_path)
    out = tmp_path / "fitted"
    assert main(["fit-orders", str(export), "--base", str(_short_base(tmp_path)),
                 "--holdout-from", "2024-10-01", "--check", "1", "--out", str(out),
                 "-q"]) == 0
    fit = json.loads((out / "fit.json").read_text(encoding="utf-8"))
    assert fit["export"]["shape"] == "12345" and fit["calendar"]["holidays"] is True
    scenario = load_scenario(out / "scenario.toml")
    flat = scenario.flat()
    assert flat["calendar.holidays"] is True and flat["calendar.working_day_deadlines"] is True
    # day 0 so that the run's window after its first tenth starts on the holdout's day
    days = fit["model_check"]["days"]
    want = (pd.Timestamp("2024-10-01") - pd.Timedelta(days=days // 10)).date().isoformat()
    assert flat["calendar.start_date"] == want == fit["calendar"]["start_date"]
    for key in ("calendar.holidays", "calendar.working_day_deadlines"):
        why = scenario.source_of(key)
        assert "nj_12345.csv (sha256 " in why and "[P11" in why and "Spring Festival" in why
    # the time limits come back in working days (5), not the calendar days they span
    working, plain = fit["deadlines_working_days"], fit["deadlines"]
    assert working and set(working) == set(plain)
    for cat, due in working.items():
        assert due == pytest.approx(5.0, abs=0.01), cat
        assert plain[cat] > 6.0, cat  # five working days span a weekend at least
        assert flat[f"categories.{cat}.deadline_days"] == pytest.approx(due, abs=1e-3)
        assert "working days" in scenario.source_of(f"categories.{cat}.deadline_days")
    assert fit["closure"]["model"]["n"] > 0  # the model ran on that calendar


def test_holidays_off_keeps_the_base_calendar_and_calendar_days(tmp_path: Path) -> None:
    export = _export(tmp_path)
    out = tmp_path / "fitted"
    assert main(["fit-orders", str(export), "--base", str(_short_base(tmp_path)),
                 "--holidays", "off", "--out", str(out), "-q"]) == 0
    fit = json.loads((out / "fit.json").read_text(encoding="utf-8"))
    text = (out / "scenario.toml").read_text(encoding="utf-8")
    assert "[calendar]" not in text and fit["calendar"]["holidays"] is False
    flat = load_scenario(out / "scenario.toml").flat()
    assert flat["calendar.holidays"] is False
    for cat, due in fit["deadlines"].items():
        assert flat[f"categories.{cat}.deadline_days"] == pytest.approx(due, abs=1e-3)


def test_calendar_start_puts_the_models_days_on_the_exports_dates() -> None:
    fit = {"rows_holdout": 10, "export": {"holdout_from": "2018-01-01",
                                          "period": ["2014-01-01", "2017-12-31"]}}
    assert calendar_start(fit, 455) == "2017-11-17"  # 45 days of warm-up before
    fit = {"rows_holdout": 0, "export": {"holdout_from": None,
                                         "period": ["2024-03-05", "2024-12-31"]}}
    assert calendar_start(fit, 365) == "2024-03-05"
