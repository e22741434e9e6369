"""Calibration: targets as data, their statistics, ABC-SMC (pyabc) recovering a known
parameter, resuming, the tiny spec end to end, and posterior draws in experiments."""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, baseline

from sim.calibration.calibrate import calibrate
from sim.calibration.posterior import read_posterior, write_posterior
from sim.calibration.targets import (
    STATISTICS,
    RunTables,
    TargetsError,
    evaluate,
    load_targets,
    statistic,
)
from sim.cli import main
from sim.experiments.experiment import load_experiment
from sim.run import simulate
from sim.scenario import load_scenario

TARGETS = ROOT / "calibration" / "targets.toml"
BASE = ROOT / "scenarios" / "nanjing_baseline.toml"


def test_targets_file_lists_each_pattern_with_its_role() -> None:
    t = load_targets(TARGETS)
    sources = {x.source for x in t}
    assert {"P2", "P4", "P5", "P6", "P7", "F15"} <= sources
    held = t.by_role("held_out")
    # At least two held-out patterns of different kinds (here: structure, routing,
    # closure-time tail and load, an official on-time claim).
    assert len({x.statistic for x in held}) >= 2 and len({x.source for x in held}) >= 2
    assert t.by_role("fitted")
    for x in t:
        assert x.label_en and x.label_zh and x.tolerance > 0


def test_every_statistic_is_computed_from_a_run() -> None:
    t = load_targets(TARGETS)
    runs = {}
    for target in t:
        if target.variant not in runs:
            path = t.variant_path(target) or BASE
            sc = load_scenario(path)
            r = simulate(sc, days=120, seed=3)
            runs[target.variant] = RunTables(sc, r.summary, r.daily, r.issues)
    values = evaluate(list(t), runs)
    assert all(math.isfinite(v) for v in values.values()), values


def _tables(issues: pd.DataFrame, days: int = 100) -> RunTables:
    sc = baseline()
    daily = pd.DataFrame({"day": range(days)})
    return RunTables(sc, {"residents": 7620.0, "grid_workers": 14.0}, daily, issues)


def test_closure_statistics_count_open_issues_as_not_closed() -> None:
    """Known at day 20-39 (inside the window), closure 1, 2, ... days; one still open."""
    known = np.arange(20.0, 40.0)
    close = np.arange(1.0, 21.0)
    resolved = known + close
    resolved[-1] = np.nan  # open at the end: an infinite closure time
    iss = pd.DataFrame({"known_at": known, "resolved_at": resolved,
                        "channel": ["hotline"] * 20, "escalations": [0] * 19 + [1]})
    t = _tables(iss)
    assert statistic("closure_median_days", t) == 10.0  # inverted CDF: an observed value
    assert statistic("closure_within_7d", t) == pytest.approx(7 / 20)
    assert statistic("closure_mean_days", t) == pytest.approx(np.mean(close[:-1]))
    assert statistic("closure_q3_days", t) == 15.0
    # Hotline: 30-day horizon (a third of 100 days = 33 -> 30): 19 of 20 closed.
    assert statistic("hotline_resolved_30d", t) == pytest.approx(19 / 20)
    enq = t.scenario.platform.enquiries_per_request
    assert statistic("settled_directly", t) == pytest.approx((20 * enq + 19) / (20 * enq + 20))
    assert statistic("households_per_grid_worker", t) == pytest.approx(
        7620 / t.scenario.neighbourhoods.household_size / 14)


def test_fall_on_high_load_days_compares_busy_and_quiet_days() -> None:
    """Busy days (3 issues) close slowly, quiet days (1 issue) quickly."""
    rows = []
    for day in range(20, 60):
        busy = day % 2 == 0
        for _ in range(3 if busy else 1):
            rows.append((day + 0.5, day + 0.5 + (10.0 if busy else 1.0)))
    iss = pd.DataFrame(rows, columns=["known_at", "resolved_at"])
    assert statistic("closure_fall_on_high_load", _tables(iss)) == pytest.approx(1.0)


def test_summary_keys_are_statistics_too() -> None:
    t = _tables(pd.DataFrame({"known_at": [], "resolved_at": []}))
    assert statistic("residents", t) == 7620.0
    assert set(STATISTICS) >= {"closure_q1_days", "closure_within_7d"}


@pytest.mark.parametrize("text,message", [
    ("[[target]]\nname='a'\n", "target[0]"),
    ("x = 1\n", "x: unknown key"),
])
def test_a_bad_targets_file_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "t.toml"
    p.write_text(text)
    with pytest.raises(TargetsError, match=re.escape(message)):
        load_targets(p)


def _spec(tmp_path: Path, targets: str, **kw: object) -> Path:
    lines = [f"base = {str(BASE)!r}", f"targets = {targets!r}"]
    params = kw.pop("parameters")
    for k, v in kw.items():
        lines.append(f"{k} = {v!r}")
    for key, lo, hi in params:  # type: ignore[attr-defined]
        lines += ["[[parameters]]", f"key = {key!r}", f"range = [{lo}, {hi}]"]
    path = tmp_path / "spec.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_bad_calibration_input_exits_2_with_one_line(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    assert main(["calibrate", str(tmp_path / "nope.toml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "nope.toml" in err
    spec = _spec(tmp_path, str(TARGETS), population=8, generations=1,
                 parameters=[("platform.no_such_key", 0.1, 1.0)])
    assert main(["calibrate", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert "parameters[0].key" in err and "no_such_key" in err
    assert not (tmp_path / "out").exists()  # nothing half-written


@pytest.mark.slow
def test_abc_recovers_known_parameters_and_resumes(tmp_path: Path) -> None:
    """Synthetic targets made by the model itself at dispatch_delay_days = 0.7 and
    triage_hours = 1.2 (means of 4 seeds; tolerance about two standard deviations of
    one run). The 90% posterior intervals hold both truths; the sharply identified
    dispatch delay (it sets the platform's dispatch time) is pinned to a fifth of its
    prior, the weakly identified triage time (it moves the casework share) only has to
    be covered. Two generations, then the same spec asking for three resumes."""
    truth = {"platform.dispatch_delay_days": 0.7, "staffing.triage_hours": 1.2}
    days = 60
    sc = load_scenario(BASE).with_overrides(truth)
    tol = {"mean_dispatch_days": 0.005, "casework_share": 0.04}
    obs: dict[str, list[float]] = {n: [] for n in tol}
    for seed in range(4):
        r = simulate(sc, days=days, seed=100 + seed)
        t = RunTables(sc, r.summary, r.daily, r.issues)
        for n in tol:
            obs[n].append(statistic(n, t))
    targets = tmp_path / "targets.toml"
    targets.write_text("".join(
        f'[[target]]\nname = "{n}"\nsource = "synthetic"\nlabel_en = "{n}"\n'
        f'label_zh = "{n}"\nstatistic = "{n}"\nvalue = {np.mean(obs[n])}\n'
        f'tolerance = {tol[n]}\nrole = "fitted"\n' for n in tol))
    out = tmp_path / "out"
    prior = {"platform.dispatch_delay_days": (0.05, 1.0), "staffing.triage_hours": (0.1, 2.0)}
    common = dict(days=days, seed=5, population=16, check_replicates=2,
                  parameters=[(k, lo, hi) for k, (lo, hi) in prior.items()])
    # One process: pyabc's order of sampling (and so the posterior) is then fixed by the
    # seed; with a pool it follows timing, and a 90% interval misses a truth 1 time in 10.
    first = calibrate(_spec(tmp_path, str(targets), generations=2, **common), out=out,
                      workers=1, quiet=True)
    assert (first.generations, first.resumed_from) == (2, 0)
    res = calibrate(_spec(tmp_path, str(targets), generations=3, **common), out=out,
                    workers=1, quiet=True)
    assert (res.generations, res.resumed_from) == (3, 2)
    rows = res.table.set_index("key")
    print(f"\n{res.evaluations} runs")
    for key, value in truth.items():
        r = rows.loc[key]
        print(f"{key}: truth {value}, posterior median {r['median']:.3f}, 90% "
              f"{r['q05']:.3f}-{r['q95']:.3f}")
        assert r["q05"] <= value <= r["q95"], key
    r = rows.loc["platform.dispatch_delay_days"]
    assert r["q95"] - r["q05"] < 0.2 * (1.0 - 0.05)


def test_a_generation_over_budget_ends_the_calibration_with_the_last_complete_one(
        tmp_path: Path) -> None:
    """min_acceptance_rate is a budget: a generation that would need more than
    population / rate runs is abandoned; the outputs come from the generation before.
    With a rate of 0.95 a generation must accept 10 of its first 10 runs (at pyabc's
    median threshold each is accepted about half the time: a chance near 0.1%)."""
    common = dict(days=60, seed=4, population=10, check_replicates=2,
                  fit=["closure_median_days", "closure_q3_days"],
                  parameters=[("platform.dispatch_delay_days", 0.05, 1.0)])
    out = tmp_path / "out"
    first = calibrate(_spec(tmp_path, str(TARGETS), generations=1, **common), out=out,
                      workers=1, quiet=True)
    assert first.generations == 1
    res = calibrate(_spec(tmp_path, str(TARGETS), generations=4, min_acceptance_rate=0.95,
                          **common), out=out, workers=2, quiet=True)
    assert (res.generations, res.resumed_from) == (1, 1)
    assert len(res.posterior) == 10 and (out / "posterior.parquet").exists()


def test_a_budget_no_generation_meets_exits_2_naming_the_key(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    spec = _spec(tmp_path, str(TARGETS), days=60, seed=4, population=10,
                 check_replicates=2, generations=2, min_acceptance_rate=0.95,
                 fit=["closure_median_days", "closure_q3_days"],
                 parameters=[("platform.dispatch_delay_days", 0.05, 1.0)])
    out = tmp_path / "out"
    assert main(["calibrate", str(spec), "--out", str(out), "--workers", "1", "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "min_acceptance_rate" in err and "spec.toml" in err
    assert not (out / "posterior.parquet").exists()  # nothing half-written


@pytest.mark.slow
def test_wider_kernels_keep_the_importance_weights_even(tmp_path: Path) -> None:
    """The kernel a spec names (``transition``, ``kernel_scaling``) is the one pyabc
    perturbs with, and widening it keeps more of the particles' worth in twelve
    dimensions (docs/calibration.md §3a): a synthetic model, twelve uniform parameters of
    which five move seven noisy statistics, 100 particles, generations 1-3, one process,
    seeded. Measured over seeds 1-3: mean effective sample 6-10% of the particles at
    scaling 1, 35-48% at scaling 3; required here: at least three times as much, and a
    fifth of the particles."""
    import pyabc

    from sim.calibration.abc import transition
    from sim.calibration.spec import read_calibration

    coeffs = np.random.default_rng(0).normal(size=(7, 5))

    def synthetic(par: dict[str, float]) -> dict[str, float]:
        x = np.array([par[f"p{i}"] for i in range(5)])
        y = coeffs @ x + np.random.normal(scale=0.3, size=7)
        return {f"s{k}": float(v) for k, v in enumerate(y)}

    observed = {f"s{k}": float(v) for k, v in enumerate(coeffs @ np.full(5, 0.5))}

    def distance(a: dict[str, float], b: dict[str, float]) -> float:
        return float(np.sqrt(sum((a[k] - b[k]) ** 2 for k in b)))

    def mean_ess(scaling: float) -> float:
        spec = _spec(tmp_path, str(TARGETS), population=100, generations=3,
                     kernel_scaling=scaling,
                     parameters=[("platform.dispatch_delay_days", 0.05, 1.0)])
        kernel = transition(read_calibration(spec))
        assert isinstance(kernel, pyabc.MultivariateNormalTransition)
        assert kernel.scaling == scaling
        prior = pyabc.Distribution(**{f"p{i}": pyabc.RV("uniform", 0, 1) for i in range(12)})
        np.random.seed(2)
        abc = pyabc.ABCSMC(synthetic, prior, distance, population_size=100,
                           transitions=kernel, sampler=pyabc.SingleCoreSampler())
        abc.new(f"sqlite:///{tmp_path / f'k{scaling}.db'}", observed)
        history = abc.run(max_nr_populations=4)
        fractions = []
        for t in range(1, history.max_t + 1):
            _, w = history.get_distribution(t=t)
            fractions.append(w.sum() ** 2 / (w ** 2).sum() / 100)
        return float(np.mean(fractions))

    narrow, wide = mean_ess(1.0), mean_ess(3.0)
    print(f"\nmean effective sample: scaling 1 {narrow:.0%}, scaling 3 {wide:.0%}")
    assert wide > 3 * narrow and wide > 0.2


def test_the_best_point_is_the_final_particle_that_fits_best_on_fresh_seeds(
        tmp_path: Path) -> None:
    """point = "best": the candidates are the final particles nearest the targets, each
    re-run on the same fresh seeds; the scenario takes the one whose worst fitted target
    is nearest (then the nearest overall), cites how it was chosen, and is the same on 1
    or 2 processes.
    (Per-particle kernels, transition = "local", scaled, run here too.)"""
    common = dict(days=60, seed=9, population=8, generations=1, check_replicates=2,
                  transition="local", kernel_scaling=2.0, point="best", point_candidates=3,
                  point_replicates=2,
                  fit=["closure_median_days", "closure_q3_days"],
                  parameters=[("platform.dispatch_delay_days", 0.05, 1.0),
                              ("micro_grid.small_fix_share", 0.0, 1.0)])
    out = tmp_path / "out"
    res = calibrate(_spec(tmp_path, str(TARGETS), **common), out=out, workers=1, quiet=True)
    cands = pd.read_csv(out / "point_candidates.csv")
    assert len(cands) == 3
    ranked = cands.sort_values(["worst_misfit", "distance"], kind="stable")
    assert ranked.index[0] == 0  # the file is ranked, best first
    # the worst misfit is the largest |median - observed| / tolerance over fitted targets
    fitted = {t.name: t for t in load_targets(TARGETS)}
    worst = [max(abs(r[n] - fitted[n].value) / fitted[n].tolerance
                 for n in ("closure_median_days", "closure_q3_days"))
             for _, r in cands.iterrows()]
    assert worst == pytest.approx(cands["worst_misfit"].tolist())
    assert ((cands["worst_misfit"] <= 1) == (cands["missed"] == 0)).all()
    keys = ["platform.dispatch_delay_days", "micro_grid.small_fix_share"]
    post = read_posterior(out / "posterior.parquet")
    best = cands.iloc[0][keys].astype(float)
    # one of the final particles, and among the three nearest the targets
    assert ((post[keys] - best).abs().max(axis=1) < 1e-12).any()
    sc = load_scenario(res.scenario)
    assert [sc.platform.dispatch_delay_days,
            sc.micro_grid.small_fix_share] == pytest.approx(best.tolist(), abs=1e-12)
    assert "fresh seeds" in sc.source_of("platform.dispatch_delay_days")
    again = calibrate(_spec(tmp_path, str(TARGETS), **common), out=out, workers=2,
                      quiet=True)  # resumes: ABC done, the point chosen again on 2 processes
    assert again.resumed_from == 1
    assert pd.read_csv(out / "point_candidates.csv").equals(cands)


@pytest.mark.slow
def test_tiny_spec_writes_posterior_scenario_and_bilingual_report(tmp_path: Path) -> None:
    res = calibrate(ROOT / "calibration" / "abc_tiny.toml", out=tmp_path, workers=2,
                    quiet=True)
    post = read_posterior(tmp_path / "posterior.parquet")
    assert post["weight"].sum() == pytest.approx(1.0)
    assert set(post.columns) == {"platform.dispatch_delay_days",
                                 "micro_grid.small_fix_share", "weight"}
    sc = load_scenario(res.scenario)  # extends the baseline; values cite the calibration
    for key in ("platform.dispatch_delay_days", "micro_grid.small_fix_share"):
        assert "calibration abc_tiny" in sc.source_of(key)
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "held out / 留出验证" in text and "fitted / 拟合" in text
    assert (tmp_path / "posterior.png").stat().st_size > 0
    fit = pd.read_csv(tmp_path / "fit.csv")
    assert set(fit["role"]) >= {"fitted", "held_out"}
    assert fit["target"].tolist() == [t.name for t in load_targets(TARGETS)]


def test_a_batch_draws_assumptions_from_a_posterior_per_replicate(tmp_path: Path) -> None:
    """Replicate k uses the same draw in every scenario (paired); draws come from the
    posterior's rows by weight; the draw is part of the run's identity (hash)."""
    post = pd.DataFrame({"platform.dispatch_delay_days": [0.1, 0.9],
                         "weight": [0.5, 0.5]})
    write_posterior(post, tmp_path / "posterior.parquet")
    scen = ROOT / "scenarios"
    spec = tmp_path / "batch.toml"
    body = (f'kind = "batch"\nname = "post"\nreplicates = 12\ndays = 5\n'
            f'scenarios = ["{scen / "nanjing_baseline.toml"}", '
            f'"{scen / "staffing_22_per_10k.toml"}"]\n')
    spec.write_text(body + 'posterior = "posterior.parquet"\n')
    exp = load_experiment(spec)
    by = {}
    for m in exp.runs:
        by.setdefault(m.replicate, set()).add(
            exp.scenario_for(m).platform.dispatch_delay_days)
    assert all(len(v) == 1 for v in by.values())
    values = [next(iter(v)) for v in by.values()]
    assert set(values) == {0.1, 0.9}
    plain = tmp_path / "plain.toml"
    plain.write_text(body)
    assert load_experiment(plain).hashes != exp.hashes
    spec.write_text(body + 'posterior = "missing.parquet"\n')
    assert main(["batch", str(spec), "-q"]) == 2


def test_the_spec_files_shipped_are_valid() -> None:
    from sim.calibration.spec import read_calibration

    for name in ("abc_tiny.toml", "abc_full.toml", "abc_baltimore_tiny.toml"):
        cal = read_calibration(ROOT / "calibration" / name)
        fit = cal.targets().named(cal.fit_names())
        assert fit and all(t.role == "fitted" for t in fit)
    export = read_calibration(ROOT / "calibration" / "abc_baltimore_tiny.toml")
    assert {t.role for t in export.extra_targets} == {"fitted", "held_out"}
    data = tomllib.loads((ROOT / "calibration" / "abc_full.toml").read_text())
    assert data["scenario_out"].endswith("calibrated_baseline.toml")
    exp = load_experiment(ROOT / "experiments" / "staffing_under_uncertainty.toml")
    assert exp.draws is not None and len(exp.draws) == exp.spec.replicates
    keys = set(read_posterior(ROOT / "calibration" / "posterior_abc_full.parquet").columns)
    assert set(exp.draws[0]) == keys - {"weight"}


@pytest.mark.dask
@pytest.mark.slow
def test_calibration_runs_on_a_dask_cluster(tmp_path: Path) -> None:
    """The same ABC-SMC through a real scheduler and two workers on 127.0.0.1."""
    from experiments_fixtures import dask_cluster

    spec = _spec(tmp_path, str(TARGETS), days=30, seed=3, population=6, generations=2,
                 check_replicates=2, fit=["closure_median_days", "closure_q3_days"],
                 parameters=[("platform.dispatch_delay_days", 0.05, 1.0)])
    with dask_cluster(tmp_path) as (address, _workers):
        res = calibrate(spec, out=tmp_path / "out", scheduler=address, quiet=True)
    assert res.generations == 2 and len(res.posterior) == 6
    assert res.evaluations >= 12
    man = (tmp_path / "out" / "manifest.json").read_text()
    assert '"generations": 2' in man


@pytest.fixture(scope="module")
def calibrated_fit() -> tuple[pd.DataFrame, set[str]]:
    """scenarios/calibrated_baseline.toml (written by calibration/abc_full.toml) over the
    fit check's seeds (check_replicates of them, from the spec's seed) at the
    calibration's run length, every target; printed, pass or not. The same runs as the
    report's "calibrated scenario" column, so the test and the report agree."""
    from sim.calibration.abc import build_model
    from sim.calibration.spec import read_calibration

    cal = read_calibration(ROOT / "calibration" / "abc_full.toml")
    targets = load_targets(cal.targets_file)
    model = build_model(cal, targets)
    calibrated = load_scenario(ROOT / "scenarios" / "calibrated_baseline.toml").flat()
    overrides = {p.key: calibrated[p.key] for p in cal.spec.parameters}
    _, *seeds = np.random.SeedSequence(cal.spec.seed).spawn(cal.spec.check_replicates + 1)
    rows = pd.DataFrame([model.run(overrides, seed, tuple(targets)) for seed in seeds])
    lines = []
    for t in targets:
        med = float(rows[t.name].median())
        lines.append(f"{t.name:28s} {t.role:9s} observed {t.value:8.3f} model {med:8.3f} "
                     f"(±{t.tolerance:g}) {'meets' if t.within(med) else 'MISSES'}")
    print("\n" + "\n".join(lines))
    return rows, {t.name for t in model.targets}


# Every fitted target, the restated P7's third quartile among them: the shipped calibrated
# scenario was re-made by abc_full on the restated targets (docs/calibration.md, section
# 4), and meets Q3 (8.1 days against 10 ± 3) on the check's seeds; before, fitted to the
# old pair, it missed it (4.7) and this was a strict expected failure.
FITTED = [t.name for t in load_targets(TARGETS).by_role("fitted")]


@pytest.mark.slow
@pytest.mark.parametrize("name", FITTED)
def test_calibrated_baseline_meets_its_fitted_targets(
        name: str, calibrated_fit: tuple[pd.DataFrame, set[str]]) -> None:
    rows, fitted = calibrated_fit
    assert name in fitted  # abc_full fits every fitted target
    target = {t.name: t for t in load_targets(TARGETS)}[name]
    med = float(rows[name].median())
    assert target.within(med), f"{name}: observed {target.value}, model {med:.3f}"


def test_log_uniform_priors_are_sampled_in_log_space() -> None:
    """A log-uniform prior is uniform in log(value): pyabc's kernel then perturbs in the
    prior's own scale (in the raw scale, particles near the low end took almost all the
    weight). The model receives the value itself, inside the prior's range."""
    from sim.calibration.abc import build_model, prior
    from sim.calibration.spec import read_calibration

    cal = read_calibration(ROOT / "calibration" / "abc_full.toml")
    model = build_model(cal, load_targets(cal.targets_file))
    dist = prior(cal)
    np.random.seed(1)
    draws = [dist.rvs() for _ in range(2000)]
    for i, p in enumerate(cal.spec.parameters):
        lo, hi = p.range
        raw = np.array([d[f"p{i}"] for d in draws])
        values = np.array([model.overrides(d)[p.key] for d in draws], dtype=float)
        assert values.min() >= lo - 1e-9 and values.max() <= hi + 1e-9, p.key
        scale = np.log(values) if p.prior == "loguniform" else values
        a, b = (np.log(lo), np.log(hi)) if p.prior == "loguniform" else (lo, hi)
        if p.prior == "loguniform":
            assert np.allclose(np.exp(raw), values)
        # uniform in its own scale: the median sits mid-range (2000 draws: se ~1.1%)
        if cal.kinds[p.key] is not int:
            assert abs(np.median(scale) - (a + b) / 2) < 0.05 * (b - a), p.key


# ------------------------------------------------ P7 restated, targets from an export


def test_p7_is_restated_as_one_consistent_pattern() -> None:
    """FACTS.md (corrected): NYC 311's quartiles and mean are one pattern; the 85.7%
    within 7 days (another analysis) cannot hold with Q3 = 10 and is no target; of the
    load effect only the direction is kept (held out: any fall of 0 to 6.8 points)."""
    t = {x.name: x for x in load_targets(TARGETS)}
    p7 = {n: x for n, x in t.items() if x.source == "P7"}
    assert "closure_within_7d" not in t
    assert all(x.statistic != "closure_within_7d" for x in t.values())
    assert [p7[n].role for n in ("closure_q1_days", "closure_median_days",
                                 "closure_q3_days")] == ["fitted"] * 3
    assert (p7["closure_q3_days"].value, p7["closure_mean_days"].role) == (10.0, "held_out")
    q1, med, q3 = (p7[n].value for n in ("closure_q1_days", "closure_median_days",
                                         "closure_q3_days"))
    assert q1 < med < q3 and p7["closure_mean_days"].value >= 3 * med  # a long tail
    fall = p7["closure_fall_on_high_load"]
    assert fall.role == "held_out"
    assert fall.within(0.0) and fall.within(0.068) and not fall.within(-0.01)
    tiny = tomllib.loads((ROOT / "calibration" / "abc_tiny.toml").read_text())
    assert set(tiny["fit"]) <= {n for n, x in t.items() if x.role == "fitted"}
