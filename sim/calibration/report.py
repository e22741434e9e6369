"""After ABC: check the fit on every target, write the calibrated scenario and a
bilingual (English / 中文) fit report with its figures.

The check runs ``check_replicates`` posterior draws (one seeded run each, of the base
and of each variant a target needs) and, with the same seeds, the uncalibrated
baseline. A target's model value is the median over draws, with the 5-95% interval;
it "meets" its target when the median is within the tolerance. Held-out targets are
reported the same way, pass or not: they were never seen by the calibration.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.abc import SimModel
from sim.calibration.point import Point
from sim.calibration.posterior import draws, weighted_quantiles
from sim.calibration.spec import Calibration
from sim.calibration.targets import Targets
from sim.scenario import dump_toml

ROLE_LABEL = {"fitted": "fitted / 拟合", "held_out": "held out / 留出验证",
              "input": "input / 输入", "not_used": "fitted, not used here / 本次未拟合"}


def check_fit(cal: Calibration, model: SimModel, targets: Targets, posterior: pd.DataFrame,
              *, point: dict[str, Any] | None = None, quiet: bool = False) -> pd.DataFrame:
    """Every target: observed vs the calibrated model — posterior draws and, with
    ``point``, the calibrated scenario itself — and the default, with the same seeds."""
    n = cal.spec.check_replicates
    root = np.random.SeedSequence(cal.spec.seed)
    draw_seed, *run_seeds = root.spawn(n + 1)
    picks = draws(posterior, n, draw_seed)
    all_targets = tuple(targets)
    used = {t.name for t in model.targets}
    rows_cal, rows_def, rows_pt = [], [], []
    from tqdm import tqdm

    for ov, seed in tqdm(list(zip(picks, run_seeds, strict=True)), desc="fit check",
                         unit="draw", disable=quiet, leave=False):
        rows_cal.append(model.run(ov, seed, all_targets))
        rows_def.append(model.run({}, seed, all_targets))
        if point is not None:
            rows_pt.append(model.run(point, seed, all_targets))
    cal_f, def_f = pd.DataFrame(rows_cal), pd.DataFrame(rows_def)
    pt_f = pd.DataFrame(rows_pt) if rows_pt else None
    out = []
    for t in all_targets:
        x, d = cal_f[t.name].to_numpy(float), def_f[t.name].to_numpy(float)
        med = float(np.nanmedian(x)) if np.isfinite(x).any() else float("nan")
        dmed = float(np.nanmedian(d)) if np.isfinite(d).any() else float("nan")
        pt = pt_f[t.name].to_numpy(float) if pt_f is not None else np.array([np.nan])
        pmed = float(np.nanmedian(pt)) if np.isfinite(pt).any() else float("nan")
        lo, hi = (np.nanquantile(x, [0.05, 0.95]) if np.isfinite(x).any()
                  else (float("nan"), float("nan")))
        out.append({
            "target": t.name, "source": t.source,
            # A target fitted by other calibrations but not in this one's distance is
            # reported as "fitted (not used)": this calibration never saw it either.
            "role": t.role if t.role != "fitted" or t.name in used else "not_used",
            "label_en": t.label_en, "label_zh": t.label_zh, "statistic": t.statistic,
            "variant": t.variant or "", "observed": t.value, "tolerance": t.tolerance,
            "model_median": med, "model_low": float(lo), "model_high": float(hi),
            "default_median": dmed, "meets": t.within(med), "default_meets": t.within(dmed),
            "scenario_median": pmed, "scenario_meets": t.within(pmed),
        })
    return pd.DataFrame(out)


def posterior_table(cal: Calibration, posterior: pd.DataFrame) -> pd.DataFrame:
    rows = []
    w = posterior["weight"].to_numpy(float)
    flat = cal.base.flat()
    for p in cal.spec.parameters:
        q05, q50, q95 = weighted_quantiles(posterior[p.key].to_numpy(float), w,
                                           [0.05, 0.5, 0.95])
        rows.append({"key": p.key, "prior": p.prior, "low": p.range[0], "high": p.range[1],
                     "default": flat[p.key], "median": q50, "q05": q05, "q95": q95})
    return pd.DataFrame(rows)


def write_calibrated_scenario(cal: Calibration, table: pd.DataFrame, point: Point, path: Path,
                              results: Path, fit: pd.DataFrame | None = None) -> Path:
    """A scenario that extends the base with the calibrated point, each value citing the
    calibration that produced it and the posterior's median and 90% interval."""
    data: dict[str, Any] = {}
    sources: dict[str, str] = {}
    fitted = ", ".join(sorted({t for t in _fitted_sources(cal)}))
    for row in table.itertuples():
        value: Any = point.values[row.key]
        node = data
        parts = row.key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
        lo, hi = (round(row.q05, 4), round(row.q95, 4))
        sources[row.key] = (f"calibration {cal.name} ({cal.path.as_posix()}, results in "
                            f"{results.as_posix()}): {point.how}; posterior median "
                            f"{round(row.median, 4)}, 90% interval {lo} to {hi}; fitted to "
                            f"{fitted} (calibration/targets.toml)")
    extends = os.path.relpath(cal.base_file.resolve(), path.parent.resolve())
    notes = [f"Written by `govsim calibrate {cal.path.as_posix()}` on "
             f"{dt.date.today().isoformat()}: the baseline with its",
             "calibrated assumptions at one point of the posterior (ABC-SMC;",
             f"see docs/calibration.md): {point.how}."]
    if fit is not None:  # say how well it fits, where a reader of the scenario looks
        col = "scenario_meets" if fit["scenario_median"].notna().any() else "meets"
        for role in ("fitted", "held_out"):
            sub = fit[fit["role"] == role]
            missed = ", ".join(sub.loc[~sub[col], "target"])
            notes.append(f"{role} targets met by this scenario: {int(sub[col].sum())} of "
                         f"{len(sub)}" + (f" (missed: {missed})" if missed else ""))
        notes.append(f"Fit report: {(results / 'report.md').as_posix()}")
    head = {"extends": extends, "name": path.stem,
            "description": f"The baseline calibrated by {cal.name} ({point.how})"}
    text = dump_toml({**head, **data}, comments=notes, sources=sources)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def _fitted_sources(cal: Calibration) -> list[str]:
    return [t.source for t in cal.targets().named(cal.fit_names())]


def _how_zh(cal: Calibration) -> str:
    if cal.spec.point == "median":
        return "各参数的后验中位数"
    return (f"距目标最近的 {cal.spec.point_candidates} 个末代粒子各以 "
            f"{cal.spec.point_replicates} 个新种子重跑，取最差拟合目标最接近者")


def _fmt(v: float) -> str:
    if v != v:
        return "–"
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def write_report(cal: Calibration, fit: pd.DataFrame, table: pd.DataFrame, out: Path,
                 info: dict[str, Any]) -> Path:
    """report.md and report.html (English / 中文) with the figures beside them."""
    figs = _figures(cal, fit, table, info["posterior"], out)
    lines = [f"# Calibration {cal.name} — fit report / 校准拟合报告", "",
             f"Spec / 规格: `{cal.path.as_posix()}`; ABC-SMC (pyabc), "
             f"{info['generations']} generations / 代, {cal.spec.population} particles / "
             f"粒子 (effective sample size / 有效样本量 {info['effective_sample_size']:.0f}), "
             f"{info['evaluations']} model runs / 模型运行; final epsilon / 最终阈值 "
             f"{_fmt(info['epsilon'])}; {cal.spec.days} days / 天, scale / 规模 "
             f"{cal.spec.scale}. Fit check / 拟合检验: {cal.spec.check_replicates} posterior "
             "draws / 后验抽样 (and the default baseline with the same seeds / 同种子默认基线).",
             "", "## Parameters / 参数", "",
             f"Calibrated scenario / 校准情景: {info['point'].how} / {_how_zh(cal)}.", "",
             "| key / 参数 | prior / 先验 | default / 默认 | posterior median / 后验中位数 "
             "| 90% interval / 90%区间 | calibrated scenario / 校准情景 |",
             "|---|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| `{r.key}` | {r.prior} [{_fmt(r.low)}, {_fmt(r.high)}] | "
                     f"{_fmt(r.default)} | {_fmt(r.median)} | {_fmt(r.q05)} – {_fmt(r.q95)} | "
                     f"{_fmt(float(info['point'].values[r.key]))} |")
    lines += ["", f"![posterior]({figs[0]})", "", "## Targets / 目标", "",
              "Posterior draws: median over draws, 5–95% interval. Calibrated scenario: "
              "the shipped scenario's values (above), median over the same seeds. "
              "后验抽样：各抽样中位数及5–95%区间；校准情景：发布情景的取值（见上表），同种子"
              "中位数。✔ = within tolerance / 在容差内（抽样 / 情景）。", "",
              "| target / 目标 | source / 来源 | role / 角色 | observed / 观测 | posterior "
              "draws / 后验抽样 | calibrated scenario / 校准情景 | default / 默认 | "
              "tolerance / 容差 | meets / 符合 |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in fit.itertuples():
        lines.append(
            f"| {r.label_en}<br>{r.label_zh} | {r.source} | {ROLE_LABEL[r.role]} | "
            f"{_fmt(r.observed)} | {_fmt(r.model_median)} ({_fmt(r.model_low)} – "
            f"{_fmt(r.model_high)}) | {_fmt(r.scenario_median)} | {_fmt(r.default_median)} "
            f"| ±{_fmt(r.tolerance)} | {'✔' if r.meets else '✘'} / "
            f"{'✔' if r.scenario_meets else '✘'} |")
    for role, en, zh in (("fitted", "Fitted targets met", "拟合目标符合"),
                         ("held_out", "Held-out targets met", "留出目标符合")):
        sub = fit[fit["role"] == role]
        lines.append(f"\n{en} / {zh}: posterior draws / 后验抽样 {int(sub['meets'].sum())} / "
                     f"{len(sub)}, calibrated scenario / 校准情景 "
                     f"{int(sub['scenario_meets'].sum())} / {len(sub)} (default baseline / "
                     f"默认基线: {int(sub['default_meets'].sum())} / {len(sub)})")
    lines += ["", f"![fit]({figs[1]})", ""]
    md = "\n".join(lines) + "\n"
    (out / "report.md").write_text(md, encoding="utf-8")
    (out / "report.html").write_text(_html(md), encoding="utf-8")
    return out / "report.html"


def _html(md: str) -> str:
    """A plain HTML page of the Markdown report (tables, headings, images)."""
    body: list[str] = []
    rows: list[str] = []

    def flush() -> None:
        if rows:
            body.append("<table>" + "".join(rows) + "</table>")
            rows.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if all(set(c) <= {"-"} for c in cells):
                continue
            tag = "th" if not rows else "td"
            rows.append("<tr>" + "".join(f"<{tag}>{_inline(c)}</{tag}>" for c in cells)
                        + "</tr>")
            continue
        flush()
        if line.startswith("## "):
            body.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("!["):
            src = line[line.index("(") + 1:-1]
            body.append(f'<p><img src="{html.escape(src)}" style="max-width:100%"></p>')
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    flush()
    style = ("body{font-family:'Noto Sans CJK SC',sans-serif;max-width:1100px;margin:auto}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>calibration</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def _inline(text: str) -> str:
    out = html.escape(text).replace("&lt;br&gt;", "<br>")
    parts = out.split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _figures(cal: Calibration, fit: pd.DataFrame, table: pd.DataFrame,
             posterior: pd.DataFrame, out: Path) -> tuple[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = ["sans-serif"]
    plt.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "DejaVu Sans"]
    k = len(table)
    fig, axes = plt.subplots(1, k, figsize=(3.2 * k, 2.8), squeeze=False)
    w = posterior["weight"].to_numpy(float)
    for ax, r in zip(axes[0], table.itertuples(), strict=True):
        ax.hist(posterior[r.key].to_numpy(float), bins=20, range=(r.low, r.high), weights=w,
                color="#4477aa")
        ax.axvline(r.default, color="#aa3377", ls="--", label="default / 默认")
        ax.set_title(r.key, fontsize=8)
        ax.set_xlim(r.low, r.high)
        ax.set_yticks([])
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Posterior (prior range on the axis) / 后验分布（横轴为先验范围）", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "posterior.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 0.42 * len(fit) + 1.2))
    y = np.arange(len(fit))[::-1]
    z = (fit["model_median"] - fit["observed"]) / fit["tolerance"]
    zl = (fit["model_low"] - fit["observed"]) / fit["tolerance"]
    zh = (fit["model_high"] - fit["observed"]) / fit["tolerance"]
    zd = (fit["default_median"] - fit["observed"]) / fit["tolerance"]
    colours = fit["role"].map({"fitted": "#4477aa", "held_out": "#ee6677",
                               "input": "#999999", "not_used": "#bbbbbb"})
    ax.axvspan(-1, 1, color="#dddddd")
    ax.hlines(y, zl, zh, color=colours)
    ax.scatter(z, y, color=colours, zorder=3, label="calibrated / 校准后")
    zp = (fit["scenario_median"] - fit["observed"]) / fit["tolerance"]
    ax.scatter(zp, y, marker="D", facecolors="none", edgecolors="#228833", zorder=4,
               label="calibrated scenario / 校准情景")
    ax.scatter(zd, y, marker="x", color="black", zorder=3, label="default / 默认")
    ax.set_yticks(y, [f"{r.target} ({r.source}, {r.role})" for r in fit.itertuples()],
                  fontsize=7)
    ax.set_xlabel("(model − observed) / tolerance  ·  （模型−观测）/容差")
    lim = float(np.nanmax(np.abs(np.r_[zl, zh, zd, zp, 3.0])))
    ax.set_xlim(-min(lim, 12) * 1.05, min(lim, 12) * 1.05)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "fit.png", dpi=110)
    plt.close(fig)
    return "posterior.png", "fit.png"
