"""govsim fit-orders as a user runs it: bad exports exit 2 with one line; the Baltimore
export runs end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.scenario import load_scenario

HERE = Path(__file__).parent
BAD = HERE / "bad_exports"
BALTIMORE = HERE.parent.parent / "shared" / "data" / "baltimore_311_sample.csv"
CASES: dict[str, list[str]] = {"no_such_sheet.xlsx": ["--sheet", "2024"]}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim.cli", "fit-orders", *args],
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.iterdir()
                                        if p.suffix in (".csv", ".xlsx")))
def test_bad_export_exits_2_with_one_line(name: str, tmp_path: Path) -> None:
    out = tmp_path / "fit"
    res = _run(str(BAD / name), "--out", str(out), "--quiet", *CASES.get(name, []))
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2, res.stderr
    assert len(lines) == 1, res.stderr
    assert name in lines[0]
    assert "Traceback" not in res.stderr
    assert not out.exists()


def test_messages_name_the_problem(tmp_path: Path) -> None:
    out = tmp_path / "fit"
    msg = {n: _run(str(BAD / n), "--out", str(out), "-q", *CASES.get(n, [])).stderr
           for n in ("missing_created.csv", "unknown_encoding.csv", "empty.csv",
                     "no_such_sheet.xlsx", "bad_dates.csv")}
    assert "missing the created column" in msg["missing_created.csv"]
    assert "columns found: id, Closed Date, Complaint Type" in msg["missing_created.csv"]
    assert "unknown encoding" in msg["unknown_encoding.csv"]
    assert "empty file" in msg["empty.csv"]
    assert "no sheet '2024'; sheets: 2023" in msg["no_such_sheet.xlsx"]
    assert "2 of 3 dates cannot be read" in msg["bad_dates.csv"]


def test_missing_file_and_foreign_out(tmp_path: Path) -> None:
    res = _run(str(tmp_path / "nope.csv"), "--out", str(tmp_path / "fit"), "-q")
    assert res.returncode == 2 and "no such file" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    res = _run(str(BAD / "empty.csv"), "--out", str(mine), "-q")
    assert res.returncode == 2 and "not a fit-orders folder" in res.stderr
    assert (mine / "notes.txt").read_text() == "keep"


@pytest.mark.slow
@pytest.mark.skipif(not BALTIMORE.is_file(), reason="the shared Baltimore export is absent")
def test_baltimore_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "balt"
    res = _run(str(BALTIMORE), "--shape", "311", "--tz", "+5", "--holdout-from",
               "2018-01-01", "--check", "2", "--out", str(out), "--quiet")
    assert res.returncode == 0, res.stderr
    assert {p.name for p in out.iterdir()} == {"scenario.toml", "fit.json", "cleaning.csv",
                                               "report.html", "report.md", "figures"}
    fit = json.loads((out / "fit.json").read_text(encoding="utf-8"))
    assert fit["rows_read"] == 10_000
    assert fit["rows_used"] + sum(fit["dropped"].values()) == fit["rows_read"]
    assert fit["dropped"]["internal"] > 1000  # the Proactive types
    assert fit["open_orders_censored"] > 0
    for part in ("data", "holdout", "model"):
        s = fit["closure"][part]
        assert s["q1"] < s["median"] < s["q3"] and 0 < s["within7"] < 1
    assert fit["distributions"]["all"]["best"] in ("lognormal", "gamma", "weibull")
    assert fit["mapping"]["unmapped"]["rows"] > 0
    cleaning = (out / "cleaning.csv").read_text(encoding="utf-8").splitlines()
    assert len(cleaning) - 1 == sum(fit["dropped"].values())
    scenario = load_scenario(out / "scenario.toml")
    assert "baltimore_311_sample.csv" in scenario.source_of("residents.night_share")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "办结" in html
    # A second run replaces its own folder.
    again = _run(str(BALTIMORE), "--shape", "311", "--out", str(out), "--quiet")
    assert again.returncode == 0, again.stderr


def test_12345_scenario_sets_rates_and_enquiries(tmp_path: Path) -> None:
    from sim.cli import main
    from sim.orders.synth import generate

    export = tmp_path / "nj.csv"
    generate(4000, seed=8, days=365, settled_share=0.3).to_csv(export, index=False,
                                                              encoding="gbk")
    out = tmp_path / "sub" / "nj"
    assert main(["fit-orders", str(export), "--population", "10000", "--out", str(out),
                 "-q"]) == 0
    fit = json.loads((out / "fit.json").read_text(encoding="utf-8"))
    scenario = load_scenario(out / "scenario.toml")
    s = fit["settled_on_call"]["share"]
    assert scenario.platform.enquiries_per_request == pytest.approx(s / (1 - s), abs=1e-3)
    years = fit["arrivals"]["days"] / 365.25
    n = fit["orders_by_category"]["environment"]
    assert scenario.categories["environment"].rate_per_1000_per_year == pytest.approx(
        n / years / 10, rel=1e-3)
    assert "nj.csv (sha256 " in scenario.source_of("categories.environment."
                                                   "rate_per_1000_per_year")
    # A category the export has no rows for keeps the base's value.
    assert scenario.categories["care"].rate_per_1000_per_year == 40
