"""Report pages for planning under uncertainty: the Pareto front and the PRIM boxes.

``make_planning_report(DIR)`` writes ``DIR/report/report.html`` and ``report.md`` (with
``figures/`` beside them) for an ``optimise`` or ``discover`` results folder, in
English and Chinese: what was searched or sampled, the trade-offs a planner can pick
from, how far the search converged, and the conditions under which a reform fails, in
sentences as well as tables. It reuses the page and figure helpers of
:mod:`sim.experiments.report`, so the look is the same as ``govsim report``.
"""

from __future__ import annotations

import math
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.experiments.report import OUTCOME_LABELS, _Doc, _Figures, _grid, _Labels, setup_fonts

# Scenario parameters in words (English, Chinese).
PARAM_LABELS: dict[str, tuple[str, str]] = {
    "staffing.workers_per_10k": ("community workers per 10,000 residents", "每万人社区工作者数"),
    "staffing.patrol_find_per_hour": ("chance an hour of patrol finds a hidden issue",
                                      "每小时巡查发现隐患概率"),
    "staffing.triage_hours": ("hours to pass an issue upwards", "上报研判工时"),
    "burden.ledgers": ("ledgers kept", "台账数"),
    "burden.ledger_hours_each": ("hours per ledger a day", "每本台账日工时"),
    "burden.certificate_items_removed": ("certificate items removed", "取消证明事项数"),
    "burden.inspection_cut": ("share of inspections cut", "迎检迎查压减比例"),
    "burden.inspection_hours": ("inspection hours a day", "迎检日工时"),
    "burden.meeting_hours": ("meeting hours a day", "会议日工时"),
    "micro_grid.coverage": ("micro-grids with a micro-grid worker", "微网格员覆盖率"),
    "micro_grid.notice_rate_per_day": ("micro-grid worker's daily chance to notice an issue",
                                       "微网格员每日发现概率"),
    "mobile_grid.mobile_grid_workers_per_10k": ("mobile grid workers per 10,000",
                                                "每万人流动网格员数"),
    "mobile_grid.incentive": ("riders' points scheme (0-1)", "先锋指数积分力度"),
    "mobile_grid.detect_per_pass": ("rider's chance to spot an issue per pass",
                                    "骑手每次经过发现概率"),
    "volunteers.rate": ("share of residents who volunteer", "志愿者比例"),
    "social_orgs.hours_per_week_per_10k": ("social-work hours a week per 10,000",
                                           "每万人每周社会组织服务时数"),
    "residents.report_base": ("residents' base chance to report", "居民基础上报概率"),
    "residents.trust_mean": ("residents' initial trust", "居民初始信任度"),
    "platform.dispatch_delay_days": ("platform dispatch delay (days)", "平台派单时延（天）"),
    "categories.safety_hazard.hidden_share": ("share of safety hazards nobody reports",
                                              "无人上报的安全隐患比例"),
    "categories.safety_hazard.incident_after_days": (
        "days before an unresolved hazard becomes an incident", "隐患演变为事故的平均天数"),
}
EXTRA_OUTCOMES: dict[str, tuple[str, str]] = {
    "annual_cost": ("Annual cost (yuan)", "年度成本（元）"),
    "annual_cost_per_resident": ("Annual cost per resident (yuan)", "人均年度成本（元）"),
    "grid_workers": ("Community workers", "社区工作者人数"),
}


def param_label(key: str, zh: bool = False) -> str:
    en_zh = PARAM_LABELS.get(key)
    if en_zh is None:
        return key
    return en_zh[1] if zh else en_zh[0]


def outcome_label(key: str, zh: bool = False) -> str:
    en_zh = OUTCOME_LABELS.get(key) or EXTRA_OUTCOMES.get(key)
    if en_zh is None:
        return key.replace("_", " ")
    return en_zh[1] if zh else en_zh[0]


def fmt_value(key: str, v: float) -> str:
    if v is None or not math.isfinite(v):
        return "–"
    if key.endswith(("_share", "_rate", ".rate", "coverage", "incentive", "_cut")):
        return f"{v * 100:.1f}%"
    if "cost" in key:
        return f"{v:,.0f}"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


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
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    staging.mkdir(parents=True)
    try:
        cjk = setup_fonts() is not None
        lab = _Labels(cjk)
        figs = _Figures(staging)
        if kind == "optimise":
            doc = _optimise_page(root, manifest, figs, lab)
        else:
            doc = _discover_page(root, manifest, figs, lab)
        (staging / "report.html").write_text(doc.render_html(), encoding="utf-8")
        (staging / "report.md").write_text(doc.render_md(), encoding="utf-8")
        if target.exists():
            old = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
            os.rename(target, old)
            shutil.rmtree(old, ignore_errors=True)
        os.rename(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target / "report.html"


# ---------------------------------------------------------------------------------------
# Optimise: the Pareto front and convergence
# ---------------------------------------------------------------------------------------


def _optimise_page(root: Path, manifest: dict[str, Any], figs: _Figures, lab: _Labels
                   ) -> _Doc:
    spec = manifest.get("spec") or {}
    pareto = pd.read_parquet(root / "pareto.parquet")
    conv = pd.read_parquet(root / "convergence.parquet")
    objectives = [o["outcome"] for o in spec.get("objectives", [])]
    directions = {o["outcome"]: o["direction"] for o in spec.get("objectives", [])}
    levers = list(manifest.get("levers", []))
    counts = manifest.get("counts", {})
    name = manifest.get("experiment", root.name)
    doc = _Doc(f"{name}: {lab.text('policy search', '政策寻优')}", figs)
    if spec.get("description"):
        doc.p(str(spec["description"]))

    doc.h2(lab.text("What was searched", "搜索内容"))
    robust = spec.get("robust")
    lever_text = ", ".join(f"{param_label(k)} [{_rng(spec, 'levers', k)}]" for k in levers)
    lever_zh = "、".join(f"{param_label(k, True)} [{_rng(spec, 'levers', k)}]" for k in levers)
    goals = "; ".join(f"{d} {outcome_label(o)}" for o, d in directions.items())
    goals_zh = "；".join(f"{'最大化' if d == 'maximize' else '最小化'}{outcome_label(o, True)}"
                        for o, d in directions.items())
    reps = spec.get("replicates", 1)
    doc.p(f"Levers searched: {lever_text}. Goals: {goals}. Each policy was simulated "
          f"{reps} times (common random numbers) for {manifest.get('days')} days"
          + (f", in each of {robust['scenarios']} sampled futures of the uncertain "
             f"assumptions ({', '.join(param_label(k) for k in manifest['uncertainties'])}), "
             "scored by " + ", ".join(f"{o.get('robustness', 'mean')} "
                                      f"{outcome_label(o['outcome'])}"
                                      for o in spec['objectives'])
             if robust else "")
          + f". {counts.get('nfe', '?')} policies evaluated by EMA Workbench's ε-NSGA-II; "
          f"{len(pareto)} are on the Pareto front (no other policy is better on every goal).")
    doc.p(f"搜索的政策杠杆：{lever_zh}。目标：{goals_zh}。每个政策方案以共同随机数重复模拟"
          f"{reps}次，每次{manifest.get('days')}天"
          + (f"，并在{robust['scenarios']}个不确定假设的抽样情景中评估" if robust else "")
          + f"。EMA Workbench 的 ε-NSGA-II 共评估 {counts.get('nfe', '?')} 个方案，"
          f"其中 {len(pareto)} 个位于帕累托前沿（没有其他方案在所有目标上都更好）。")

    doc.h2(lab.text("Trade-offs to choose from", "可供选择的权衡方案"))
    en, zh = _extremes(pareto, objectives, directions, levers)
    doc.bullets(en)
    doc.bullets(zh)
    if len(objectives) >= 2 and len(pareto):
        doc.figure(figs.save(_fig_pareto(pareto, objectives, lab), "pareto"),
                   lab.text("Pareto front: each dot is a policy no other beats on every goal",
                            "帕累托前沿：每个点都是没有被其他方案全面超越的政策"))
    if len(pareto):
        doc.figure(figs.save(_fig_parallel(pareto, levers + objectives, lab), "pareto_levers"),
                   lab.text("Levers and goals of every Pareto policy (scaled 0-1 over the front)",
                            "帕累托方案的杠杆取值与目标（按前沿范围缩放到0-1）"))
        table = pareto.copy()
        for c in table.columns:
            table[c] = [fmt_value(c, float(v)) for v in table[c]]
        table.columns = [outcome_label(c) if c in objectives else param_label(c)
                         for c in pareto.columns]
        doc.table(table)

    doc.h2(lab.text("Convergence", "收敛情况"))
    doc.figure(figs.save(_fig_convergence(conv, lab), "convergence"),
               lab.text("Epsilon progress and hypervolume against evaluations",
                        "ε进展与超体积随评估次数的变化"))
    last = conv.dropna(subset=["hypervolume"]) if "hypervolume" in conv else conv.iloc[0:0]
    if len(last) >= 2:
        hv_end, hv_before = float(last["hypervolume"].iloc[-1]), float(
            last["hypervolume"].iloc[-2])
        change = (hv_end - hv_before) / hv_end if hv_end else float("nan")
        doc.p(f"Hypervolume (share of the objective space the front dominates, relative to the "
              f"final front) went from {hv_before:.3f} to {hv_end:.3f} over the last "
              f"{int(last['nfe'].iloc[-1] - last['nfe'].iloc[-2])} evaluations "
              f"({change:+.1%}); a flat line means more search would add little, a rising "
              "one means run more evaluations (search.nfe).")
        doc.p(f"超体积在最后 {int(last['nfe'].iloc[-1] - last['nfe'].iloc[-2])} 次评估中从 "
              f"{hv_before:.3f} 变为 {hv_end:.3f}（{change:+.1%}）；曲线平坦说明继续搜索收益不大，"
              "仍在上升则应增加评估次数（search.nfe）。")
    doc.h2(lab.text("Reproduce", "复现"))
    doc.p(f"Spec: {manifest.get('spec_file')}; Pareto set: {root}/pareto.csv; convergence: "
          f"convergence.parquet; EMA archives: archives.tar; every simulated run: evaluations/. "
          f"Versions: {manifest.get('versions')}.")
    return doc


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


def _fig_pareto(pareto: pd.DataFrame, objectives: list[str], lab: _Labels) -> Any:
    x = objectives[0]
    others = objectives[1:]
    fig, axes = _grid(len(others), ncols=min(3, len(others)))
    color_by = objectives[2] if len(objectives) > 2 else objectives[1]
    for ax, y in zip(axes, others, strict=True):
        c = ax.scatter(pareto[x], pareto[y], c=pareto[color_by], cmap="viridis", s=28,
                       edgecolors="k", linewidths=0.3)
        ax.set_xlabel(_bi(x, lab))
        ax.set_ylabel(_bi(y, lab))
        ax.grid(alpha=0.3)
    fig.colorbar(c, ax=axes, label=outcome_label(color_by))
    return fig


def _bi(key: str, lab: _Labels) -> str:
    zh = outcome_label(key, True)
    return f"{outcome_label(key)} {zh}" if lab.cjk and zh != key.replace("_", " ") \
        else outcome_label(key)


def _fig_parallel(pareto: pd.DataFrame, cols: list[str], lab: _Labels) -> Any:
    from matplotlib import colormaps

    fig, axes = _grid(1, ncols=1, w=max(6.0, 1.4 * len(cols)), h=3.6)
    ax = axes[0]
    data = pareto[cols].to_numpy(dtype=float)
    lo, hi = np.nanmin(data, axis=0), np.nanmax(data, axis=0)
    scaled = (data - lo) / np.where(hi > lo, hi - lo, 1.0)
    order = np.argsort(data[:, len(cols) - 1]) if len(cols) else []
    cmap = colormaps["viridis"]
    for rank, i in enumerate(order):
        ax.plot(range(len(cols)), scaled[i], color=cmap(rank / max(len(order) - 1, 1)),
                alpha=0.7, lw=1.2)
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels([outcome_label(c) if c in OUTCOME_LABELS or c in EXTRA_OUTCOMES
                        else param_label(c) for c in cols], rotation=20, ha="right",
                       fontsize=8)
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3)
    return fig


def _fig_convergence(conv: pd.DataFrame, lab: _Labels) -> Any:
    fig, axes = _grid(2, ncols=2, w=4.6, h=3.0)
    d = conv.dropna(subset=["epsilon_progress"]) if "epsilon_progress" in conv else conv
    axes[0].plot(d["nfe"], d.get("epsilon_progress", np.nan), marker="o", ms=3)
    axes[0].set_xlabel(lab.text("evaluations", "评估次数"))
    axes[0].set_ylabel(lab.text("epsilon progress", "ε进展"))
    h = conv.dropna(subset=["hypervolume"]) if "hypervolume" in conv else conv.iloc[0:0]
    axes[1].plot(h["nfe"], h["hypervolume"], marker="o", ms=3, color="tab:green")
    axes[1].set_xlabel(lab.text("evaluations", "评估次数"))
    axes[1].set_ylabel(lab.text("hypervolume", "超体积"))
    for ax in axes:
        ax.grid(alpha=0.3)
    return fig


# ---------------------------------------------------------------------------------------
# Discover: PRIM boxes in words
# ---------------------------------------------------------------------------------------


def _discover_page(root: Path, manifest: dict[str, Any], figs: _Figures, lab: _Labels
                   ) -> _Doc:
    boxes, cart = _read_csv(root / "boxes.csv"), _read_csv(root / "cart.csv")
    table = pd.read_parquet(root / "experiments.parquet")
    conditions = list(manifest.get("conditions", []))
    spec = manifest.get("spec") or {}
    name = manifest.get("experiment", root.name)
    doc = _Doc(f"{name}: {lab.text('when does a reform fail?', '改革在什么条件下失效？')}", figs)
    if isinstance(spec, dict) and spec.get("description"):
        doc.p(str(spec["description"]))
    doc.p(f"{len(table)} sampled futures of {len(conditions)} conditions "
          f"({', '.join(param_label(k) for k in conditions)}). For each failure below, PRIM "
          "(EMA Workbench) looks for a box — a few conditions within ranges — where failure is "
          "common. Density: share of futures in the box that fail. Coverage: share of all "
          "failures that lie in the box.")
    doc.p(f"共抽样 {len(table)} 个情景，涉及 {len(conditions)} 个条件（"
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
        doc.h2(f"{outcome_label(o)} {side} {thr} · {outcome_label(o, True)}{side_zh}{thr}")
        label = first.get("label")
        if isinstance(label, str) and label:
            doc.p(f"Failure: {label}.")
        doc.p(f"{int(first['failures'])} of {int(first['runs'])} futures "
              f"({first['base_rate']:.0%}) fail this way.")
        doc.p(f"{int(first['runs'])} 个情景中有 {int(first['failures'])} 个"
              f"（{first['base_rate']:.0%}）出现这种失效。")
        real = group[group["box"] > 0]
        if real.empty:
            msg = ("No box: failure is absent or everywhere in the sampled ranges."
                   if first["failures"] in (0, first["runs"])
                   else "PRIM found no box denser in failure than the sample as a whole.")
            doc.p(msg)
            doc.p("未找到盒子：在抽样范围内失效要么不存在、要么无处不在，或没有比整体更集中的区域。")
            continue
        en, zh = [], []
        for _, b in real.iterrows():
            cond_en, cond_zh = _conditions(str(b["limits"]))
            en.append(f"Box {int(b['box'])}: when {cond_en}, {b['density']:.0%} of futures fail; "
                      f"they hold {b['coverage']:.0%} of all failures and are {b['mass']:.0%} "
                      "of all futures.")
            zh.append(f"盒子{int(b['box'])}：当{cond_zh}时，{b['density']:.0%}的情景失效；"
                      f"这些情景占全部失效的{b['coverage']:.0%}，占全部情景的{b['mass']:.0%}。")
        doc.bullets(en)
        doc.bullets(zh)
        shown = real[["box", "coverage", "density", "mass", "res_dim", "limits"]].copy()
        for c in ("coverage", "density", "mass"):
            shown[c] = [f"{v:.0%}" for v in shown[c]]
        doc.table(shown)
        fig = _fig_box(table, conditions, group, case, lab)
        if fig is not None:
            doc.figure(figs.save(fig, f"prim_{_slug(str(case))}"),
                       lab.text(f"Failures ({case}) and PRIM box 1",
                                f"失效情景（{case}）与PRIM盒子1"))
        if len(cart):
            leaves = cart[(cart["case"] == case) & (cart["density"] >= 0.5)].head(5)
            if len(leaves):
                doc.p(lab.text("CART's densest leaves (a second opinion):",
                               "CART 决策树中失效最集中的叶节点（作为对照）："))
                t = leaves[["leaf", "coverage", "density", "mass", "limits"]].copy()
                for c in ("coverage", "density", "mass"):
                    t[c] = [f"{v:.0%}" for v in t[c]]
                doc.table(t)
    doc.h2(lab.text("Reproduce", "复现"))
    doc.p(f"Experiments: {root}/experiments.parquet; boxes: boxes.csv; CART leaves: cart.csv; "
          "manifest.json holds the spec, cases and PRIM settings.")
    return doc


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


def _fig_box(table: pd.DataFrame, conditions: list[str], group: pd.DataFrame, case: Any,
             lab: _Labels) -> Any:
    from sim.experiments.discover import failing
    from sim.experiments.planning_spec import Case

    box1 = group[group["box"] == 1]
    if box1.empty:
        return None
    parts = [p.strip() for p in str(box1["limits"].iloc[0]).split(";") if p.strip()]
    keys = [p.split(" ")[0] for p in parts][:2]
    if len(keys) < 2:
        rest = [k for k in conditions if k not in keys]
        keys += rest[: 2 - len(keys)]
    if len(keys) < 2:
        return None
    first = group.iloc[0]
    c = Case(outcome=str(first["outcome"]),
             above=float(first["threshold"]) if first["direction"] == "above" else None,
             below=float(first["threshold"]) if first["direction"] == "below" else None)
    bad = failing(c, table[c.outcome].to_numpy())
    fig, axes = _grid(1, ncols=1, w=5.2, h=4.0)
    ax = axes[0]
    ax.scatter(table.loc[~bad, keys[0]], table.loc[~bad, keys[1]], s=10, c="tab:blue",
               alpha=0.5, label=lab.text("no failure", "未失效"))
    ax.scatter(table.loc[bad, keys[0]], table.loc[bad, keys[1]], s=14, c="tab:red",
               marker="x", label=lab.text("failure", "失效"))
    lims = {k: [float(table[k].min()), float(table[k].max())] for k in keys}
    for p in parts:
        k = p.split(" ")[0]
        if k not in lims:
            continue
        if " in [" in p:
            lo, hi = p.split(" in [", 1)[1].rstrip("]").split(", ")
            lims[k] = [float(lo), float(hi)]
        elif " >= " in p:
            lims[k][0] = float(p.split(" >= ")[1])
        elif " <= " in p:
            lims[k][1] = float(p.split(" <= ")[1])
    from matplotlib.patches import Rectangle

    (x0, x1), (y0, y1) = lims[keys[0]], lims[keys[1]]
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="k", lw=1.5, ls="--"))
    ax.set_xlabel(param_label(keys[0]) + (f"\n{param_label(keys[0], True)}" if lab.cjk else ""))
    ax.set_ylabel(param_label(keys[1]) + (f"\n{param_label(keys[1], True)}" if lab.cjk else ""))
    ax.legend(fontsize=8)
    return fig


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text).strip("_")
