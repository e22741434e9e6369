"""Scenario files: shipped files validate and cite; bad files get exit 2 and one line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, SCENARIOS

from sim.cli import main
from sim.scenario import Scenario, ScenarioError, load_scenario

SHIPPED = sorted(SCENARIOS.glob("*.toml"))
REQUIRED = {"nanjing_baseline", "pre_reform_2012", "staffing_22_per_10k", "burden_cut_f12",
            "no_micro_grid", "mobile_grid_6000", "combined_reform"}


def test_the_required_scenarios_ship() -> None:
    assert {p.stem for p in SHIPPED} >= REQUIRED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_validates_and_cites_every_value(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    for key in scenario.flat():
        source = scenario.source_of(key)
        assert source and "no source given" not in source, f"{path.name}: {key} has no source"


def test_every_schema_default_carries_a_source() -> None:
    scenario = Scenario()
    for key in scenario.flat():
        if key in {"name", "description"}:
            continue
        source = scenario.source_of(key)
        cites = re.search(r"\b[FP]\d+\b", source) or re.search(
            r"\b(assumption|public|scale preset)\b", source)
        assert cites, f"default for {key} cites nothing: {source!r}"


def test_extends_inherits_and_overrides(tmp_path: Path) -> None:
    child = load_scenario(SCENARIOS / "burden_cut_f12.toml")
    parent = load_scenario(SCENARIOS / "nanjing_baseline.toml")
    assert child.burden.inspection_cut == pytest.approx(0.57)
    assert child.burden.certificate_items_removed == 56
    assert child.staffing.workers_per_10k == parent.staffing.workers_per_10k
    assert child.source_of("burden.inspection_cut").startswith("F12")
    assert child.burden.admin_hours() < parent.burden.admin_hours()


def test_set_overrides_are_validated_and_cited() -> None:
    s = load_scenario(SCENARIOS / "nanjing_baseline.toml",
                      ["staffing.workers_per_10k=25", "layout.scale=\"street\""])
    assert s.staffing.workers_per_10k == 25
    assert s.layout.communities == 12  # the preset follows the overridden scale
    assert s.source_of("staffing.workers_per_10k") == "set by --set"


def test_show_prints_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", str(SCENARIOS / "burden_cut_f12.toml")]) == 0
    out = capsys.readouterr().out
    assert "inspection_cut = 0.57  # F12" in out
    assert "workers_per_10k = 18.0  # F30" in out


BAD_FILES = [
    # (file text, the key the message must name, a word of what is allowed)
    ('[staffing]\nworkers_per_10k = "many"\n', "staffing.workers_per_10k", "number"),
    ("[staffing]\nworkers_per_10k = -3.0\n", "staffing.workers_per_10k", "allowed 0 to 200"),
    ("[burden]\ninspection_cut = 1.5\n", "burden.inspection_cut", "allowed 0 to 1"),
    ("[burden]\nledgers = 2.5\n", "burden.ledgers", "integer"),
    ("[burden]\nlegders = 3\n", "burden.legders", "ledgers"),
    ("[stafing]\nworkers_per_10k = 3.0\n", "stafing", "staffing"),
    ("[layout]\nscale = \"town\"\n", "layout.scale", "'community'"),
    ("[micro_grid]\ncoverage = true\n", "micro_grid.coverage", "number"),
    ("[categories.repair.levels]\ngrid = 0.5\n", "categories.repair", "sum to 1"),
    ("[categories.repair.handling]\ndist = \"weibull\"\n", "categories.repair.handling.dist",
     "'lognormal'"),
    ("[burden]\ncertificate_items_removed = 80\n", "burden", "certificate_items"),
    ("[staffing\nworkers_per_10k = 3\n", "not valid TOML", "line"),
    ('extends = "no_such_base.toml"\n', "extends", "no_such_base.toml"),
    ('[sources]\n"staffing.workers_per_10k" = "F30"\n', "sources.staffing.workers_per_10k",
     "does not set"),
]


@pytest.mark.parametrize(("text", "key", "allowed"), BAD_FILES,
                         ids=[b[1] + ":" + str(i) for i, b in enumerate(BAD_FILES)])
def test_bad_scenario_file_exits_2_with_one_line(tmp_path: Path, text: str, key: str,
                                                 allowed: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    out_dir = tmp_path / "out"
    code = main(["run", str(bad), "--days", "3", "--out", str(out_dir), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert str(bad) in err and key in err and allowed in err, err
    assert "Traceback" not in err
    assert not out_dir.exists()


@pytest.mark.parametrize(("args", "needle"), [
    (["--set", "staffing.workers_per_10k=lots"], "staffing.workers_per_10k"),
    (["--set", "staffing.workers_per_ten_k=3"], "workers_per_10k"),
    (["--set", "burden.inspection_cut=2"], "allowed 0 to 1"),
    (["--set", "categories.unicorns.rate_per_1000_per_year=3"], "repair"),
    (["--set", "noequals"], "dotted.key=value"),
    (["--days", "0"], "--days"),
    (["--seed", "x"], "--seed"),
])
def test_bad_override_exits_2(tmp_path: Path, args: list[str], needle: str,
                              capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    code = main(["run", str(SCENARIOS / "nanjing_baseline.toml"), "--out", str(out_dir),
                 "--quiet", *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and needle in err, err
    assert not out_dir.exists()


def test_missing_file_exits_2_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(tmp_path / "nope.toml")],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 2
    assert "nope.toml" in proc.stderr and "no such scenario file" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (ROOT / "results" / "nope").exists()


def test_scenario_error_is_one_line_for_circular_extends(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="circular"):
        load_scenario(tmp_path / "a.toml")


@pytest.mark.parametrize("command", ["validate", "show"])
def test_validate_and_show_refuse_bad_files_too(tmp_path: Path, command: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[burden]\ninspection_cut = -1.0\n")
    assert main([command, str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "burden.inspection_cut" in err
    assert main(["validate", str(SCENARIOS / "combined_reform.toml")]) == 0
