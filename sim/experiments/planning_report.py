"""Report pages for planning under uncertainty: the Pareto front and the PRIM boxes.

``make_planning_report(DIR)`` writes ``DIR/report/report.html`` and ``report.md`` (with
``figures/`` beside them) for an ``optimise`` or ``discover`` results folder, in
English and Chinese: what was searched or sampled, the trade-offs a planner can pick
from, how far the search converged, and the conditions under which a reform fails, in
sentences as well as tables. This module decides what the pages say; they are built
from the same parts as ``govsim report`` (labels, page, figure grid), so they look alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.experiments.planning_figures import (
    fig_box,
    fig_parallel,
    fig_pareto,
    fig_search_convergence,
)
from sim.experiments.planning_spec import Case, failing
from sim.experiments.report_labels import (
    Labels,
    fmt_value,
    outcome_label,
    param_label,
    setup_fonts,
)
from sim.experiments.report_page import Figures, Page
from sim.outputs import staged_folder


def make_planning_report(root: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of an optimise or discover results folder; returns report.html."""
    from sim.experiments.store import read_json

    root = Path(root)
    if not (root / "manifest.json").is_file():
        raise InputError(f"{root}: no manifest.json; not a results folder")
    manifest = read_json(root / "manifest.json")
    kind = manifest.get("kind")
    if kind not in ("optimise", "discover"):
        raise InputError(f"{root}/manifest.json: kind: {kind!r}; this page is for optimise "
                         "and discover results (use `govsim report` for the others)")
    target = Path(out) if out is not None else root / "report"
    with staged_folder(target) as staging:
        lab = Labels(setup_fonts() is not None)
        figs = Figures(staging)
        if kind == "optimise":
            page = _optimise_page(root, manifest, figs, lab)
        else:
            page = _discover_page(root, manifest, figs, lab)
        page.write(staging)
    return target / "report.html"


# ---------------------------------------------------------------------------------------
# Optimise: the Pareto front and convergence
# ---------------------------------------------------------------------------------------


def _optimise_page(root: Path, manifest: dict[str, Any], figs: Figures, lab: Labels
                   ) -> Page:
    spec = manifest.get("spec") or {}
    pareto = pd.read_parquet(root / "pareto.parquet")
    conv = pd.read_parquet(root / "convergence.parquet")
    objectives = [o["outcome"] for o in spec.get("objectives", [])]
    directions = {o["outcome"]: o["direction"] for o in spec.get("objectives", [])}
    levers = list(manifest.get("levers", []))
    counts = manifest.get("counts", {})
    name = manifest.get("experiment", root.name)
    page = Page(f"{name}: {lab.text('policy search', '政策寻优')}", figs)
    if spec.get("description"):
        page.p(str(spec["description"]))

    page.h2(lab.text("What was searched", "搜索内容"))
    robust = spec.get("robust")
    lever_text = ", ".join(f"{param_label(k)} [{_rng(spec, 'levers', k)}]" for k in levers)
    lever_zh = "、".join(f"{param_label(k, True)} [{_rng(spec, 'levers', k)}]" for k in levers)
    goals = "; ".join(f"{d} {outcome_label(o)}" for o, d in directions.items())
    goals_zh = "；".join(f"{'最大化' if d == 'maximize' else '最小化'}{outcome_label(o, True)}"
                        for o, d in directions.items())
    reps = spec.get("replicates", 1)
    page.p(f"Levers searched: {lever_text}. Goals: {goals}. Each policy was simulated "
           f"{reps} times (common random numbers) for {manifest.get('days')} days"
           + (f", in each of {robust['scenarios']} sampled futures of the uncertain "
              f"assumptions ({', '.join(param_label(k) for k in manifest['uncertainties'])}), "
              "scored by " + ", ".join(f"{o.get('robustness', 'mean')} "
                                       f"{outcome_label(o['outcome'])}"
                                       for o in spec['objectives'])
              if robust else "")
           + f". {counts.get('nfe', '?')} policies evaluated by EMA Workbench's ε-NSGA-II; "
           f"{len(pareto)} are on the Pareto front (no other policy is better on every goal).")
    page.p(f"搜索的政策杠杆：{lever_zh}。目标：{goals_zh}。每个政策方案以共同随机数重复模拟"
           f"{reps}次，每次{manifest.get('days')}天"
           + (f"，并在{robust['scenarios']}个不确定假设的抽样情景中评估" if robust else "")
           + f"。EMA Workbench 的 ε-NSGA-II 共评估 {counts.get('nfe', '?')} 个方案，"
           f"其中 {len(pareto)} 个位于帕累托前沿（没有其他方案在所有目标上都更好）。")

    page.h2(lab.text("Trade-offs to choose from", "可供选择的权衡方案"))
    en, zh = _extremes(pareto, objectives, directions, levers)
    page.bullets(en)
    page.bullets(zh)
    if len(objectives) >= 2 and len(pareto):
        page.figure(figs.save(fig_pareto(pareto, objectives, lab), "pareto"),
                    lab.text("Pareto front: each dot is a policy no other beats on every goal",
                             "帕累托前沿：每个点都是没有被其他方案全面超越的政策"))
    if len(pareto):
        page.figure(figs.save(fig_parallel(pareto, levers + objectives, lab), "pareto_levers"),
                    lab.text("Levers and goals of every Pareto policy (scaled 0-1 over the front)",
                             "帕累托方案的杠杆取值与目标（按前沿范围缩放到0-1）"))
        table = pareto.copy()
        for c in table.columns:
            table[c] = [fmt_value(c, float(v)) for v in table[c]]
        table.columns = [outcome_label(c) if c in objectives else param_label(c)
                         for c in pareto.columns]
        page.table(table)

    page.h2(lab.text("Convergence", "收敛情况"))
    page.figure(figs.save(fig_search_convergence(conv, lab), "convergence"),
                lab.text("Epsilon progress and hypervolume against evaluations",
                         "ε进展与超体积随评估次数的变化"))
    last = conv.dropna(subset=["hypervolume"]) if "hypervolume" in conv else conv.iloc[0:0]
    if len(last) >= 2:
        hv_end, hv_before = float(last["hypervolume"].iloc[-1]), float(
            last["hypervolume"].iloc[-2])
        change = (hv_end - hv_before) / hv_end if hv_end else float("nan")
        page.p(f"Hypervolume (share of the objective space the front dominates, relative to the "
               f"final front) went from {hv_before:.3f} to {hv_end:.3f} over the last "
               f"{int(last['nfe'].iloc[-1] - last['nfe'].iloc[-2])} evaluations "
               f"({change:+.1%}); a flat line means more search would add little, a rising "
               "one means run more evaluations (search.nfe).")
        page.p(f"超体积在最后 {int(last['nfe'].iloc[-1] - last['nfe'].iloc[-2])} 次评估中从 "
               f"{hv_before:.3f} 变为 {hv_end:.3f}（{change:+.1%}）；曲线平坦说明继续搜索收益不大，"
               "仍在上升则应增加评估次数（search.nfe）。")
    page.h2(lab.text("Reproduce", "复现"))
    page.p(f"Spec: {manifest.get('spec_file')}; Pareto set: {root}/pareto.csv; convergence: "
           f"convergence.parquet; EMA archives: archives.tar; every simulated run: evaluations/. "
           f"Versions: {manifest.get('versions')}.")
    return page


def _rng(spec: dict[str, Any], section: str, key: str) -> str:
    for p in spec.get(section, []):
        if p.get("key") == key:
            lo, hi = p["range"]
            return f"{lo:g}–{hi:g}"
    return ""


def _extremes(pareto: pd.DataFrame, objectives: list[str], directions: dict[str, str],
              levers: list[str]) -> tuple[list[str], list[str]]:
    en: list[str] = []
    zh: list[str] = []
    if pareto.empty:
        return ["The search found no feasible policy."], ["搜索未找到可行方案。"]
    for o in objectives:
        idx = pareto[o].idxmax() if directions[o] == "maximize" else pareto[o].idxmin()
        row = pareto.loc[idx]
        goals = ", ".join(f"{outcome_label(k)} {fmt_value(k, row[k])}" for k in objectives)
        goals_zh = "，".join(f"{outcome_label(k, True)} {fmt_value(k, row[k])}"
                            for k in objectives)
        lv = ", ".join(f"{param_label(k)} {fmt_value(k, row[k])}" for k in levers)
        lv_zh = "，".join(f"{param_label(k, True)} {fmt_value(k, row[k])}" for k in levers)
        best = "highest" if directions[o] == "maximize" else "lowest"
        en.append(f"Best on {outcome_label(o)} ({best}): {goals} — with {lv}.")
        zh.append(f"{outcome_label(o, True)}最优：{goals_zh}——杠杆取值：{lv_zh}。")
    return en, zh


# ---------------------------------------------------------------------------------------
# Discover: PRIM boxes in words
# ---------------------------------------------------------------------------------------


def _discover_page(root: Path, manifest: dict[str, Any], figs: Figures, lab: Labels
                   ) -> Page:
    boxes, cart = _read_csv(root / "boxes.csv"), _read_csv(root / "cart.csv")
    table = pd.read_parquet(root / "experiments.parquet")
    conditions = list(manifest.get("conditions", []))
    spec = manifest.get("spec") or {}
    name = manifest.get("experiment", root.name)
    page = Page(f"{name}: {lab.text('when does a reform fail?', '改革在什么条件下失效？')}", figs)
    if isinstance(spec, dict) and spec.get("description"):
        page.p(str(spec["description"]))
    page.p(f"{len(table)} sampled futures of {len(conditions)} conditions "
           f"({', '.join(param_label(k) for k in conditions)}). For each failure below, PRIM "
           "(EMA Workbench) looks for a box — a few conditions within ranges — where failure is "
           "common. Density: share of futures in the box that fail. Coverage: share of all "
           "failures that lie in the box.")
    page.p(f"共抽样 {len(table)} 个情景，涉及 {len(conditions)} 个条件（"
           f"{'、'.join(param_label(k, True) for k in conditions)}）。对下列每种失效，PRIM 算法"
           "（EMA Workbench）寻找失效集中的“盒子”——少数条件各自落在某一区间。"
           "密度：盒内情景中失效的比例；"
           "覆盖率：全部失效情景中落在盒内的比例。")
    for case, group in boxes.groupby("case", sort=False):
        first = group.iloc[0]
        o = str(first["outcome"])
        side = "above" if first["direction"] == "above" else "below"
        side_zh = "高于" if side == "above" else "低于"
        thr = fmt_value(o, float(first["threshold"]))
        page.h2(f"{outcome_label(o)} {side} {thr} · {outcome_label(o, True)}{side_zh}{thr}")
        label = first.get("label")
        if isinstance(label, str) and label:
            page.p(f"Failure: {label}.")
        page.p(f"{int(first['failures'])} of {int(first['runs'])} futures "
               f"({first['base_rate']:.0%}) fail this way.")
        page.p(f"{int(first['runs'])} 个情景中有 {int(first['failures'])} 个"
               f"（{first['base_rate']:.0%}）出现这种失效。")
        real = group[group["box"] > 0]
        if real.empty:
            msg = ("No box: failure is absent or everywhere in the sampled ranges."
                   if first["failures"] in (0, first["runs"])
                   else "PRIM found no box denser in failure than the sample as a whole.")
            page.p(msg)
            page.p("未找到盒子：在抽样范围内失效要么不存在、要么无处不在，或没有比整体更集中的区域。")
            continue
        en, zh = [], []
        for _, b in real.iterrows():
            cond_en, cond_zh = _conditions(str(b["limits"]))
            en.append(f"Box {int(b['box'])}: when {cond_en}, {b['density']:.0%} of futures fail; "
                      f"they hold {b['coverage']:.0%} of all failures and are {b['mass']:.0%} "
                      "of all futures.")
            zh.append(f"盒子{int(b['box'])}：当{cond_zh}时，{b['density']:.0%}的情景失效；"
                      f"这些情景占全部失效的{b['coverage']:.0%}，占全部情景的{b['mass']:.0%}。")
        page.bullets(en)
        page.bullets(zh)
        shown = real[["box", "coverage", "density", "mass", "res_dim", "limits"]].copy()
        for c in ("coverage", "density", "mass"):
            shown[c] = [f"{v:.0%}" for v in shown[c]]
        page.table(shown)
        fig = fig_box(table, conditions, group, _failures(table, group), lab)
        if fig is not None:
            page.figure(figs.save(fig, f"prim_{_slug(str(case))}"),
                        lab.text(f"Failures ({case}) and PRIM box 1",
                                 f"失效情景（{case}）与PRIM盒子1"))
        if len(cart):
            leaves = cart[(cart["case"] == case) & (cart["density"] >= 0.5)].head(5)
            if len(leaves):
                page.p(lab.text("CART's densest leaves (a second opinion):",
                                "CART 决策树中失效最集中的叶节点（作为对照）："))
                t = leaves[["leaf", "coverage", "density", "mass", "limits"]].copy()
                for c in ("coverage", "density", "mass"):
                    t[c] = [f"{v:.0%}" for v in t[c]]
                page.table(t)
    page.h2(lab.text("Reproduce", "复现"))
    page.p(f"Experiments: {root}/experiments.parquet; boxes: boxes.csv; CART leaves: cart.csv; "
           "manifest.json holds the spec, cases and PRIM settings.")
    return page


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:  # no case had both failures and successes
        return pd.DataFrame()


def _conditions(limits: str) -> tuple[str, str]:
    en, zh = [], []
    for part in [p.strip() for p in limits.split(";") if p.strip()]:
        if " in [" in part:
            key, rest = part.split(" in [", 1)
            lo, hi = rest.rstrip("]").split(", ")
            en.append(f"{param_label(key)} is between {lo} and {hi}")
            zh.append(f"{param_label(key, True)}在{lo}至{hi}之间")
        elif " >= " in part:
            key, v = part.split(" >= ")
            en.append(f"{param_label(key)} is at least {v}")
            zh.append(f"{param_label(key, True)}不低于{v}")
        elif " <= " in part:
            key, v = part.split(" <= ")
            en.append(f"{param_label(key)} is at most {v}")
            zh.append(f"{param_label(key, True)}不高于{v}")
    return " and ".join(en), "且".join(zh)


def _failures(table: pd.DataFrame, group: pd.DataFrame) -> np.ndarray:
    """Which futures fail the case of ``group`` (one case's rows of boxes.csv)."""
    first = group.iloc[0]
    c = Case(outcome=str(first["outcome"]),
             above=float(first["threshold"]) if first["direction"] == "above" else None,
             below=float(first["threshold"]) if first["direction"] == "below" else None)
    return failing(c, table[c.outcome].to_numpy())


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text).strip("_")
