"""Planning under uncertainty: the EMA Workbench connector, costs, optimise and discover."""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from experiments_fixtures import SCENARIOS, toml_value

from sim.cli import main
from sim.costs import COST_KEYS
from sim.experiments.ema import Range, ema_name, govsim_model
from sim.experiments.optimise import import_ema
from sim.experiments.seeds import replicate_seeds
from sim.outcomes import SUMMARY_KEYS
from sim.run import simulate
from sim.scenario import load_scenario

BASELINE = SCENARIOS / "nanjing_baseline.toml"
ema = import_ema()

# A lever and an uncertainty, at fixed values, for the round-trip tests.
LEVER, LEVER_VALUE = "staffing.workers_per_10k", 22.0
UNC, UNC_VALUE = "staffing.patrol_find_per_hour", 0.05
COMPARED = ("raised", "resolved", "on_time_share", "median_days_to_resolve",
            "p90_days_to_resolve", "incidents", "hazards_caught_share", "mean_trust",
            "annual_cost", "cost_micro_grid")


def _write(path: Path, top: dict[str, Any], tables: dict[str, dict[str, Any]] | None = None,
           arrays: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    lines = [f"{k} = {toml_value(v)}" for k, v in top.items()]
    for name, table in (tables or {}).items():
        lines += ["", f"[{name}]"] + [f"{k} = {toml_value(v)}" for k, v in table.items()]
    for name, items in (arrays or {}).items():
        for item in items:
            lines += ["", f"[[{name}]]"] + [f"{k} = {toml_value(v)}" for k, v in item.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _model(**kw: Any) -> Any:
    base = load_scenario(BASELINE)
    return govsim_model(base, levers=[Range(LEVER, 12, 30)], uncertainties=[Range(UNC, 0.02, 0.2)],
                        outcomes=list(COMPARED), **kw)


def _one_experiment(model: Any, evaluator: Any = None) -> dict[str, float]:
    scenario = ema.Sample("s", **{ema_name(UNC): UNC_VALUE})
    policy = ema.Sample("p", **{ema_name(LEVER): LEVER_VALUE})
    if evaluator is None:
        _, out = ema.perform_experiments(model, scenarios=[scenario], policies=[policy],
                                         log_progress=True)
    else:
        _, out = evaluator.perform_experiments(scenarios=[scenario], policies=[policy],
                                               log_progress=True)
    return {k: float(v[0]) for k, v in out.items()}


# -------------------------------------------------------------------------- connector
def test_connector_gives_exactly_what_govsim_run_gives(tmp_path: Path) -> None:
    out = tmp_path / "run"
    code = main(["run", str(BASELINE), "--days", "40", "--seed", "7", "--quiet",
                 "--set", f"{LEVER}={LEVER_VALUE}", "--set", f"{UNC}={UNC_VALUE}",
                 "--out", str(out)])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    got = _one_experiment(_model(seeds=[7], days=40))
    for k in COMPARED:
        expected = math.nan if summary[k] is None else summary[k]
        assert _same(got[k], expected), (k, got[k], expected)


def test_connector_replicates_are_the_batch_streams_averaged(tmp_path: Path) -> None:
    # Replication k runs on stream k of the experiment's root seed (common random numbers,
    # as `govsim batch`), and an outcome is the mean over replications.
    scen = tmp_path / "policy.toml"
    scen.write_text(f'extends = "{BASELINE}"\nname = "policy"\n[staffing]\n'
                    f"workers_per_10k = {LEVER_VALUE}\npatrol_find_per_hour = {UNC_VALUE}\n",
                    encoding="utf-8")
    spec = _write(tmp_path / "b.toml", {"kind": "batch", "name": "b", "seed": 99,
                                        "replicates": 2, "days": 40,
                                        "scenarios": [str(scen)]})
    assert main(["batch", str(spec), "--out", str(tmp_path / "res"), "--workers", "1",
                 "--quiet"]) == 0
    runs = [json.loads(p.read_text()) for p in sorted((tmp_path / "res" / "runs")
                                                      .glob("policy-r*/summary.json"))]
    assert len(runs) == 2
    got = _one_experiment(_model(replicates=2, seed=99, days=40))
    for k in COMPARED:
        vals = [math.nan if r[k] is None else r[k] for r in runs]
        assert _same(got[k], float(np.mean(vals))), k
    # ... and the streams are the seeds module's.
    direct = simulate(load_scenario(scen), days=40, seed=replicate_seeds(99, 2)[1])
    assert direct.summary["raised"] == runs[1]["raised"]


@pytest.mark.slow
def test_connector_pickles_and_multiprocessing_matches_sequential() -> None:
    model = _model(replicates=2, seed=3, days=30)
    again = pickle.loads(pickle.dumps(model))
    assert [p.name for p in again.levers] == [ema_name(LEVER)]
    sequential = _one_experiment(model)
    with ema.MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        parallel = _one_experiment(model, evaluator)
    assert all(_same(sequential[k], parallel[k]) for k in COMPARED)


def test_connector_rejects_unknown_and_out_of_range_keys() -> None:
    from sim.scenario import ScenarioError

    base = load_scenario(BASELINE)
    with pytest.raises(ScenarioError, match=r"did you mean staffing\.workers_per_10k"):
        govsim_model(base, levers=[Range("staffing.workers_per_10", 12, 30)])
    with pytest.raises(ScenarioError, match=r"micro_grid\.coverage.*high end"):
        govsim_model(base, levers=[Range("micro_grid.coverage", 0, 1.5)])


# ------------------------------------------------------------------------------ costs
def test_annual_cost_is_the_headcount_times_the_unit_costs() -> None:
    from sim.costs import headcount
    from sim.model import GovernanceModel

    sc = load_scenario(BASELINE, {"mobile_grid.mobile_grid_workers_per_10k": 6.3,
                                  "mobile_grid.incentive": 0.5})
    model = GovernanceModel(sc, rng=1)
    model.run(60)
    s = model.summary()
    assert set(COST_KEYS) <= set(s) and set(COST_KEYS) <= set(SUMMARY_KEYS)
    c, n = sc.costs, 7620  # one average community
    heads = headcount(model)
    assert s["grid_workers"] == heads.community_workers == round(18.0 * n / 10_000)  # [F30]
    assert s["cost_community_workers"] == heads.community_workers * c.community_worker_yuan
    assert s["cost_micro_grid"] == len(model.micro_grid_workers) * c.micro_grid_stipend_yuan
    # Points earned in 60 days, scaled to a year, paid at half the scheme's value.
    assert s["rider_points"] > 0
    assert s["cost_rider_points"] == pytest.approx(
        s["rider_points"] * 365 / 60 * 0.5 * c.rider_point_yuan, rel=1e-12)
    assert s["cost_platform"] == pytest.approx(
        (sc.platform.intake_staff_per_100k + sc.platform.dispatchers_per_100k) * n / 100_000
        * c.platform_staff_yuan, rel=1e-12)
    assert s["cost_projects"] == model.projects * c.project_yuan
    assert s["cost_social_work"] == pytest.approx(
        sc.social_orgs.hours_per_week_per_10k * n / 10_000 * 52 * c.social_work_hour_yuan)
    lines = [k for k in COST_KEYS if k.startswith("cost_")]
    assert s["annual_cost"] == pytest.approx(sum(s[k] for k in lines), rel=1e-12)
    assert s["annual_cost_per_resident"] == pytest.approx(s["annual_cost"] / n)
    # Unit costs are scenario parameters: doubling one doubles its line, nothing else.
    s2 = simulate(sc.with_overrides({"costs.micro_grid_stipend_yuan": 7200.0}), days=60,
                  seed=1).summary
    assert s2["cost_micro_grid"] == 2 * s["cost_micro_grid"] > 0
    assert s2["cost_community_workers"] == s["cost_community_workers"]
    # More staff per 10,000 costs more, by their pay.
    s3 = simulate(sc.with_overrides({"staffing.workers_per_10k": 22.0}), days=60,
                  seed=1).summary
    assert s3["cost_community_workers"] - s["cost_community_workers"] == (
        (s3["grid_workers"] - s["grid_workers"]) * c.community_worker_yuan) > 0


# ------------------------------------------------------------------------------- PRIM
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prim_finds_a_box_planted_in_synthetic_data(seed: int) -> None:
    from sim.experiments.discover import discover
    from sim.experiments.planning_spec import Case, PrimSettings

    rng = np.random.default_rng(seed)
    n = 1000
    x = pd.DataFrame({"a": rng.random(n), "b": rng.random(n), "c": rng.random(n),
                      "k": rng.integers(0, 10, n)})
    planted = (x["a"] < 0.3) & (x["b"] > 0.6)
    noise = rng.random(n) < 0.05  # 5% of labels flipped
    fails = np.where(noise, ~planted, planted)
    table = x.assign(out=np.where(fails, 0.5, 0.9))
    boxes, cart = discover(x, table, [Case(outcome="out", below=0.8)], PrimSettings())
    box = boxes[boxes["box"] == 1].iloc[0]
    limits = _parse_limits(box["limits"])
    assert set(limits) == {"a", "b"}  # only the planted dimensions are restricted
    (a_lo, a_hi), (b_lo, b_hi) = limits["a"], limits["b"]
    assert a_lo <= 0.05 and 0.25 <= a_hi <= 0.35
    assert 0.5 <= b_lo <= 0.7 and b_hi >= 0.9
    # Within the planted box ~95% fail; the flipped labels outside it (~44 of ~157
    # failures) cap the coverage near 0.72.
    assert box["density"] >= 0.8
    assert box["coverage"] >= 0.6
    assert len(cart) and cart.iloc[0]["density"] >= 0.8


def _parse_limits(text: str) -> dict[str, tuple[float, float]]:
    """``a <= 0.3; b in [0.6, 0.9]`` -> {key: (low, high)}, unrestricted sides open."""
    out = {}
    for part in text.split("; "):
        key, op, rest = part.split(" ", 2)
        if op == "in":
            lo, hi = (float(v) for v in rest.strip("[]").split(", "))
        elif op == ">=":
            lo, hi = float(rest), math.inf
        else:
            lo, hi = -math.inf, float(rest)
        out[key] = (lo, hi)
    return out


# ---------------------------------------------------------------------------- optimise
def _optimise_spec(path: Path, nfe: int = 600, **extra: Any) -> Path:
    top = {"kind": "optimise", "name": path.stem, "base": str(BASELINE), "seed": 3,
           "replicates": 1, "days": 2}
    arrays: dict[str, list[dict[str, Any]]] = {
        "levers": [{"key": "staffing.workers_per_10k", "range": [10.0, 30.0]},
                   {"key": "micro_grid.coverage", "range": [0.0, 1.0]}],
        "objectives": [{"outcome": "annual_cost", "direction": "minimize", "epsilon": 1000.0},
                       {"outcome": "grid_workers", "direction": "maximize", "epsilon": 1.0}],
    }
    tables = {"search": {"nfe": nfe, "population": 20, "convergence_every": 100, "seed": 4}}
    for k, v in extra.items():
        if isinstance(v, dict):
            tables[k] = v
        elif isinstance(v, list) and v:
            arrays[k] = v
        else:
            arrays.pop(k, None)
            top[k] = v
    return _write(path, top, tables, arrays)


@pytest.mark.slow
def test_optimiser_finds_the_known_front_of_a_monotone_case(tmp_path: Path) -> None:
    # Cost rises with staff and with micro-grid coverage; only staff adds workers. The
    # true front is every head count from 8 (10 per 10,000) to 23 (30 per 10,000) with
    # no micro-grid workers, at cost = head count x pay + the fixed lines.
    spec = _optimise_spec(tmp_path / "mono.toml")
    out = tmp_path / "res"
    assert main(["optimise", str(spec), "--out", str(out), "--workers", "2", "-q"]) == 0
    pareto = pd.read_csv(out / "pareto.csv")
    base = load_scenario(BASELINE)
    cheapest = simulate(base.with_overrides({"staffing.workers_per_10k": 10.0,
                                             "micro_grid.coverage": 0.0}), days=2,
                         seed=replicate_seeds(3, 1)[0])  # the spec's seed: same volunteers
    fixed = cheapest.summary["annual_cost"] - 8 * base.costs.community_worker_yuan
    assert sorted(pareto["grid_workers"].astype(int)) == list(range(8, 24))
    expected = pareto["grid_workers"] * base.costs.community_worker_yuan + fixed
    assert np.array_equal(pareto["annual_cost"].to_numpy(), expected.to_numpy())
    conv = pd.read_parquet(out / "convergence.parquet")
    hv = conv["hypervolume"].dropna()
    assert len(hv) >= 3 and hv.iloc[-1] >= hv.iloc[0]
    assert (out / "report" / "report.html").read_text(encoding="utf-8").count("帕累托") >= 1
    # Resuming replays from the stored evaluations: nothing simulated, same front.
    first = (out / "pareto.csv").read_bytes()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["simulated"] > 0
    assert main(["optimise", str(spec), "--out", str(out), "--workers", "1", "-q",
                 "--no-report"]) == 0
    assert json.loads((out / "manifest.json").read_text())["counts"]["simulated"] == 0
    assert (out / "pareto.csv").read_bytes() == first


@pytest.mark.slow
def test_robust_search_scores_policies_over_sampled_futures(tmp_path: Path) -> None:
    spec = _optimise_spec(
        tmp_path / "robust.toml", nfe=40, days=60,
        uncertainties=[{"key": "staffing.patrol_find_per_hour", "range": [0.02, 0.2]}],
        robust={"scenarios": 3, "seed": 5},
        objectives=[{"outcome": "annual_cost", "direction": "minimize", "epsilon": 1000.0},
                    {"outcome": "incidents", "direction": "minimize", "epsilon": 1.0,
                     "robustness": "worst"}])
    out = tmp_path / "res"
    assert main(["optimise", str(spec), "--out", str(out), "--workers", "1", "-q"]) == 0
    pareto = pd.read_csv(out / "pareto.csv")
    assert len(pareto) >= 1 and list(pareto.columns[-2:]) == ["annual_cost", "incidents"]
    m = json.loads((out / "manifest.json").read_text())
    assert m["counts"]["nfe"] == 40 and m["counts"]["runs"] == 40 * 3
    # Each Pareto policy's score is the worst of its own three futures (not pooled over
    # the generation): rerun every one of them directly.
    from sim.experiments.optimise import sample_futures
    from sim.experiments.planning_spec import load_planning

    futures = sample_futures(load_planning(spec))
    assert len(futures) == 3 and len({f[UNC] for f in futures}) == 3
    for _, row in pareto.iterrows():
        policy = load_scenario(BASELINE).with_overrides(
            {"staffing.workers_per_10k": float(row["staffing.workers_per_10k"]),
             "micro_grid.coverage": float(row["micro_grid.coverage"])})
        incidents = [simulate(policy.with_overrides(f), days=60,
                              seed=replicate_seeds(3, 1)[0]).summary["incidents"]
                     for f in futures]
        assert row["incidents"] == max(incidents)
    assert pareto["incidents"].nunique() > 1 or len(pareto) == 1


# ---------------------------------------------------------------------------- discover
def _discover_spec(path: Path, **extra: Any) -> Path:
    top = {"kind": "discover", "name": path.stem, "base": str(BASELINE), "seed": 5,
           "replicates": 1, "days": 30}
    tables = {"sampling": {"scenarios": 24, "seed": 2}}
    arrays = {
        "uncertainties": [{"key": "staffing.patrol_find_per_hour", "range": [0.02, 0.2]},
                          {"key": "burden.inspection_hours", "range": [0.6, 2.0]}],
        "cases": [{"outcome": "on_time_share", "below": 0.8}],
    }
    for k, v in extra.items():
        if isinstance(v, dict):
            tables[k] = v
        elif isinstance(v, list) and v:
            arrays[k] = v
        else:
            arrays.pop(k, None)
            top[k] = v
    return _write(path, top, tables, arrays)


@pytest.mark.slow
def test_discover_spec_runs_resumes_and_reports(tmp_path: Path) -> None:
    spec = _discover_spec(tmp_path / "disc.toml")
    out = tmp_path / "res"
    assert main(["discover", str(spec), "--out", str(out), "--workers", "2", "-q"]) == 0
    table = pd.read_parquet(out / "experiments.parquet")
    assert len(table) == 24
    assert {"staffing.patrol_find_per_hour", "burden.inspection_hours",
            "on_time_share"} <= set(table.columns)
    lo, hi = table["burden.inspection_hours"].min(), table["burden.inspection_hours"].max()
    assert 0.6 <= lo < hi <= 2.0
    boxes = pd.read_csv(out / "boxes.csv")
    assert set(boxes["case"]) == {"on_time_share < 0.8"}
    page = (out / "report" / "report.md").read_text(encoding="utf-8")
    assert "PRIM" in page and "密度" in page
    assert json.loads((out / "manifest.json").read_text())["counts"]["simulated"] == 24
    # Again, with another case: nothing simulated, the new case analysed.
    assert main(["discover", str(spec), "--out", str(out), "--workers", "1", "-q",
                 "--case", "incidents>0"]) == 0
    assert json.loads((out / "manifest.json").read_text())["counts"]["simulated"] == 0
    assert set(pd.read_csv(out / "boxes.csv")["case"]) == {"incidents > 0"}


@pytest.mark.slow
def test_discover_on_a_sweeps_results_folder(tmp_path: Path) -> None:
    sweep = _write(tmp_path / "sw.toml",
                   {"kind": "sweep", "name": "sw", "base": str(BASELINE), "seed": 1,
                    "replicates": 2, "days": 20, "scale": "community"},
                   {"design": {"kind": "lhs", "samples": 16, "seed": 3}},
                   {"parameters": [{"key": "staffing.workers_per_10k", "range": [8.0, 30.0]},
                                   {"key": "burden.inspection_cut", "range": [0.0, 0.8]}]})
    res = tmp_path / "sw"
    assert main(["sweep", str(sweep), "--out", str(res), "--workers", "1", "-q"]) == 0
    assert main(["discover", str(res), "--case", "median_days_to_resolve>2.5", "-q"]) == 0
    boxes = pd.read_csv(res / "discovery" / "boxes.csv")
    assert boxes["runs"].iloc[0] == 16  # design points, replicates averaged
    assert (res / "discovery" / "report" / "report.html").is_file()


# ---------------------------------------------------------------------------- bad input
BAD = {
    "unknown lever key": ("optimise", {"levers": [{"key": "staffing.workers_per_10", "range":
                                                   [12.0, 30.0]}]},
                          "levers[0].key: unknown scenario parameter"),
    "range beyond the schema": ("optimise", {"levers": [{"key": "micro_grid.coverage",
                                                         "range": [0.0, 1.5]}]},
                                "micro_grid.coverage"),
    "unknown objective": ("optimise", {"objectives": [{"outcome": "on_time", "direction":
                                                       "maximize", "epsilon": 0.01}]},
                          "objectives[0].outcome: unknown outcome 'on_time'"),
    "epsilon not positive": ("optimise", {"objectives": [{"outcome": "annual_cost",
                                                          "direction": "minimize",
                                                          "epsilon": 0.0}]},
                             "objectives[0].epsilon"),
    "unknown key": ("optimise", {"serach": {"nfe": 10}}, "unknown key (did you mean search?)"),
    "uncertainties without robust": (
        "optimise", {"uncertainties": [{"key": "staffing.patrol_find_per_hour",
                                        "range": [0.02, 0.2]}]}, "add [robust]"),
    "wrong kind for the command": ("optimise", {"kind": "discover"}, "use `govsim discover`"),
    "no cases": ("discover", {"cases": []}, "cases: empty list"),
    "case on an unknown outcome": ("discover", {"cases": [{"outcome": "incident",
                                                           "above": 3.0}]},
                                   "cases[0].outcome: unknown outcome"),
    "case with both sides": ("discover", {"cases": [{"outcome": "incidents", "above": 3.0,
                                                     "below": 1.0}]}, "exactly one of"),
    "missing base": ("discover", {"base": "nowhere.toml"}, "base: no such scenario file"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_specs_exit_2_before_any_run(case: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    command, change, message = BAD[case]
    maker = _optimise_spec if command == "optimise" else _discover_spec
    spec = maker(tmp_path / "bad.toml", **change)
    out = tmp_path / "out"
    code = main([command, str(spec), "--out", str(out), "-q"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(spec) in err and message in err, err
    assert not out.exists()  # nothing written, nothing run


def test_bad_discover_case_flag_exits_2(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    spec = _discover_spec(tmp_path / "d.toml")
    assert main(["discover", str(spec), "--case", "on_time_share=0.8", "--out",
                 str(tmp_path / "out")]) == 2
    assert "expected OUTCOME<THRESHOLD" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_shipped_planning_specs_validate() -> None:
    from sim.experiments.planning_spec import load_planning

    repo = Path(__file__).resolve().parents[1] / "experiments"
    opt = load_planning(repo / "staffing_mix_optimise.toml", expect="optimise")
    assert {o for o, d in opt.outcomes.items() if d != "info"} == {
        "annual_cost", "on_time_share", "incidents"}
    assert len(opt.levers) >= 8
    disc = load_planning(repo / "reform_failure_discovery.toml", expect="discover")
    assert len(disc.uncertainties) >= 6 and disc.spec.cases


def test_levers_and_platform_staff_are_found_by_name() -> None:
    # Levers and platform staff costs are found by scenario key, so keys the schema
    # gains later are picked up with no change here.
    from types import SimpleNamespace

    from pydantic import BaseModel

    from sim.costs import platform_staff
    from sim.experiments.ema import DEFAULT_LEVERS, lever_catalogue

    base = load_scenario(BASELINE)
    keys = [r.key for r in lever_catalogue(base)]
    assert keys == [k for k in DEFAULT_LEVERS if k in base.flat()]
    assert {"staffing.workers_per_10k", "burden.ledgers", "burden.inspection_cut",
            "burden.certificate_items_removed", "burden.meeting_hours",
            "micro_grid.coverage", "mobile_grid.mobile_grid_workers_per_10k",
            "mobile_grid.incentive", "volunteers.rate", "social_orgs.hours_per_week_per_10k",
            "platform.intake_staff_per_100k", "platform.dispatchers_per_100k"} <= set(keys)

    class WithMoreStaff(SimpleNamespace):
        def flat(self) -> dict[str, Any]:
            return {**base.flat(), "platform.supervisor_staff_per_100k": 4.0}

    extended = lever_catalogue(WithMoreStaff())  # type: ignore[arg-type]
    assert extended[-1].key == "platform.supervisor_staff_per_100k"

    class Platform(BaseModel):
        dispatch_delay_days: float = 0.5
        intake_staff_per_100k: float = 4.0
        dispatchers_per_100k: float = 2.0
        supervisor_staff_per_10k: float = 0.2

    assert platform_staff(SimpleNamespace(platform=Platform()), 250_000) == pytest.approx(
        (4.0 + 2.0) * 2.5 + 0.2 * 25)


def test_optimise_and_discover_refuse_a_folder_govsim_did_not_write(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes", encoding="utf-8")
    for command, maker in (("optimise", _optimise_spec), ("discover", _discover_spec)):
        spec = maker(tmp_path / f"{command}.toml")
        assert main([command, str(spec), "--out", str(mine), "-q", "--force"]) == 2
        assert "not a batch, sweep, optimise or discover results folder" in \
            capsys.readouterr().err
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]  # untouched
