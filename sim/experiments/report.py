"""``govsim report DIR``: a self-contained HTML page and its Markdown twin.

The report holds a summary table (mean and 95% CI per scenario), paired differences
against the reference (table and forest plot), daily series with 95% bands, closure-time
distributions by scenario, the CI half-width against replicates, and for sweeps the
sensitivity indices (Sobol S1/ST, Morris mu*/sigma, or rank correlations). Figures are
embedded in the HTML (base64 PNG) and also saved as PNG and SVG in ``figures/``; tables
are saved as CSV in ``tables/``. Labels are bilingual (English / Chinese) when a CJK font
is installed (Noto Sans CJK SC from the ``fonts-noto-cjk`` package), English otherwise.

Large inputs are read by streaming (daily series in record batches, issues tables one
run at a time, closure times into fixed histogram bins), so memory stays flat.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.experiments import analysis as an

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC")
CJK_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")

OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "on_time_share": ("On-time closure", "按时办结率"),
    "resolution_rate": ("Resolution rate", "办结率"),
    "median_days_to_resolve": ("Median days to resolve", "办结天数中位数"),
    "p90_days_to_resolve": ("90th pct days to resolve", "办结天数90分位"),
    "escalation_share": ("Escalated share", "上报升级比例"),
    "hazards_caught_share": ("Hazards caught early", "隐患提前发现率"),
    "incidents": ("Incidents", "事故数"),
    "admin_share": ("Admin share of hours", "行政事务工时占比"),
    "mean_trust": ("Mean trust", "居民平均信任度"),
    "raised": ("Issues raised", "发生问题数"),
    "known": ("Issues known", "已知问题数"),
    "resolved": ("Issues resolved", "已办结问题数"),
    "open": ("Open issues", "未办结问题数"),
    "worker_hours": ("Worker hours", "工作人员工时"),
    "admin_hours": ("Admin hours", "行政事务工时"),
    "case_hours": ("Casework hours", "办件工时"),
    "patrol_hours": ("Patrol hours", "巡查工时"),
    "resolved_on_time": ("Resolved on time", "按时办结数"),
    "resolved_late": ("Resolved late", "超时办结数"),
    "resolved_total": ("Resolved so far", "累计办结数"),
    "raised_total": ("Raised so far", "累计发生数"),
    "overload_share": ("Overloaded worker-days", "超负荷工作日占比"),
    "participation": ("Participation", "居民参与率"),
    "known_share_gap_types": ("Known-share gap across types", "各类社区知晓率差距"),
    "on_time_share_gap_types": ("On-time gap across types", "各类社区按时办结率差距"),
    "days_to_resolve_gap_types": ("Days-to-resolve gap across types", "各类社区办结天数差距"),
    "known_share_gap_elderly": ("Known share: elderly vs others", "知晓率：老年人比其他人"),
    "known_share_gap_offline": ("Known share: offline vs others", "知晓率：无数字接入者比其他人"),
    "known_share_gap_floating": ("Known share: floating vs others", "知晓率：流动人口比其他人"),
    "on_time_share_gap_elderly": ("On time: elderly vs others", "按时办结：老年人比其他人"),
    "on_time_share_gap_offline": ("On time: offline vs others", "按时办结：无数字接入者比其他人"),
    "on_time_share_gap_floating": ("On time: floating vs others", "按时办结：流动人口比其他人"),
    "pilot_communities": ("Pilot communities", "试点社区数"),
}
SCENARIO_LABELS: dict[str, str] = {
    "nanjing_baseline": "南京现状",
    "pre_reform_2012": "改革前(2012)",
    "staffing_22_per_10k": "每万人22名社工",
    "burden_cut_f12": "减负(F12)",
    "no_micro_grid": "无微网格",
    "mobile_grid_6000": "流动网格员6000",
    "combined_reform": "综合改革",
    "pilot_f35": "创新观察点试点(F35)",
}
# Cumulative and level series read better than daily counts (which jump by weekday).
DAILY_PREFERRED = ("open", "resolved_total", "on_time_share", "mean_trust", "incidents",
                   "admin_hours")
ISSUE_SAMPLE_LIMIT = 400  # issues tables read for closure times (evenly spaced runs)


class _Labels:
    def __init__(self, cjk: bool) -> None:
        self.cjk = cjk

    def outcome(self, key: str, short: bool = False) -> str:
        en, zh = OUTCOME_LABELS.get(key, (key.replace("_", " "), ""))
        if short:
            return f"{zh}" if (self.cjk and zh) else en
        return f"{en} {zh}" if (self.cjk and zh) else en

    def scenario(self, name: str) -> str:
        zh = SCENARIO_LABELS.get(name)
        return f"{name} {zh}" if (self.cjk and zh) else name

    def text(self, en: str, zh: str) -> str:
        return f"{en} · {zh}" if self.cjk else en


def setup_fonts() -> str | None:
    """Use a CJK sans-serif font in matplotlib if one is installed; return its name."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import font_manager, rcParams

    names = {f.name for f in font_manager.fontManager.ttflist}
    found = next((n for n in CJK_FONTS if n in names), None)
    if found is None:
        for path in CJK_FILES:
            if os.path.exists(path):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError):
                    continue
                names = {f.name for f in font_manager.fontManager.ttflist}
                found = next((n for n in CJK_FONTS if n in names), None)
                if found:
                    break
    rcParams["font.family"] = "sans-serif"
    rcParams["font.sans-serif"] = ([found] if found else []) + ["DejaVu Sans"]
    rcParams["axes.unicode_minus"] = False
    rcParams["svg.fonttype"] = "path"
    return found


def _is_share(key: str) -> bool:
    return key.endswith(("_share", "_rate")) or "_share_gap_" in key


def fmt(value: float, key: str = "", diff: bool = False) -> str:
    """Format a value for a table: shares as percent (differences in points)."""
    if value is None or not math.isfinite(value):
        return "–"
    if _is_share(key):
        return f"{value * 100:+.1f} pp" if diff else f"{value * 100:.1f}%"
    sign = "+" if diff and value > 0 else ""
    a = abs(value)
    if a >= 100:
        return f"{sign}{value:,.0f}"
    if a >= 10:
        return f"{sign}{value:.1f}"
    return f"{sign}{value:.3g}"


# ---------------------------------------------------------------------------------------
# Streaming readers
# ---------------------------------------------------------------------------------------


def daily_bands(path: Path, by: str, columns: Sequence[str],
                groups: Sequence[Any] | None = None) -> pd.DataFrame:
    """Mean and 95% band per (group, day) of daily columns, read in record batches."""
    import pyarrow.parquet as pq
    from scipy import stats

    pf = pq.ParquetFile(path)
    acc: pd.DataFrame | None = None
    cols = list(columns)
    for batch in pf.iter_batches(columns=[by, "day", *cols], batch_size=65_536):
        df = batch.to_pandas()
        if groups is not None:
            df = df[df[by].isin(groups)]
        if df.empty:
            continue
        for c in cols:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
            df[f"{c}__sq"] = df[c] ** 2
            df[f"{c}__n"] = df[c].notna().astype(float)
        part = df.groupby([by, "day"]).sum(numeric_only=True)
        acc = part if acc is None else acc.add(part, fill_value=0.0)
    if acc is None:
        return pd.DataFrame(columns=[by, "day", "column", "mean", "low", "high", "n"])
    rows = []
    for c in cols:
        n = acc[f"{c}__n"]
        mean = acc[c] / n.where(n > 0)
        var = (acc[f"{c}__sq"] - n * mean**2) / (n - 1).where(n > 1)
        sd = np.sqrt(var.clip(lower=0))
        tq = pd.Series(stats.t.ppf(0.975, (n - 1).clip(lower=1)), index=n.index)
        hw = tq * sd / np.sqrt(n.where(n > 0))
        frame = pd.DataFrame({"mean": mean, "low": mean - hw, "high": mean + hw, "n": n})
        frame["column"] = c
        rows.append(frame.reset_index())
    return pd.concat(rows, ignore_index=True)


BIN_EDGES = np.concatenate([np.arange(0.0, 30.0, 0.25), np.arange(30.0, 3655.0, 5.0)])


def closure_histograms(root: Path, runs: pd.DataFrame, by: str
                       ) -> tuple[dict[Any, np.ndarray], dict[Any, tuple[int, int]], int]:
    """Histogram of days from raised to resolved per group, one issues table at a time.

    Returns counts per group (over ``BIN_EDGES``), (resolved, total) issues per group,
    and how many runs were read (at most ``ISSUE_SAMPLE_LIMIT``, evenly spaced).
    """
    import pyarrow.parquet as pq

    ok = _issue_sample(runs)
    hists: dict[Any, np.ndarray] = {}
    counts: dict[Any, tuple[int, int]] = {}
    read = 0
    for run_id, group in zip(ok["run_id"], ok[by], strict=True):
        path = root / "runs" / str(run_id) / "issues.parquet"
        if not path.is_file():
            continue
        names = set(pq.read_schema(path).names)
        if not {"raised_at", "resolved_at"} <= names:
            continue
        t = pq.read_table(path, columns=["raised_at", "resolved_at"]).to_pandas()
        raised = pd.to_numeric(t["raised_at"], errors="coerce").to_numpy(dtype=float)
        resolved = pd.to_numeric(t["resolved_at"], errors="coerce").to_numpy(dtype=float)
        d = resolved - raised
        d = d[np.isfinite(d)]
        h, _ = np.histogram(np.clip(d, 0, BIN_EDGES[-1] - 1e-9), bins=BIN_EDGES)
        hists[group] = hists.get(group, np.zeros(len(BIN_EDGES) - 1, dtype=np.int64)) + h
        r, n = counts.get(group, (0, 0))
        counts[group] = (r + int(d.size), n + len(raised))
        read += 1
    return hists, counts, read


def _issue_sample(runs: pd.DataFrame) -> pd.DataFrame:
    """The successful runs whose issues tables the report reads (evenly spaced)."""
    ok = runs[runs["status"] == "ok"]
    if len(ok) > ISSUE_SAMPLE_LIMIT:
        idx = np.linspace(0, len(ok) - 1, ISSUE_SAMPLE_LIMIT).round().astype(int)
        ok = ok.iloc[np.unique(idx)]
    return ok


def hist_quantile(hist: np.ndarray, q: float) -> float:
    """A quantile from histogram counts over ``BIN_EDGES`` (linear within a bin)."""
    total = hist.sum()
    if total == 0:
        return math.nan
    cum = np.cumsum(hist)
    target = q * total
    i = int(np.searchsorted(cum, target))
    i = min(i, len(hist) - 1)
    prev = cum[i - 1] if i > 0 else 0
    frac = (target - prev) / hist[i] if hist[i] else 0.0
    return float(BIN_EDGES[i] + frac * (BIN_EDGES[i + 1] - BIN_EDGES[i]))


# ---------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------


class _Figures:
    def __init__(self, out: Path) -> None:
        self.dir = out / "figures"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.embedded: dict[str, str] = {}

    def save(self, fig: Any, name: str) -> str:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        (self.dir / f"{name}.png").write_bytes(buf.getvalue())
        fig.savefig(self.dir / f"{name}.svg", format="svg", bbox_inches="tight")
        self.embedded[name] = base64.b64encode(buf.getvalue()).decode("ascii")
        return name


def _grid(n: int, ncols: int = 3, w: float = 4.6, h: float = 3.2) -> tuple[Any, list[Any]]:
    from matplotlib.figure import Figure

    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(w * ncols, h * nrows), layout="constrained")
    axes = [fig.add_subplot(nrows, ncols, i + 1) for i in range(n)]
    return fig, axes


def _colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def fig_daily(bands: pd.DataFrame, by: str, groups: Sequence[Any], columns: Sequence[str],
              lab: _Labels, name_of: Any) -> Any:
    fig, axes = _grid(len(columns), ncols=2, w=6.0, h=3.4)
    colors = _colors(len(groups))
    for ax, col in zip(axes, columns, strict=True):
        sub = bands[bands["column"] == col]
        for color, g in zip(colors, groups, strict=True):
            s = sub[sub[by] == g].sort_values("day")
            if s.empty:
                continue
            ax.plot(s["day"], s["mean"], color=color, lw=1.2, label=name_of(g))
            ax.fill_between(s["day"], s["low"], s["high"], color=color, alpha=0.2, lw=0)
        ax.set_title(lab.outcome(col))
        ax.set_xlabel(lab.text("day", "天"))
        ax.grid(alpha=0.3)
    if axes:
        axes[0].legend(fontsize=7, loc="best")
    fig.suptitle(lab.text("Daily series: mean and 95% band over replicates",
                          "每日序列：重复运行均值与95%置信带"))
    return fig


def fig_closure(hists: dict[Any, np.ndarray], groups: Sequence[Any], lab: _Labels,
                name_of: Any) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4.2), layout="constrained")
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    colors = _colors(len(groups))
    centers = (BIN_EDGES[:-1] + BIN_EDGES[1:]) / 2
    xmax = 1.0
    for color, g in zip(colors, groups, strict=True):
        h = hists.get(g)
        if h is None or h.sum() == 0:
            continue
        cdf = np.cumsum(h) / h.sum()
        ax1.step(BIN_EDGES[1:], cdf, where="post", color=color, label=name_of(g))
        xmax = max(xmax, hist_quantile(h, 0.99))
        ax2.plot(centers[:120], h[:120] / h.sum() / 0.25, color=color, lw=1)
    ax1.set_xlim(0, xmax)
    ax1.set_ylim(0, 1)
    ax1.set_xlabel(lab.text("days from raised to resolved", "从发现到办结天数"))
    ax1.set_ylabel(lab.text("share resolved within", "累计办结比例"))
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=7, loc="lower right")
    ax2.set_xlim(0, min(30, xmax))
    ax2.set_xlabel(lab.text("days (first 30)", "天（前30天）"))
    ax2.set_ylabel(lab.text("density", "密度"))
    ax2.grid(alpha=0.3)
    fig.suptitle(lab.text("Closure-time distribution by scenario", "各情景办结时间分布"))
    return fig


def fig_forest(diffs: pd.DataFrame, outcomes: Sequence[str], scenarios: Sequence[str],
               reference: str, lab: _Labels) -> Any:
    fig, axes = _grid(len(outcomes), ncols=3, w=4.8, h=0.5 + 0.42 * max(2, len(scenarios)))
    for ax, out in zip(axes, outcomes, strict=True):
        sub = diffs[diffs["outcome"] == out].set_index("scenario").reindex(scenarios)
        y = np.arange(len(scenarios))[::-1]
        mean = sub["mean_diff"].to_numpy(dtype=float)
        lo, hi = sub["ci_low"].to_numpy(dtype=float), sub["ci_high"].to_numpy(dtype=float)
        scale = 100.0 if _is_share(out) else 1.0
        err = np.vstack([mean - lo, hi - mean]) * scale
        err = np.nan_to_num(err, nan=0.0)
        excl = (lo > 0) | (hi < 0)
        colors = ["#c0392b" if e else "#555555" for e in excl]
        for j in range(len(y)):
            ax.errorbar(mean[j] * scale, y[j], xerr=err[:, j:j + 1], fmt="none",
                        ecolor=colors[j], capsize=3)
        ax.scatter(mean * scale, y, c=colors, zorder=3, s=18)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels([lab.scenario(s) for s in scenarios], fontsize=7)
        unit = " (pp)" if _is_share(out) else ""
        ax.set_title(lab.outcome(out) + unit, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(lab.text(f"Paired difference vs {reference} (mean, 95% CI; red: CI excludes 0)",
                          f"与{SCENARIO_LABELS.get(reference, reference)}的配对差值"))
    return fig


def fig_convergence(conv: pd.DataFrame, by: str, outcomes: Sequence[str], lab: _Labels) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    colors = _colors(len(outcomes))
    nmax = 2
    for color, out in zip(colors, outcomes, strict=True):
        sub = conv[conv["outcome"] == out]
        med = sub.groupby("replicates")["relative_half_width"].median().dropna()
        if med.empty:
            continue
        nmax = max(nmax, int(med.index.max()))
        ax.plot(med.index, med.to_numpy() * 100, marker="o", color=color,
                label=lab.outcome(out, short=False))
    ax.set_xlabel(lab.text("replicates", "重复次数"))
    ax.set_ylabel(lab.text("CI half-width, % of mean (median over groups)",
                           "置信区间半宽/均值 (%)"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="best")
    fig.suptitle(lab.text("Are there enough replicates? (half-width falls as 1/√n)",
                          "重复次数是否足够"))
    return fig


def fig_sensitivity(sens: pd.DataFrame, kind: str, outcomes: Sequence[str], lab: _Labels) -> Any:
    fig, axes = _grid(len(outcomes), ncols=3, w=4.6, h=3.4)
    for ax, out in zip(axes, outcomes, strict=True):
        sub = sens[sens["outcome"] == out]
        names = list(sub["parameter"])
        x = np.arange(len(names))
        if kind == "sobol":
            ax.bar(x - 0.2, sub["S1"], 0.4, yerr=sub["S1_conf"], capsize=2, label="S1")
            ax.bar(x + 0.2, sub["ST"], 0.4, yerr=sub["ST_conf"], capsize=2, label="ST")
            ax.set_ylabel(lab.text("Sobol index", "Sobol指数"))
        elif kind == "morris":
            ax.bar(x - 0.2, sub["mu_star"], 0.4, yerr=sub["mu_star_conf"], capsize=2,
                   label="μ*")
            ax.bar(x + 0.2, sub["sigma"], 0.4, label="σ")
            ax.set_ylabel(lab.text("elementary effect (unit range)", "基本效应"))
        else:
            ax.bar(x, sub["spearman_rho"], 0.6, label="Spearman ρ")
            ax.axhline(0, color="black", lw=0.8)
            ax.set_ylabel(lab.text("rank correlation", "秩相关"))
        ax.set_xticks(x)
        ax.set_xticklabels([n.split(".")[-1] for n in names], rotation=30, ha="right",
                           fontsize=7)
        ax.set_title(lab.outcome(out), fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    if axes:
        axes[0].legend(fontsize=7)
    title = {"sobol": ("Sobol' indices (S1 first order, ST total; 95% CI)", "Sobol敏感性指数"),
             "morris": ("Morris screening (μ*, σ; 95% CI on μ*)", "Morris筛选"),
             }.get(kind, ("Rank correlation of parameters with outcomes", "参数与结果的秩相关"))
    fig.suptitle(lab.text(*title))
    return fig


# ---------------------------------------------------------------------------------------
# Tables (HTML and Markdown)
# ---------------------------------------------------------------------------------------


def _md_table(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)


def _html_table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in df.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class _Doc:
    """Builds the HTML page and the Markdown twin side by side."""

    def __init__(self, title: str, figures: _Figures) -> None:
        self.title = title
        self.figures = figures
        self.html: list[str] = []
        self.md: list[str] = [f"# {title}", ""]

    def h2(self, text: str) -> None:
        self.html.append(f"<h2>{html.escape(text)}</h2>")
        self.md += [f"## {text}", ""]

    def p(self, text: str) -> None:
        self.html.append(f"<p>{html.escape(text)}</p>")
        self.md += [text, ""]

    def bullets(self, items: Sequence[str]) -> None:
        if not items:
            return
        self.html.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items)
                         + "</ul>")
        self.md += [f"- {i}" for i in items] + [""]

    def table(self, df: pd.DataFrame) -> None:
        self.html.append(_html_table(df))
        self.md += [_md_table(df), ""]

    def figure(self, name: str, alt: str) -> None:
        data = self.figures.embedded[name]
        self.html.append(f'<figure><img alt="{html.escape(alt)}" '
                         f'src="data:image/png;base64,{data}"/>'
                         f"<figcaption>{html.escape(alt)} "
                         f'(<a href="figures/{name}.svg">SVG</a>)</figcaption></figure>')
        self.md += [f"![{alt}](figures/{name}.png)", ""]

    def render_html(self) -> str:
        css = ("body{font-family:'Noto Sans CJK SC','Noto Sans SC','PingFang SC',"
               "'Microsoft YaHei',sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;"
               "color:#222}table{border-collapse:collapse;font-size:13px;margin:1em 0}"
               "th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}"
               "th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}"
               "img{max-width:100%}figure{margin:1em 0}figcaption{font-size:12px;color:#555}"
               "h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}")
        return ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(self.title)}</title><style>{css}</style></head><body>"
                f"<h1>{html.escape(self.title)}</h1>" + "\n".join(self.html)
                + "</body></html>\n")

    def render_md(self) -> str:
        return "\n".join(self.md).rstrip() + "\n"


# ---------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------


def make_report(root: str | Path, out: str | Path | None = None, quiet: bool = True) -> Path:
    """Analyse a results folder and write ``report.html``, ``report.md``, figures, tables.

    Returns the path of ``report.html``. The folder is written in a staging folder and
    moved into place, so a half-written report is never left behind.
    """
    from sim.outputs import resolve_output

    root = Path(root)
    manifest, runs = an.load_results(root)
    # An existing report is replaced; anything else there is refused and left alone.
    target = resolve_output(out, "report", default=None if out is not None else root / "report",
                            origin=str(root))
    _check_readable(root, runs)
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    staging.mkdir(parents=True)
    try:
        import pyarrow as pa

        try:
            _build(root, manifest, runs, staging, quiet)
        except pa.ArrowException as exc:  # damaged inside, past the footer checked above
            raise InputError(f"{root}: a results file cannot be read ({exc}); rerun the "
                             "batch or sweep command to rebuild the folder") from None
        if target.exists():
            old = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
            os.rename(target, old)
            shutil.rmtree(old, ignore_errors=True)
        os.rename(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target / "report.html"


def _check_readable(root: Path, runs: pd.DataFrame) -> None:
    """Refuse, naming the file, a damaged Parquet file the report would read."""
    import pyarrow.parquet as pq

    combined = "rerun the batch or sweep command to rebuild it"
    paths = [(root / "daily.parquet", combined), (root / "design.parquet", combined)]
    paths += [(root / "runs" / str(r) / "issues.parquet",
               f"remove {root / 'runs' / str(r)} and rerun the batch or sweep command to "
               "redo that run") for r in _issue_sample(runs)["run_id"]]
    for path, remedy in paths:
        if not path.is_file():
            continue
        try:
            pq.read_metadata(path)
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: damaged or not a Parquet file ({exc}); "
                             f"{remedy}") from None


def _build(root: Path, manifest: dict[str, Any], runs: pd.DataFrame, out: Path,
           quiet: bool) -> None:
    font = setup_fonts()
    lab = _Labels(font is not None)
    kind = manifest.get("kind", "batch")
    name = manifest.get("experiment", root.name)
    wanted = list(manifest.get("outcomes") or ())
    outcomes = an.outcome_columns(runs, wanted)
    absent = [o for o in wanted if o not in outcomes]
    if not outcomes:
        outcomes = an.outcome_columns(runs)[:9]
    if (runs["status"] == "ok").sum() == 0:
        raise InputError(f"{root}: no successful runs to report on")
    figs = _Figures(out)
    tables = out / "tables"
    tables.mkdir()
    doc = _Doc(lab.text(f"{name}: experiment report", "实验报告"), figs)
    design = manifest.get("design") or {}
    n_ok = int((runs["status"] == "ok").sum())
    n_failed = int((runs["status"] != "ok").sum())
    doc.p(f"{kind} '{name}' · {len(runs)} runs ({n_ok} ok, {n_failed} failed or missing) · "
          f"{manifest.get('replicates')} replicates · root seed {manifest.get('root_seed')} · "
          f"finished {manifest.get('finished_at')} · executor {manifest.get('executor')} · "
          f"govsim {manifest.get('versions', {}).get('govsim', '?')}, "
          f"mesa {manifest.get('versions', {}).get('mesa', '?')}")
    if absent:
        doc.p(f"Outcomes the spec asks for but the runs do not have: {', '.join(absent)}.")
    if kind == "batch":
        by, groups = "scenario", list(dict.fromkeys(runs["scenario"]))
    elif design.get("kind") == "factorial" and int(design.get("points", 0)) <= 12:
        by, groups = "point", list(range(int(design.get("points", 0))))
    else:
        by, groups = "scenario", list(dict.fromkeys(runs["scenario"]))

    def name_of(g: Any) -> str:
        if by == "point":
            keys = design.get("keys", [])
            row = runs[runs["point"] == g].iloc[0]
            return f"p{g}: " + ", ".join(f"{k.split('.')[-1]}={row[k]}" for k in keys)
        if kind == "sweep":
            return lab.text(f"{g}, all {design.get('points', '?')} design points",
                            "全部设计点")
        return lab.scenario(str(g))

    if kind == "batch":
        doc.h2(lab.text("Scenarios", "情景"))
        ref = manifest.get("reference")
        doc.table(pd.DataFrame([
            {lab.text("scenario", "情景"): lab.scenario(str(g)) + (" (reference)" if g == ref
                                                                 else ""),
             "description": _description(root, runs, g),
             "file": (manifest.get("scenario_files") or {}).get(str(g), "")}
            for g in groups]))

    # Summary table.
    summary = an.group_summary(runs, outcomes, by=by)
    summary.to_csv(tables / "summary.csv", index=False)
    doc.h2(lab.text("Summary: mean and 95% confidence interval", "结果汇总：均值与95%置信区间"))
    doc.p("Each cell: mean over replicates [95% t-interval]. Shares are percentages.")
    if kind == "sweep" and by == "scenario":
        doc.p("This sweep's runs are pooled over all design points: the interval shows "
              "where the outcome sits across the design, not replicate noise.")
    wide = pd.DataFrame({lab.text("group", "组") if by == "point" else
                         lab.text("scenario", "情景"): [name_of(g) for g in groups]})
    for outc in outcomes:
        cells = []
        for g in groups:
            r = summary[(summary[by] == g) & (summary["outcome"] == outc)]
            if r.empty:
                cells.append("–")
                continue
            r0 = r.iloc[0]
            cells.append(f"{fmt(r0['mean'], outc)} [{fmt(r0['ci_low'], outc)}, "
                         f"{fmt(r0['ci_high'], outc)}]")
        wide[lab.outcome(outc)] = cells
    doc.table(wide)

    # Paired differences (batches).
    if kind == "batch" and manifest.get("reference") in set(runs["scenario"]):
        ref = manifest["reference"]
        diffs = an.paired_differences(runs, ref, outcomes)
        diffs.to_csv(tables / "paired_differences.csv", index=False)
        others = [g for g in groups if g != ref]
        doc.h2(lab.text(f"Differences from the reference ({ref})", "与参照情景的差值"))
        doc.p("Scenario minus reference, paired by replicate (the same random stream: common "
              "random numbers). An interval that excludes 0 is a difference the runs "
              "support at the 95% level.")
        doc.bullets(_headlines(diffs, lab))
        if others:
            fig = fig_forest(diffs, outcomes, others, ref, lab)
            doc.figure(figs.save(fig, "forest_paired_differences"),
                       lab.text("Forest plot of paired differences", "配对差值森林图"))
            t = diffs.copy()
            t["scenario"] = [lab.scenario(s) for s in t["scenario"]]
            t["outcome"] = [lab.outcome(o) for o in t["outcome"]]
            shown = pd.DataFrame({
                lab.text("scenario", "情景"): t["scenario"],
                lab.text("outcome", "指标"): t["outcome"],
                "pairs": t["n_pairs"],
                "reference": [fmt(v, o) for v, o in zip(diffs["reference_mean"],
                                                        diffs["outcome"], strict=True)],
                "difference [95% CI]": [
                    f"{fmt(m, o, True)} [{fmt(lo, o, True)}, {fmt(hi, o, True)}]"
                    for m, lo, hi, o in zip(diffs["mean_diff"], diffs["ci_low"],
                                            diffs["ci_high"], diffs["outcome"], strict=True)],
                "p": [f"{p:.3g}" if math.isfinite(p) else "–" for p in diffs["p_value"]],
            })
            doc.table(shown)

    # Who is left behind [P9]: the equity gaps, by scenario (and against the reference).
    _equity(runs, by, groups, name_of, manifest, doc, tables, lab)

    # Daily series.
    daily_path = root / "daily.parquet"
    if daily_path.is_file():
        import pyarrow.parquet as pq

        names = pq.read_schema(daily_path).names
        skip = {"run_id", "scenario", "point", "replicate", "day"}
        cols = [c for c in DAILY_PREFERRED if c in names][:4]
        if not cols:
            cols = [c for c in names if c not in skip][:4]
        if cols and "day" in names:
            show = groups if len(groups) <= 12 else None
            bands = daily_bands(daily_path, by, cols, show)
            bands.to_csv(tables / "daily_bands.csv", index=False)
            doc.h2(lab.text("Daily series", "每日变化"))
            fig = fig_daily(bands, by, groups if show is not None else
                            list(dict.fromkeys(bands[by])), cols, lab, name_of)
            doc.figure(figs.save(fig, "daily_series"),
                       lab.text("Daily series with 95% bands", "每日序列与95%置信带"))

    # Closure times.
    hists, counts, read = closure_histograms(root, runs, by)
    if hists:
        doc.h2(lab.text("Time to close an issue", "问题办结时间"))
        show_groups = [g for g in groups if g in hists][:12]
        fig = fig_closure(hists, show_groups, lab, name_of)
        doc.figure(figs.save(fig, "closure_times"),
                   lab.text("Closure-time distributions", "办结时间分布"))
        rows = []
        for g in show_groups:
            h = hists[g]
            resolved, total = counts[g]
            rows.append({lab.text("group", "组"): name_of(g),
                         "issues": total, "resolved": resolved,
                         "median days": fmt(hist_quantile(h, 0.5)),
                         "p90 days": fmt(hist_quantile(h, 0.9)),
                         "p99 days": fmt(hist_quantile(h, 0.99))})
        ct = pd.DataFrame(rows)
        ct.to_csv(tables / "closure_times.csv", index=False)
        doc.p(f"From the issues tables of {read} runs (resolved issues; days from raised "
              "to resolved).")
        doc.table(ct)

    # Replicates: enough?
    conv_by = "point" if kind == "sweep" else by
    conv = an.ci_convergence(runs, outcomes, by=conv_by)
    conv.to_csv(tables / "ci_convergence.csv", index=False)
    if not conv.empty:
        doc.h2(lab.text("Are there enough replicates?", "重复次数是否足够"))
        doc.p("95% CI half-width from the first n/4, n/2 and all n replicates, as a share "
              "of the mean (median over groups). It should fall about as 1/√n; "
              "'replicates for ±5%' projects, from the observed spread, the replicates a "
              "±5%-of-mean interval needs.")
        fig = fig_convergence(conv, conv_by, outcomes, lab)
        doc.figure(figs.save(fig, "ci_convergence"),
                   lab.text("CI half-width against replicates", "置信区间半宽与重复次数"))
        need_label = ("replicates for ±5% (median point)" if kind == "sweep"
                      else "replicates for ±5% (every scenario)")
        rows = []
        for outc in outcomes:
            sub = conv[conv["outcome"] == outc]
            row: dict[str, Any] = {lab.text("outcome", "指标"): lab.outcome(outc)}
            for k, grp in sub.groupby("replicates"):
                v = grp["relative_half_width"].median()
                row[f"n={k}"] = f"±{v * 100:.1f}%" if math.isfinite(v) else "–"
            need = (sub["replicates_needed"].median() if kind == "sweep"
                    else sub["replicates_needed"].max())
            row[need_label] = f"{need:.0f}" if math.isfinite(need) else "–"
            rows.append(row)
        doc.table(pd.DataFrame(rows))

    # Sensitivity (sweeps).
    if kind == "sweep":
        _sensitivity(root, manifest, runs, outcomes, design, doc, figs, tables, lab)

    doc.h2(lab.text("Reproduce", "复现"))
    doc.p(f"Spec: {manifest.get('spec_file')}. Every run's scenario, seed and tables are in "
          f"{root}/runs/<run_id>/; combined tables: runs.parquet, daily.parquet; "
          "manifest.json records the spec, seeds and versions.")
    (out / "report.html").write_text(doc.render_html(), encoding="utf-8")
    (out / "report.md").write_text(doc.render_md(), encoding="utf-8")


EQUITY_GAPS: tuple[str, ...] = (
    "known_share_gap_types", "on_time_share_gap_types", "days_to_resolve_gap_types",
    "known_share_gap_elderly", "known_share_gap_offline", "known_share_gap_floating",
    "on_time_share_gap_elderly", "on_time_share_gap_offline", "on_time_share_gap_floating",
)


def _equity(runs: pd.DataFrame, by: str, groups: Sequence[Any], name_of: Any,
            manifest: dict[str, Any], doc: _Doc, tables: Path, lab: _Labels) -> None:
    """The equity gaps of every group with a 95% interval, and paired against the
    reference in a batch: who is left behind, by neighbourhood type and resident group."""
    gaps = [c for c in EQUITY_GAPS if c in runs.columns and runs[c].notna().any()]
    if not gaps:
        return
    summary = an.group_summary(runs, gaps, by=by)
    summary.to_csv(tables / "equity_gaps.csv", index=False)
    doc.h2(lab.text("Who is left behind: equity gaps", "谁被落下：公平差距"))
    doc.p(lab.text(
        "Across neighbourhood types: highest minus lowest type. For a resident group "
        "(elderly, offline, floating population): the group minus everyone else; a "
        "negative known share means the group's issues become known less often [P9]. "
        "Mean over replicates [95% t-interval]; shares in percentage points.",
        "社区类型之间：最高减最低；人群（老年人、无数字接入者、流动人口）：该人群减其他人。"
        "知晓率为负表示该人群的问题更少被知晓 [P9]。重复运行均值 [95% 置信区间]。"))
    wide = pd.DataFrame({lab.text("scenario", "情景"): [name_of(g) for g in groups]})
    for gap in gaps:
        cells = []
        for g in groups:
            r = summary[(summary[by] == g) & (summary["outcome"] == gap)]
            if r.empty or not math.isfinite(r.iloc[0]["mean"]):
                cells.append("–")
                continue
            r0 = r.iloc[0]
            cells.append(f"{fmt(r0['mean'], gap, True)} [{fmt(r0['ci_low'], gap, True)}, "
                         f"{fmt(r0['ci_high'], gap, True)}]")
        wide[lab.outcome(gap)] = cells
    doc.table(wide)
    ref = manifest.get("reference")
    if by == "scenario" and ref in set(runs["scenario"]) and len(groups) > 1:
        diffs = an.paired_differences(runs, ref, gaps)
        diffs.to_csv(tables / "equity_paired_differences.csv", index=False)
        moved = diffs[(diffs["ci_low"] > 0) | (diffs["ci_high"] < 0)]
        if moved.empty:
            doc.p(lab.text("No scenario moves any gap measurably against the reference.",
                           "与参照情景相比，没有情景明显改变任何差距。"))
        else:
            doc.bullets([
                f"{lab.scenario(r.scenario)}: {lab.outcome(r.outcome)} "
                f"{fmt(r.mean_diff, r.outcome, True)} [{fmt(r.ci_low, r.outcome, True)}, "
                f"{fmt(r.ci_high, r.outcome, True)}]" for r in moved.itertuples()])


def _description(root: Path, runs: pd.DataFrame, scenario: Any) -> str:
    """The ``description`` of a scenario, from one of its runs' ``scenario.toml``."""
    import tomllib

    ok = runs[(runs["scenario"] == scenario) & (runs["status"] == "ok")]
    if ok.empty:
        return ""
    path = root / "runs" / str(ok["run_id"].iloc[0]) / "scenario.toml"
    try:
        return str(tomllib.loads(path.read_text(encoding="utf-8")).get("description", ""))
    except (OSError, ValueError):
        return ""


def _headlines(diffs: pd.DataFrame, lab: _Labels) -> list[str]:
    out = []
    for _, r in diffs.iterrows():
        lo, hi = r["ci_low"], r["ci_high"]
        if math.isfinite(lo) and math.isfinite(hi) and (lo > 0 or hi < 0):
            o = r["outcome"]
            out.append(f"{lab.scenario(r['scenario'])}: {lab.outcome(o)} "
                       f"{fmt(r['mean_diff'], o, True)} [{fmt(lo, o, True)}, "
                       f"{fmt(hi, o, True)}] (n={int(r['n_pairs'])})")
    return out[:80]


def _sensitivity(root: Path, manifest: dict[str, Any], runs: pd.DataFrame,
                 outcomes: Sequence[str], design: dict[str, Any], doc: _Doc,
                 figs: _Figures, tables: Path, lab: _Labels) -> None:
    dkind = design.get("kind")
    keys = list(design.get("keys", []))
    shown = list(outcomes)[:9]
    if dkind == "sobol":
        sens = an.sobol_indices(manifest, runs, shown)
        title = lab.text("Sensitivity: Sobol' indices", "敏感性分析：Sobol指数")
        text = ("S1: share of the outcome's variance due to the parameter alone; ST: "
                "including its interactions. Computed with SALib on per-point means over "
                "replicates; intervals are SALib's 95% bootstrap intervals.")
    elif dkind == "morris":
        import pyarrow.parquet as pq

        d = pq.read_table(root / "design.parquet").to_pandas()
        unit = d[[f"unit:{k}" for k in keys]].to_numpy(dtype=float)
        sens = an.morris_indices(manifest, runs, unit, shown)
        title = lab.text("Sensitivity: Morris screening", "敏感性分析：Morris筛选")
        text = ("μ*: mean absolute elementary effect over a parameter's whole range (large: "
                "influential); σ: spread of the effects (large: non-linear or interacting).")
    else:
        sens = an.rank_correlations(runs, keys, shown)
        dkind = "rank"
        title = lab.text("Sensitivity: rank correlations", "敏感性分析：秩相关")
        text = "Spearman rank correlation between each parameter and each outcome, over runs."
    sens.to_csv(tables / "sensitivity.csv", index=False)
    doc.h2(title)
    doc.p(text)
    fig = fig_sensitivity(sens, dkind, shown, lab)
    doc.figure(figs.save(fig, "sensitivity"), title)
    t = sens.copy()
    t["outcome"] = [lab.outcome(o) for o in t["outcome"]]
    for c in t.columns:
        if pd.api.types.is_float_dtype(t[c]):
            t[c] = [f"{v:.3f}" if math.isfinite(v) else "–" for v in t[c]]
    doc.table(t)
