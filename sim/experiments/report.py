"""``govsim report DIR``: the report of a batch or sweep, as HTML and Markdown.

The report holds a summary table (mean and 95% CI per scenario), paired differences
against the reference (table and forest plot), the equity gaps, daily series with 95%
bands, closure-time distributions by scenario, the CI half-width against replicates,
and for sweeps the sensitivity indices (Sobol S1/ST, Morris mu*/sigma, or rank
correlations). This module decides what the report says, section by section; the parts
it is made of are apart: labels and fonts (:mod:`~sim.experiments.report_labels`),
streaming readers (:mod:`~sim.experiments.report_readers`), figures
(:mod:`~sim.experiments.report_figures`) and the page (:mod:`~sim.experiments.report_page`:
figures embedded in the HTML as base64 PNG and saved as PNG and SVG in ``figures/``).
Tables are saved as CSV in ``tables/``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import InputError
from sim.experiments import analysis as an
from sim.experiments.report_figures import (
    fig_closure,
    fig_convergence,
    fig_daily,
    fig_forest,
    fig_sensitivity,
)
from sim.experiments.report_labels import Labels, fmt, setup_fonts
from sim.experiments.report_page import Figures, Page
from sim.experiments.report_readers import (
    check_readable,
    closure_histograms,
    daily_bands,
    hist_quantile,
    scenario_description,
)
from sim.outputs import staged_folder

# Cumulative and level series read better than daily counts (which jump by weekday).
DAILY_PREFERRED = ("open", "resolved_total", "on_time_share", "mean_trust", "incidents",
                   "admin_hours")
EQUITY_GAPS: tuple[str, ...] = (
    "known_share_gap_types", "on_time_share_gap_types", "days_to_resolve_gap_types",
    "known_share_gap_elderly", "known_share_gap_offline", "known_share_gap_floating",
    "on_time_share_gap_elderly", "on_time_share_gap_offline", "on_time_share_gap_floating",
)

__all__ = ["make_report", "setup_fonts"]


def make_report(root: str | Path, out: str | Path | None = None, quiet: bool = True) -> Path:
    """Analyse a results folder and write ``report.html``, ``report.md``, figures, tables.

    Returns the path of ``report.html``. The folder is written in a staging folder and
    moved into place, so a half-written report is never left behind. ``quiet`` is kept
    for the commands' calls: the report prints nothing either way.
    """
    import pyarrow as pa

    from sim.outputs import resolve_output

    root = Path(root)
    manifest, runs = an.load_results(root)
    # An existing report is replaced; anything else there is refused and left alone.
    target = resolve_output(out, "report", default=None if out is not None else root / "report",
                            origin=str(root))
    check_readable(root, runs)
    with staged_folder(target) as staging:
        try:
            _build(root, manifest, runs, staging)
        except pa.ArrowException as exc:  # damaged inside, past the footer checked above
            raise InputError(f"{root}: a results file cannot be read ({exc}); rerun the "
                             "batch or sweep command to rebuild the folder") from None
    return target / "report.html"


@dataclass
class _Report:
    """What every section reads (the results) and writes to (page, figures, tables)."""

    root: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    kind: str
    outcomes: list[str]
    design: dict[str, Any]
    by: str  # the column that groups runs: "scenario", or "point" for small factorials
    groups: list[Any]
    page: Page
    figs: Figures
    tables: Path
    lab: Labels

    def name_of(self, g: Any) -> str:
        """A group as the page names it."""
        if self.by == "point":
            keys = self.design.get("keys", [])
            row = self.runs[self.runs["point"] == g].iloc[0]
            return f"p{g}: " + ", ".join(f"{k.split('.')[-1]}={row[k]}" for k in keys)
        if self.kind == "sweep":
            return self.lab.text(f"{g}, all {self.design.get('points', '?')} design points",
                                 "全部设计点")
        return self.lab.scenario(str(g))


def _build(root: Path, manifest: dict[str, Any], runs: pd.DataFrame, out: Path) -> None:
    font = setup_fonts()
    lab = Labels(font is not None)
    kind = manifest.get("kind", "batch")
    name = manifest.get("experiment", root.name)
    wanted = list(manifest.get("outcomes") or ())
    outcomes = an.outcome_columns(runs, wanted)
    absent = [o for o in wanted if o not in outcomes]
    if not outcomes:
        outcomes = an.outcome_columns(runs)[:9]
    if (runs["status"] == "ok").sum() == 0:
        raise InputError(f"{root}: no successful runs to report on")
    figs = Figures(out)
    tables = out / "tables"
    tables.mkdir()
    page = Page(lab.text(f"{name}: experiment report", "实验报告"), figs)
    design = manifest.get("design") or {}
    n_ok = int((runs["status"] == "ok").sum())
    n_failed = int((runs["status"] != "ok").sum())
    page.p(f"{kind} '{name}' · {len(runs)} runs ({n_ok} ok, {n_failed} failed or missing) · "
           f"{manifest.get('replicates')} replicates · root seed {manifest.get('root_seed')} · "
           f"finished {manifest.get('finished_at')} · executor {manifest.get('executor')} · "
           f"govsim {manifest.get('versions', {}).get('govsim', '?')}, "
           f"mesa {manifest.get('versions', {}).get('mesa', '?')}")
    if absent:
        page.p(f"Outcomes the spec asks for but the runs do not have: {', '.join(absent)}.")
    # A small factorial is shown point by point; other sweeps pool their design points.
    if kind != "batch" and design.get("kind") == "factorial" \
            and int(design.get("points", 0)) <= 12:
        by, groups = "point", list(range(int(design.get("points", 0))))
    else:
        by, groups = "scenario", list(dict.fromkeys(runs["scenario"]))
    r = _Report(root, manifest, runs, kind, outcomes, design, by, groups, page, figs, tables,
                lab)
    if kind == "batch":
        _scenarios(r)
    _summary(r)
    if kind == "batch" and manifest.get("reference") in set(runs["scenario"]):
        _differences(r)
    _equity(r)  # who is left behind [P9]
    _daily(r)
    _closure(r)
    _replicates(r)
    if kind == "sweep":
        _sensitivity(r)
    page.h2(lab.text("Reproduce", "复现"))
    page.p(f"Spec: {manifest.get('spec_file')}. Every run's scenario, seed and tables are in "
           f"{root}/runs/<run_id>/; combined tables: runs.parquet, daily.parquet; "
           "manifest.json records the spec, seeds and versions.")
    page.write(out)


def _scenarios(r: _Report) -> None:
    """A batch's scenarios: name, description and file."""
    lab = r.lab
    r.page.h2(lab.text("Scenarios", "情景"))
    ref = r.manifest.get("reference")
    r.page.table(pd.DataFrame([
        {lab.text("scenario", "情景"): lab.scenario(str(g)) + (" (reference)" if g == ref
                                                             else ""),
         "description": scenario_description(r.root, r.runs, g),
         "file": (r.manifest.get("scenario_files") or {}).get(str(g), "")}
        for g in r.groups]))


def _summary(r: _Report) -> None:
    """Mean and 95% CI of every outcome, one row a group."""
    lab, by = r.lab, r.by
    summary = an.group_summary(r.runs, r.outcomes, by=by)
    summary.to_csv(r.tables / "summary.csv", index=False)
    r.page.h2(lab.text("Summary: mean and 95% confidence interval",
                       "结果汇总：均值与95%置信区间"))
    r.page.p("Each cell: mean over replicates [95% t-interval]. Shares are percentages.")
    if r.kind == "sweep" and by == "scenario":
        r.page.p("This sweep's runs are pooled over all design points: the interval shows "
                 "where the outcome sits across the design, not replicate noise.")
    wide = pd.DataFrame({lab.text("group", "组") if by == "point" else
                         lab.text("scenario", "情景"): [r.name_of(g) for g in r.groups]})
    for outc in r.outcomes:
        cells = []
        for g in r.groups:
            row = summary[(summary[by] == g) & (summary["outcome"] == outc)]
            if row.empty:
                cells.append("–")
                continue
            r0 = row.iloc[0]
            cells.append(f"{fmt(r0['mean'], outc)} [{fmt(r0['ci_low'], outc)}, "
                         f"{fmt(r0['ci_high'], outc)}]")
        wide[lab.outcome(outc)] = cells
    r.page.table(wide)


def _differences(r: _Report) -> None:
    """A batch's paired differences from the reference: headlines, forest plot, table."""
    lab = r.lab
    ref = r.manifest["reference"]
    diffs = an.paired_differences(r.runs, ref, r.outcomes)
    diffs.to_csv(r.tables / "paired_differences.csv", index=False)
    others = [g for g in r.groups if g != ref]
    r.page.h2(lab.text(f"Differences from the reference ({ref})", "与参照情景的差值"))
    r.page.p("Scenario minus reference, paired by replicate (the same random stream: common "
             "random numbers). An interval that excludes 0 is a difference the runs "
             "support at the 95% level.")
    r.page.bullets(_headlines(diffs, lab))
    if not others:
        return
    fig = fig_forest(diffs, r.outcomes, others, ref, lab)
    r.page.figure(r.figs.save(fig, "forest_paired_differences"),
                  lab.text("Forest plot of paired differences", "配对差值森林图"))
    shown = pd.DataFrame({
        lab.text("scenario", "情景"): [lab.scenario(s) for s in diffs["scenario"]],
        lab.text("outcome", "指标"): [lab.outcome(o) for o in diffs["outcome"]],
        "pairs": diffs["n_pairs"],
        "reference": [fmt(v, o) for v, o in zip(diffs["reference_mean"], diffs["outcome"],
                                                strict=True)],
        "difference [95% CI]": [
            f"{fmt(m, o, True)} [{fmt(lo, o, True)}, {fmt(hi, o, True)}]"
            for m, lo, hi, o in zip(diffs["mean_diff"], diffs["ci_low"], diffs["ci_high"],
                                    diffs["outcome"], strict=True)],
        "p": [f"{p:.3g}" if math.isfinite(p) else "–" for p in diffs["p_value"]],
    })
    r.page.table(shown)


def _equity(r: _Report) -> None:
    """The equity gaps of every group with a 95% interval, and paired against the
    reference in a batch: who is left behind, by neighbourhood type and resident group."""
    runs, by, lab = r.runs, r.by, r.lab
    gaps = [c for c in EQUITY_GAPS if c in runs.columns and runs[c].notna().any()]
    if not gaps:
        return
    summary = an.group_summary(runs, gaps, by=by)
    summary.to_csv(r.tables / "equity_gaps.csv", index=False)
    r.page.h2(lab.text("Who is left behind: equity gaps", "谁被落下：公平差距"))
    r.page.p(lab.text(
        "Across neighbourhood types: highest minus lowest type. For a resident group "
        "(elderly, offline, floating population): the group minus everyone else; a "
        "negative known share means the group's issues become known less often [P9]. "
        "Mean over replicates [95% t-interval]; shares in percentage points.",
        "社区类型之间：最高减最低；人群（老年人、无数字接入者、流动人口）：该人群减其他人。"
        "知晓率为负表示该人群的问题更少被知晓 [P9]。重复运行均值 [95% 置信区间]。"))
    wide = pd.DataFrame({lab.text("scenario", "情景"): [r.name_of(g) for g in r.groups]})
    for gap in gaps:
        cells = []
        for g in r.groups:
            row = summary[(summary[by] == g) & (summary["outcome"] == gap)]
            if row.empty or not math.isfinite(row.iloc[0]["mean"]):
                cells.append("–")
                continue
            r0 = row.iloc[0]
            cells.append(f"{fmt(r0['mean'], gap, True)} [{fmt(r0['ci_low'], gap, True)}, "
                         f"{fmt(r0['ci_high'], gap, True)}]")
        wide[lab.outcome(gap)] = cells
    r.page.table(wide)
    ref = r.manifest.get("reference")
    if by == "scenario" and ref in set(runs["scenario"]) and len(r.groups) > 1:
        diffs = an.paired_differences(runs, ref, gaps)
        diffs.to_csv(r.tables / "equity_paired_differences.csv", index=False)
        moved = diffs[(diffs["ci_low"] > 0) | (diffs["ci_high"] < 0)]
        if moved.empty:
            r.page.p(lab.text("No scenario moves any gap measurably against the reference.",
                              "与参照情景相比，没有情景明显改变任何差距。"))
        else:
            r.page.bullets([
                f"{lab.scenario(d.scenario)}: {lab.outcome(d.outcome)} "
                f"{fmt(d.mean_diff, d.outcome, True)} [{fmt(d.ci_low, d.outcome, True)}, "
                f"{fmt(d.ci_high, d.outcome, True)}]" for d in moved.itertuples()])


def _daily(r: _Report) -> None:
    """Up to four daily series with 95% bands (up to twelve groups drawn)."""
    import pyarrow.parquet as pq

    daily_path = r.root / "daily.parquet"
    if not daily_path.is_file():
        return
    names = pq.read_schema(daily_path).names
    skip = {"run_id", "scenario", "point", "replicate", "day"}
    cols = [c for c in DAILY_PREFERRED if c in names][:4]
    if not cols:
        cols = [c for c in names if c not in skip][:4]
    if not cols or "day" not in names:
        return
    show = r.groups if len(r.groups) <= 12 else None
    bands = daily_bands(daily_path, r.by, cols, show)
    bands.to_csv(r.tables / "daily_bands.csv", index=False)
    r.page.h2(r.lab.text("Daily series", "每日变化"))
    fig = fig_daily(bands, r.by, r.groups if show is not None else
                    list(dict.fromkeys(bands[r.by])), cols, r.lab, r.name_of)
    r.page.figure(r.figs.save(fig, "daily_series"),
                  r.lab.text("Daily series with 95% bands", "每日序列与95%置信带"))


def _closure(r: _Report) -> None:
    """Days from raised to resolved: distributions and quantiles by group."""
    lab = r.lab
    hists, counts, read = closure_histograms(r.root, r.runs, r.by)
    if not hists:
        return
    r.page.h2(lab.text("Time to close an issue", "问题办结时间"))
    show_groups = [g for g in r.groups if g in hists][:12]
    fig = fig_closure(hists, show_groups, lab, r.name_of)
    r.page.figure(r.figs.save(fig, "closure_times"),
                  lab.text("Closure-time distributions", "办结时间分布"))
    rows = []
    for g in show_groups:
        h = hists[g]
        resolved, total = counts[g]
        rows.append({lab.text("group", "组"): r.name_of(g),
                     "issues": total, "resolved": resolved,
                     "median days": fmt(hist_quantile(h, 0.5)),
                     "p90 days": fmt(hist_quantile(h, 0.9)),
                     "p99 days": fmt(hist_quantile(h, 0.99))})
    ct = pd.DataFrame(rows)
    ct.to_csv(r.tables / "closure_times.csv", index=False)
    r.page.p(f"From the issues tables of {read} runs (resolved issues; days from raised "
             "to resolved).")
    r.page.table(ct)


def _replicates(r: _Report) -> None:
    """Are there enough replicates? CI half-width against replicates, and those needed."""
    lab = r.lab
    conv_by = "point" if r.kind == "sweep" else r.by
    conv = an.ci_convergence(r.runs, r.outcomes, by=conv_by)
    conv.to_csv(r.tables / "ci_convergence.csv", index=False)
    if conv.empty:
        return
    r.page.h2(lab.text("Are there enough replicates?", "重复次数是否足够"))
    r.page.p("95% CI half-width from the first n/4, n/2 and all n replicates, as a share "
             "of the mean (median over groups). It should fall about as 1/√n; "
             "'replicates for ±5%' projects, from the observed spread, the replicates a "
             "±5%-of-mean interval needs.")
    fig = fig_convergence(conv, conv_by, r.outcomes, lab)
    r.page.figure(r.figs.save(fig, "ci_convergence"),
                  lab.text("CI half-width against replicates", "置信区间半宽与重复次数"))
    # A sweep asks what a typical point needs; a batch, what every scenario needs.
    need_label = ("replicates for ±5% (median point)" if r.kind == "sweep"
                  else "replicates for ±5% (every scenario)")
    rows = []
    for outc in r.outcomes:
        sub = conv[conv["outcome"] == outc]
        row: dict[str, Any] = {lab.text("outcome", "指标"): lab.outcome(outc)}
        for k, grp in sub.groupby("replicates"):
            v = grp["relative_half_width"].median()
            row[f"n={k}"] = f"±{v * 100:.1f}%" if math.isfinite(v) else "–"
        need = (sub["replicates_needed"].median() if r.kind == "sweep"
                else sub["replicates_needed"].max())
        row[need_label] = f"{need:.0f}" if math.isfinite(need) else "–"
        rows.append(row)
    r.page.table(pd.DataFrame(rows))


def _sensitivity(r: _Report) -> None:
    """A sweep's sensitivity indices, by its design: Sobol, Morris, or rank correlations."""
    lab = r.lab
    dkind = r.design.get("kind")
    keys = list(r.design.get("keys", []))
    shown = list(r.outcomes)[:9]
    if dkind == "sobol":
        sens = an.sobol_indices(r.manifest, r.runs, shown)
        title = lab.text("Sensitivity: Sobol' indices", "敏感性分析：Sobol指数")
        text = ("S1: share of the outcome's variance due to the parameter alone; ST: "
                "including its interactions. Computed with SALib on per-point means over "
                "replicates; intervals are SALib's 95% bootstrap intervals.")
    elif dkind == "morris":
        import pyarrow.parquet as pq

        d = pq.read_table(r.root / "design.parquet").to_pandas()
        unit = d[[f"unit:{k}" for k in keys]].to_numpy(dtype=float)
        sens = an.morris_indices(r.manifest, r.runs, unit, shown)
        title = lab.text("Sensitivity: Morris screening", "敏感性分析：Morris筛选")
        text = ("μ*: mean absolute elementary effect over a parameter's whole range (large: "
                "influential); σ: spread of the effects (large: non-linear or interacting).")
    else:
        sens = an.rank_correlations(r.runs, keys, shown)
        dkind = "rank"
        title = lab.text("Sensitivity: rank correlations", "敏感性分析：秩相关")
        text = "Spearman rank correlation between each parameter and each outcome, over runs."
    sens.to_csv(r.tables / "sensitivity.csv", index=False)
    r.page.h2(title)
    r.page.p(text)
    fig = fig_sensitivity(sens, dkind, shown, lab)
    r.page.figure(r.figs.save(fig, "sensitivity"), title)
    t = sens.copy()
    t["outcome"] = [lab.outcome(o) for o in t["outcome"]]
    for c in t.columns:
        if pd.api.types.is_float_dtype(t[c]):
            t[c] = [f"{v:.3f}" if math.isfinite(v) else "–" for v in t[c]]
    r.page.table(t)


def _headlines(diffs: pd.DataFrame, lab: Labels) -> list[str]:
    """The differences whose 95% interval excludes 0, in words (at most 80)."""
    out = []
    for _, d in diffs.iterrows():
        lo, hi = d["ci_low"], d["ci_high"]
        if math.isfinite(lo) and math.isfinite(hi) and (lo > 0 or hi < 0):
            o = d["outcome"]
            out.append(f"{lab.scenario(d['scenario'])}: {lab.outcome(o)} "
                       f"{fmt(d['mean_diff'], o, True)} [{fmt(lo, o, True)}, "
                       f"{fmt(hi, o, True)}] (n={int(d['n_pairs'])})")
    return out[:80]
