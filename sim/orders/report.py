"""The bilingual report (English / 中文): closure ECDFs data vs holdout vs model by
category, arrivals by weekday and hour; ``report.html`` (figures embedded) and
``report.md`` (figures in ``figures/``)."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

WEEKDAYS = ["Mon 一", "Tue 二", "Wed 三", "Thu 四", "Fri 五", "Sat 六", "Sun 日"]
ROWS = (("q1", "Q1 · 下四分位", "{:.2f}"), ("median", "median · 中位数", "{:.2f}"),
        ("q3", "Q3 · 上四分位", "{:.2f}"), ("mean", "mean (closed) · 均值", "{:.2f}"),
        ("within7", "within 7 days · 7天内办结", "{:.1%}"), ("n", "orders · 工单数", "{:,}"))


def _ecdf(days: np.ndarray, closed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy import stats

    km = stats.ecdf(stats.CensoredData(uncensored=days[closed], right=days[~closed]))
    return km.cdf.quantiles, km.cdf.probabilities


def figures(used: pd.DataFrame, model: pd.DataFrame | None, fit: Mapping[str, Any]
            ) -> dict[str, bytes]:
    from sim.experiments.report_labels import setup_fonts

    setup_fonts()
    import matplotlib.pyplot as plt

    orders = used[used["settled"].ne(True).fillna(True).astype(bool)]
    top = [str(c) for c in orders["scenario_category"].value_counts().index[:5]]
    panels = ["all", *top]
    fig, axes = plt.subplots(2, 3, figsize=(12, 7), sharex=True, sharey=True)
    for ax, cat in zip(axes.flat, panels, strict=False):
        sel = orders if cat == "all" else orders[orders["scenario_category"] == cat]
        for label, part, style in (("data · 拟合数据", sel[~sel["holdout"]], "-"),
                                   ("holdout · 留出数据", sel[sel["holdout"]], "--")):
            if part["is_closed"].any():
                t, p = _ecdf(part["days"].to_numpy(), part["is_closed"].to_numpy())
                ax.step(np.maximum(t, 1e-3), p, where="post", ls=style, label=label)
        if model is not None:
            m = model if cat == "all" else model[model["category"] == cat]
            if m["is_closed"].any():
                t, p = _ecdf(m["days"].to_numpy(), m["is_closed"].to_numpy())
                ax.step(np.maximum(t, 1e-3), p, where="post", ls=":", label="model · 模型")
        ax.axvline(7, color="grey", lw=0.6)
        ax.set_xscale("log")
        ax.set_title("all categories · 全部" if cat == "all" else cat, fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8)
    fig.supxlabel("days from request to closing (log) · 从受理到办结的天数（对数）")
    fig.supylabel("share closed (Kaplan-Meier) · 已办结比例")
    fig.tight_layout()
    out = {"closure_ecdf.png": _png(fig)}
    g = fit["arrivals"]["groups"]["all"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4))
    a1.bar(WEEKDAYS, g["observed_per_day_by_weekday"])
    a1.set_title("requests per day by weekday · 各星期日均受理量", fontsize=10)
    a2.bar(range(24), g["observed_per_hour_by_hour"])
    a2.set_xticks(range(0, 24, 3))
    a2.set_title("requests per hour by hour of day · 各时段每小时受理量", fontsize=10)
    a2.set_xlabel("hour · 时" + (f" (--tz {fit['export']['tz']})" if fit["export"]["tz"]
                                 else ""))
    fig.tight_layout()
    out["arrivals.png"] = _png(fig)
    plt.close("all")
    return out


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def _table(fit: Mapping[str, Any]) -> list[list[str]]:
    cols = [k for k in ("data", "holdout", "model") if k in fit["closure"]]
    rows = [["", *[{"data": "data · 拟合", "holdout": "holdout · 留出",
                    "model": "model · 模型"}[c] for c in cols]]]
    for key, label, fmt in ROWS:
        cells = []
        for c in cols:
            v = fit["closure"][c].get(key)
            cells.append("n/a" if v is None else fmt.format(v))
        rows.append([label, *cells])
    return rows


def _facts(fit: Mapping[str, Any]) -> list[str]:
    ex = fit["export"]
    d = ", ".join(f"{k} {v:,}" for k, v in fit["dropped"].items() if v)
    best = fit["distributions"]["all"].get("best")
    aics = ", ".join(f"{k} {v['aic']:,.0f}" for k, v in
                     fit["distributions"]["all"]["families"].items())
    s = fit["settled_on_call"]
    un = fit["mapping"]["unmapped"]
    return [
        f"Export · 导出文件: {', '.join(f['name'] for f in ex['files'])} ({ex['shape']} shape · "
        f"格式), created · 受理 {ex['period'][0]} – {ex['period'][1]}",
        f"Rows · 行数: read · 读取 {fit['rows_read']:,}, used · 使用 {fit['rows_used']:,} "
        f"(fitted · 拟合 {fit['rows_fitted']:,}, holdout · 留出 {fit['rows_holdout']:,}); "
        f"not used · 未使用: {d or 'none'} (cleaning.csv)",
        f"Open orders kept as censored · 未办结工单按删失处理: {fit['open_orders_censored']:,}",
        f"Closure distribution, best by AIC · 按AIC最优分布: {best} ({aics})",
        "Settled on the call · 直办比例: " + ("n/a" if s["share"] is None else
                                         f"{s['share']:.1%} of {s['known']:,}"),
        f"Unmapped categories · 未映射类别: {un['rows']:,} rows ({un['share']:.1%})",
    ]


def _tail_rows(fit: Mapping[str, Any]) -> list[list[str]]:
    """The tail fit's targets against what it reached, then the values it chose."""
    t = fit.get("tail_fit")
    if not t:
        return []
    rows = [["", "target · 目标", "reached · 达到", "misfit · 偏差 (band 带宽)"]]
    for key, label, fmt in ROWS[:5]:
        want, got = t["targets"].get(key), t["reached"].get(key)
        rows.append([label, "n/a" if want is None else fmt.format(want),
                     "n/a" if got is None else fmt.format(got),
                     f"{t['z'].get(key, float('nan')):+.2f}"])
    rows += [[p.get("name") or " = ".join(p["keys"]),
              f"[{p['bounds'][0]:g}, {p['bounds'][1]:g}]",
              f"{p['fitted']:.4g}", f"base · 基准 {p['base']:g}"] for p in t["parameters"]]
    return rows


def _html_table(rows: list[list[str]]) -> str:
    e = html.escape
    return "<table>" + "".join(
        "<tr>" + "".join(f"<{'th' if i == 0 else 'td'}>{e(c)}</{'th' if i == 0 else 'td'}>"
                         for c in r) + "</tr>" for i, r in enumerate(rows)) + "</table>"


def _tail_note(fit: Mapping[str, Any]) -> str:
    t = fit["tail_fit"]
    return (f"--fit-tail {t['budget_runs']}: {t['runs']} runs of {t['days']} days, "
            f"{t['seconds']:.0f} s; distance · 距离 {t['distance']}; the mean target is the "
            f"fitted orders' mean re-weighted to the model's {t['window_days']:.0f}-day "
            "window · 均值目标按模型观察窗口重新加权")


def render(fit: Mapping[str, Any], figs: Mapping[str, bytes]) -> tuple[str, str]:
    """(report.html, report.md)."""
    title = "Work orders fitted · 工单数据拟合"
    table = _table(fit)
    md = [f"# {title}", "", *[f"- {x}" for x in _facts(fit)], "",
          "## Closure days · 办结天数", "",
          "| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
    md += ["| " + " | ".join(r) + " |" for r in table[1:]]
    tail = _tail_rows(fit)
    if tail:
        md += ["", "## Long tail fitted · 长尾拟合", "", _tail_note(fit), "",
               "| " + " | ".join(tail[0]) + " |", "|" + "---|" * len(tail[0])]
        md += ["| " + " | ".join(r) + " |" for r in tail[1:]]
    md += ["", "![closure ECDF](figures/closure_ecdf.png)", "",
           "## Arrivals · 受理量分布", "", "![arrivals](figures/arrivals.png)", ""]
    un = fit["mapping"]["unmapped"]["categories"]
    if un:
        md += ["## Unmapped categories · 未映射类别", "", "| category · 类别 | rows · 行数 |",
               "|---|---|"] + [f"| {k} | {v:,} |" for k, v in list(un.items())[:20]] + [""]
    e = html.escape
    img = {k: base64.b64encode(v).decode("ascii") for k, v in figs.items()}
    rows = "".join("<tr>" + "".join(f"<{'th' if i == 0 else 'td'}>{e(c)}</"
                                    f"{'th' if i == 0 else 'td'}>" for c in r) + "</tr>"
                   for i, r in enumerate(table))
    unrows = "".join(f"<tr><td>{e(k)}</td><td>{v:,}</td></tr>" for k, v in
                     list(un.items())[:20])
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{e(title)}</title><style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}
img{{max-width:100%}}</style></head><body><h1>{e(title)}</h1>
<ul>{''.join(f'<li>{e(x)}</li>' for x in _facts(fit))}</ul>
<h2>Closure days · 办结天数</h2><table>{rows}</table>
{f'<h2>Long tail fitted · 长尾拟合</h2><p>{e(_tail_note(fit))}</p>{_html_table(tail)}'
 if tail else ''}
<img alt="closure ECDF" src="data:image/png;base64,{img['closure_ecdf.png']}">
<h2>Arrivals · 受理量分布</h2>
<img alt="arrivals" src="data:image/png;base64,{img['arrivals.png']}">
{f'<h2>Unmapped categories · 未映射类别</h2><table>{unrows}</table>' if un else ''}
</body></html>
"""
    return page, "\n".join(md)
