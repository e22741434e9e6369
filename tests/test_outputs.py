"""The output rule (sim/outputs.py), the size limits (sim/limits.py) and the scheduler
checks: what they accept (valid inputs keep working) as well as what they refuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import baseline

from sim.errors import InputError
from sim.experiments.design import design_size, make_design, to_value
from sim.experiments.executor import parse_address, scheduler_timeout
from sim.experiments.spec import Parameter, parse_spec
from sim.limits import check_run_count, run_memory
from sim.outputs import OutputError, kind_of, name_problem, resolve_output
from sim.run import simulate, write_run


def test_names_that_cannot_name_a_folder() -> None:
    for bad in ("", " ", ".", "..", "../x", "a/b", "a\\b", "/abs", "x\n", "é" * 150):
        assert name_problem(bad), bad
    for good in ("nanjing_baseline", "Nanjing baseline (2024)", "南京现状", "a.b-c"):
        assert name_problem(good) is None, good


def test_a_run_folder_is_replaced_by_a_run_and_nothing_else_is(tmp_path: Path) -> None:
    result = simulate(baseline(), days=3, seed=1)
    out = write_run(result, tmp_path / "run")
    assert kind_of(out) == "run"
    first = (out / "manifest.json").read_text()
    again = write_run(simulate(baseline(), days=4, seed=1), out)  # rerun: replaced
    assert json.loads((again / "manifest.json").read_text())["days"] == 4 != json.loads(first)[
        "days"]
    (tmp_path / "empty").mkdir()
    assert kind_of(write_run(result, tmp_path / "empty")) == "run"  # an empty folder is fine
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_bytes(b"work")
    with pytest.raises(OutputError, match="did not write"):
        write_run(result, mine)
    assert (mine / "thesis.docx").read_bytes() == b"work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "mine", "run"]


def test_results_folders_resume_their_own_experiment_only(tmp_path: Path) -> None:
    root = tmp_path / "res"
    (root / "runs").mkdir(parents=True)
    assert kind_of(root) == "results"  # interrupted before its manifest: still ours
    (root / "manifest.json").write_text(json.dumps({"experiment": "a", "kind": "batch"}))
    (root / "notes.md").write_text("a user's notes beside the runs")  # resuming adds only
    kw = {"default": None, "origin": "spec.toml"}
    assert resolve_output(root, "results", experiment=("a", "batch"), **kw) == root
    with pytest.raises(OutputError, match="--force"):
        resolve_output(root, "results", experiment=("b", "sweep"), **kw)
    assert resolve_output(root, "results", experiment=("b", "sweep"), force=True, **kw) == root
    with pytest.raises(OutputError, match="not a report folder"):
        resolve_output(root, "report", **kw)
    with pytest.raises(OutputError, match="empty path"):
        resolve_output("", "results", **kw)


def test_design_size_is_the_number_of_points_built() -> None:
    kinds = {"a": float, "b": int}
    params = [{"key": "a", "range": [0.0, 1.0]}, {"key": "b", "range": [0, 9]}]
    for design in ({"kind": "lhs", "samples": 7}, {"kind": "sobol", "samples": 8},
                   {"kind": "sobol", "samples": 8, "second_order": True},
                   {"kind": "morris", "samples": 3, "levels": 4}):
        spec = parse_spec({"kind": "sweep", "base": "x.toml", "replicates": 1,
                           "design": design, "parameters": params}, "t")
        assert design_size(spec) == len(make_design(spec, kinds, "t")), design
    fac = parse_spec({"kind": "sweep", "base": "x.toml", "replicates": 1,
                      "design": {"kind": "factorial"},
                      "parameters": [{"key": "a", "levels": [0.1, 0.2, 0.3]},
                                     {"key": "b", "levels": [1, 2]}]}, "t")
    assert design_size(fac) == len(make_design(fac, kinds, "t")) == 6


def test_integer_draws_stay_in_their_range() -> None:
    p = Parameter(key="b", range=[2.4, 3.6], distribution="normal", mean=3.0, sd=5.0)
    values = {to_value(p, int, u / 100) for u in range(101)}
    assert values == {3}  # 2.45 used to round to 2, below the range
    tri = Parameter(key="b", range=[0.6, 4.4], distribution="triangular", mode=1.0)
    assert {to_value(tri, int, u / 100) for u in range(101)} <= {1, 2, 3, 4}


def test_limits_count_runs_and_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    check_run_count(1000, 1000, "t", "design")  # a million runs is allowed
    with pytest.raises(InputError, match="GOVSIM_MAX_RUNS"):
        check_run_count(1001, 1000, "t", "design")
    monkeypatch.setenv("GOVSIM_MAX_RUNS", "2000000")
    check_run_count(1001, 1000, "t", "design")
    # The estimate is in line with what was measured (street scale, a year: 266 MB).
    assert 200e6 < run_memory(91_440, 365) < 330e6
    monkeypatch.setenv("GOVSIM_MEMORY_LIMIT_GB", "0.1")
    with pytest.raises(InputError, match="GOVSIM_MEMORY_LIMIT_GB"):
        baseline()
    monkeypatch.setenv("GOVSIM_MEMORY_LIMIT_GB", "1")
    assert baseline().layout.residents == 7620


def test_scheduler_addresses_and_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_address("tcp://10.0.0.5:8786", "--scheduler") == ("tcp", "10.0.0.5", 8786)
    assert parse_address("10.0.0.5:8786/", "--scheduler") == ("tcp", "10.0.0.5", 8786)
    assert parse_address("tls://[::1]:8786", "--scheduler") == ("tls", "::1", 8786)
    for bad in ("", "host", "tcp://:8786", "tcp://h:0", "tcp://h:99999", "http://h:80",
                "tcp://h:80/path", "a b:1"):
        with pytest.raises(InputError, match="GOVSIM_SCHEDULER"):
            parse_address(bad, "GOVSIM_SCHEDULER")
    monkeypatch.delenv("GOVSIM_SCHEDULER_TIMEOUT", raising=False)
    assert scheduler_timeout() == 15.0
    for bad in ("abc", "0", "-1", "nan", "inf", "1e9"):
        monkeypatch.setenv("GOVSIM_SCHEDULER_TIMEOUT", bad)
        with pytest.raises(InputError, match="GOVSIM_SCHEDULER_TIMEOUT"):
            scheduler_timeout()
    monkeypatch.setenv("GOVSIM_SCHEDULER_TIMEOUT", "2.5")
    assert scheduler_timeout() == 2.5

