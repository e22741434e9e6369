"""Experiment specs: the shipped ones load; bad ones exit 2 before anything runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from experiments_fixtures import REPO, SCENARIOS, batch_spec, govsim, write_spec

from sim.cli import main
from sim.experiments.design import make_design
from sim.experiments.experiment import load_experiment
from sim.experiments.spec import SpecError, parse_spec
from sim.scenario import load_scenario

SHIPPED = REPO / "experiments"


def test_shipped_specs_load_with_expected_shape() -> None:
    qs = load_experiment(SHIPPED / "quickstart.toml")
    assert qs.kind == "batch"
    # Every policy scenario of one community (the pilot file is city scale: it has its own
    # evaluation spec; the calibrated baseline and its staffing variant are used by
    # staffing_under_uncertainty.toml).
    policy = {p.stem for p in SCENARIOS.glob("*.toml")
              if load_scenario(p).layout.scale == "community"} - {
                  "calibrated_baseline", "calibrated_staffing_22"}
    assert set(qs.scenarios) == policy - {"base"} and "pilot_f35" not in policy
    assert all(sc.layout.scale == "community" for sc in qs.scenarios.values())
    assert qs.reference == "nanjing_baseline"
    assert len(qs.runs) == len(qs.scenarios) * qs.spec.replicates
    pb = load_experiment(SHIPPED / "policy_batch.toml")
    assert pb.spec.replicates >= 20
    assert all(sc.layout.scale == "street" for sc in pb.scenarios.values())
    sob = load_experiment(SHIPPED / "staffing_burden_sobol.toml")
    assert sob.design is not None and sob.design.kind == "sobol"
    d = len(sob.design.keys)
    assert len(sob.design) == sob.spec.design.samples * (d + 2)
    mor = load_experiment(SHIPPED / "morris_screening.toml")
    assert mor.design is not None and mor.design.kind == "morris"
    assert len(mor.design) == mor.spec.design.samples * (len(mor.design.keys) + 1)


def test_replicate_k_uses_the_same_stream_in_every_scenario(tmp_path: Path) -> None:
    exp = load_experiment(batch_spec(tmp_path / "b.toml", replicates=4))
    tasks = list(exp.tasks(exp.runs))
    by_rep: dict[int, set[tuple]] = {}
    for meta, task in zip(exp.runs, tasks, strict=True):
        by_rep.setdefault(meta.replicate, set()).add(
            (task.seed.entropy, tuple(task.seed.spawn_key)))
    assert all(len(s) == 1 for s in by_rep.values())  # one stream per replicate
    assert len({next(iter(s)) for s in by_rep.values()}) == 4  # and distinct streams
    # The streams are SeedSequence(root).spawn(replicates).
    expected = np.random.SeedSequence(11).spawn(4)
    for k, s in by_rep.items():
        assert next(iter(s)) == (expected[k].entropy, tuple(expected[k].spawn_key))


def _run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


BAD_CASES = {
    "unknown parameter": (
        {"kind": "sweep", "replicates": 2, "base": str(SCENARIOS / "nanjing_baseline.toml")},
        {"kind": "lhs", "samples": 4},
        [{"key": "staffing.workers_per_10000", "range": [10.0, 20.0]}],
        "staffing.workers_per_10000",
    ),
    "empty range": (
        {"kind": "sweep", "replicates": 2, "base": str(SCENARIOS / "nanjing_baseline.toml")},
        {"kind": "lhs", "samples": 4},
        [{"key": "staffing.workers_per_10k", "range": [20.0, 20.0]}],
        "empty range",
    ),
    "unknown design": (
        {"kind": "sweep", "replicates": 2, "base": str(SCENARIOS / "nanjing_baseline.toml")},
        {"kind": "latin", "samples": 4},
        [{"key": "staffing.workers_per_10k", "range": [10.0, 20.0]}],
        "'factorial', 'lhs', 'sobol' or 'morris'",
    ),
    "zero replicates": (
        {"kind": "batch", "replicates": 0,
         "scenarios": [str(SCENARIOS / "nanjing_baseline.toml")]},
        None, None, "replicates",
    ),
    "range outside the scenario's limits": (
        {"kind": "sweep", "replicates": 2, "base": str(SCENARIOS / "nanjing_baseline.toml")},
        {"kind": "lhs", "samples": 4},
        [{"key": "burden.inspection_cut", "range": [0.0, 1.5]}],
        "burden.inspection_cut",
    ),
    "unknown key": (
        {"kind": "batch", "replicates": 2, "replicate": 3,
         "scenarios": [str(SCENARIOS / "nanjing_baseline.toml")]},
        None, None, "did you mean replicates",
    ),
    "unknown outcome": (
        {"kind": "batch", "replicates": 2, "outcomes": ["on_time_rate"],
         "scenarios": [str(SCENARIOS / "nanjing_baseline.toml")]},
        None, None, "unknown outcome 'on_time_rate' (did you mean on_time_share?)",
    ),
    "missing scenario file": (
        {"kind": "batch", "replicates": 2, "scenarios": ["nowhere.toml"]},
        None, None, "nowhere.toml",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_spec_exits_2_with_one_line_and_writes_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    top, design, params, needle = BAD_CASES[case]
    spec = write_spec(tmp_path / "bad.toml", top, design, params)
    out = tmp_path / "out"
    code, err = _run_cli(["sweep" if top["kind"] == "sweep" else "batch", str(spec),
                          "--out", str(out), "--workers", "1"], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(spec) in lines[0] and needle in lines[0], lines[0]
    assert not out.exists()


def test_scenario_failing_validation_exits_2_before_any_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad_scenario.toml"
    bad.write_text(f'extends = "{SCENARIOS / "nanjing_baseline.toml"}"\n'
                   "[staffing]\nworkers_per_10k = -3.0\n")
    spec = batch_spec(tmp_path / "b.toml", replicates=2)
    text = spec.read_text().replace('"]', f'", "{bad}"]')
    spec.write_text(text)
    out = tmp_path / "out"
    code, err = _run_cli(["batch", str(spec), "--out", str(out)], capsys)
    assert code == 2
    assert "workers_per_10k" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_govsim_command_bad_spec_no_traceback(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "bad.toml", {
        "kind": "sweep", "replicates": 2, "base": str(SCENARIOS / "nanjing_baseline.toml")},
        {"kind": "sobol", "samples": 6},
        [{"key": "staffing.workers_per_10k", "range": [10.0, 20.0]},
         {"key": "burden.inspection_cut", "range": [0.0, 0.5]}])
    res = govsim("sweep", str(spec), "--out", str(tmp_path / "out"))
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert "power of 2" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_batch_spec_given_to_sweep_is_refused(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    spec = batch_spec(tmp_path / "b.toml")
    code, err = _run_cli(["sweep", str(spec), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "govsim batch" in err


def _sweep(design: dict, params: list[dict], seed: int = 3):
    data = {"kind": "sweep", "replicates": 1, "seed": seed, "base": "x.toml",
            "design": design, "parameters": params}
    return parse_spec(data, "t.toml")


def test_designs_have_the_expected_points_and_values() -> None:
    kinds = {"a": float, "b": int, "c": str}
    fac = make_design(_sweep({"kind": "factorial"}, [
        {"key": "a", "levels": [1, 2.5]}, {"key": "c", "levels": ["x", "y", "z"]}]), kinds, "t")
    assert len(fac) == 6
    assert {(v["a"], v["c"]) for v in fac.values} == {
        (a, c) for a in (1.0, 2.5) for c in "xyz"}
    assert all(isinstance(v["a"], float) for v in fac.values)

    lhs = make_design(_sweep({"kind": "lhs", "samples": 10}, [
        {"key": "a", "range": [0, 10]}, {"key": "b", "range": [0, 9]}]), kinds, "t")
    assert lhs.unit is not None and len(lhs) == 10
    # Latin hypercube: one point in each of the 10 strata of every parameter.
    for j in range(2):
        assert sorted(np.floor(lhs.unit[:, j] * 10).astype(int)) == list(range(10))
    bs = [v["b"] for v in lhs.values]
    assert all(isinstance(b, int) for b in bs) and sorted(bs) == list(range(10))

    sob = make_design(_sweep({"kind": "sobol", "samples": 8}, [
        {"key": "a", "range": [5, 6]}, {"key": "b", "range": [0, 76]}]), kinds, "t")
    assert len(sob) == 8 * (2 + 2)
    assert all(5 <= v["a"] <= 6 and 0 <= v["b"] <= 76 for v in sob.values)

    mor = make_design(_sweep({"kind": "morris", "samples": 5, "levels": 4}, [
        {"key": "a", "range": [0, 1]}, {"key": "b", "range": [0, 3]}]), kinds, "t")
    assert len(mor) == 5 * 3
    assert {v["b"] for v in mor.values} <= {0, 1, 2, 3}

    again = make_design(_sweep({"kind": "lhs", "samples": 10}, [
        {"key": "a", "range": [0, 10]}, {"key": "b", "range": [0, 9]}]), kinds, "t")
    assert again.values == lhs.values  # the same seed gives the same design


def test_distributions_stay_in_range_and_have_their_shape() -> None:
    kinds = {"a": float}
    u = np.linspace(0.0005, 0.9995, 1000)
    from sim.experiments.design import to_value

    spec = _sweep({"kind": "lhs", "samples": 2},
                  [{"key": "a", "range": [1.0, 100.0], "distribution": "loguniform"}])
    vals = np.array([to_value(spec.parameters[0], float, x) for x in u])
    assert vals.min() >= 1 and vals.max() <= 100
    assert np.median(vals) == pytest.approx(10.0, rel=0.02)  # geometric midpoint
    spec = _sweep({"kind": "lhs", "samples": 2}, [
        {"key": "a", "range": [0.0, 10.0], "distribution": "normal", "mean": 4.0, "sd": 1.0}])
    vals = np.array([to_value(spec.parameters[0], float, x) for x in u])
    assert vals.min() >= 0 and vals.max() <= 10
    assert np.mean(vals) == pytest.approx(4.0, abs=0.05)
    with pytest.raises(SpecError, match="mode"):
        _sweep({"kind": "lhs", "samples": 2},
               [{"key": "a", "range": [0.0, 1.0], "distribution": "triangular"}])
    del kinds


def test_report_of_a_folder_without_results_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    code, err = _run_cli(["report", str(tmp_path / "empty")], capsys)
    assert code == 2 and "not a finished batch or sweep folder" in err
    assert list((tmp_path / "empty").iterdir()) == []
