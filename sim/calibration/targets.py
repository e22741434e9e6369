"""Observed patterns as data, and the statistics of a run that stand for them.

A targets file (``calibration/targets.toml``) lists each pattern: its source (a fact
id), observed value, tolerance, the run statistic it is compared with and its role
(``fitted`` by the calibration, ``held_out`` for validation, or an ``input`` the
scenario sets directly). The statistics below are computed from a run's tables
(summary, daily, issues), never by changing the model.

Closure times follow NYC 311's "days to close" [P7]: from becoming known to resolved.
Issues known in the first tenth of a run (warm-up) or in its last ``horizon`` days
(not yet able to close) are left out; those still open at the end count as not closed
(an infinite closure time), so quantiles and shares are not flattered by censoring.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import InputError
from sim.scenario import Scenario, read_toml

ROLES: tuple[str, ...] = ("fitted", "held_out", "input")


class TargetsError(InputError):
    """A targets file is wrong; the message is one line naming the file and key."""


@dataclass(frozen=True)
class RunTables:
    """What a statistic may read from one run."""

    scenario: Scenario
    summary: Mapping[str, float]
    daily: pd.DataFrame
    issues: pd.DataFrame

    @property
    def days(self) -> int:
        return len(self.daily)


# ----------------------------------------------------------------------- statistics


def _window(t: RunTables, horizon: float) -> pd.DataFrame:
    """Issues known after the warm-up and at least ``horizon`` days before the end."""
    iss = t.issues
    warm = t.days // 10
    known = iss["known_at"]
    return iss[(known >= warm) & (known < t.days - horizon)]


def _closure_horizon(t: RunTables) -> float:
    # 60 days in a year's run; never under 7 (the 7-day share must be exact).
    return float(max(7, min(60, t.days // 6)))


def closure_days(t: RunTables) -> np.ndarray:
    """Days from known to resolved for issues in the window; inf if still open."""
    w = _window(t, _closure_horizon(t))
    d = (w["resolved_at"] - w["known_at"]).to_numpy(dtype=float)
    return np.where(np.isnan(d), np.inf, d)


def _quantile(p: float) -> Callable[[RunTables], float]:
    def stat(t: RunTables) -> float:
        d = closure_days(t)
        if d.size == 0:
            return float("nan")
        # inverted_cdf returns an observed value, so an open issue (inf) never enters
        # an interpolation.
        return float(np.quantile(d, p, method="inverted_cdf"))
    stat.__doc__ = f"Quantile {p} of the days from known to resolved [P7]."
    return stat


def closure_mean_days(t: RunTables) -> float:
    """Mean days from known to resolved over issues resolved (NYC 311 means are over
    closed requests) [P7]."""
    d = closure_days(t)
    d = d[np.isfinite(d)]
    return float(d.mean()) if d.size else float("nan")


def closure_within_7d(t: RunTables) -> float:
    """Share of known issues resolved within 7 days of becoming known [P7]."""
    d = closure_days(t)
    return float((d <= 7.0).mean()) if d.size else float("nan")


def closure_fall_on_high_load(t: RunTables) -> float:
    """7-day closure share on low-load days minus on high-load days [P7].

    A day's load is the number of issues that became known that day; high-load days
    have more than the median day of the window, low-load days fewer.
    """
    w = _window(t, _closure_horizon(t))
    if w.empty:
        return float("nan")
    day = np.floor(w["known_at"].to_numpy()).astype(np.int64)
    d = (w["resolved_at"] - w["known_at"]).to_numpy(dtype=float)
    ok = np.nan_to_num(d, nan=np.inf) <= 7.0
    load = np.bincount(day)
    days_in = np.unique(day)
    med = np.median(load[days_in])
    high, low = load[day] > med, load[day] < med
    if not high.any() or not low.any():
        return float("nan")
    return float(ok[low].mean() - ok[high].mean())


def hotline_resolved_30d(t: RunTables) -> float:
    """Share of hotline (12345) reports resolved within 30 days of the call [P5].

    Beijing's resolution rate counts requests the hotline took; here the hotline's work
    orders, known at least 30 days (a third of a short run) before the end.
    """
    horizon = float(min(30, max(1, t.days // 3)))
    w = _window(t, horizon)
    w = w[w["channel"] == "hotline"]
    if w.empty:
        return float("nan")
    d = (w["resolved_at"] - w["known_at"]).to_numpy(dtype=float)
    return float((np.nan_to_num(d, nan=np.inf) <= horizon).mean())


def settled_directly(t: RunTables) -> float:
    """Share of 12345 contacts settled directly [P6]: enquiries (answered at intake,
    ``enquiries_per_request`` per work order [P5]) plus hotline orders resolved by the
    first unit they were dispatched to (never passed up a level), over all contacts.

    Tangshan counts what the hotline itself settles; the model's intake settles
    enquiries only, so "directly" is read as "without escalation" (a rough analogue).
    """
    w = _window(t, _closure_horizon(t))
    w = w[w["channel"] == "hotline"]
    if w.empty:
        return float("nan")
    enquiries = len(w) * t.scenario.platform.enquiries_per_request
    direct = int((w["resolved_at"].notna() & (w["escalations"] == 0)).sum())
    return float((enquiries + direct) / (enquiries + len(w)))


def share_needing_action(t: RunTables) -> float:
    """Share of hotline contacts that are work orders (the rest are enquiries) [P5]."""
    return 1.0 / (1.0 + t.scenario.platform.enquiries_per_request)


def households_per_grid_worker(t: RunTables) -> float:
    """Households a grid worker serves: residents / household size / grid workers [P4]."""
    workers = t.summary.get("grid_workers") or 0
    if not workers:
        return float("nan")
    return float(t.summary["residents"] / t.scenario.neighbourhoods.household_size / workers)


# ------------------------------------------------ measured as an export is (fit-orders)

PLATFORM_CHANNELS = ("hotline", "app", "rider")  # residents' requests to the platform


def _orders(t: RunTables) -> tuple[np.ndarray, np.ndarray]:
    """Requests to the platform known after the warm-up: days from known to the
    platform's closing (``closed_at``), open ones censored at the run's end — as
    ``govsim fit-orders`` measures an export and the model (sim/orders/check.py)."""
    iss = t.issues
    k = iss[(iss["known_at"] >= t.days // 10)
            & iss["channel"].astype(str).isin(PLATFORM_CHANNELS)]
    col = "closed_at" if "closed_at" in k else "resolved_at"
    end = k[col].to_numpy(dtype=float)
    at = k["known_at"].to_numpy(dtype=float)
    closed = ~np.isnan(end)
    return np.maximum(np.where(closed, end - at, float(t.days) - at), 0.0), closed


def _km(t: RunTables) -> Any:
    from scipy import stats

    d, closed = _orders(t)
    if not closed.any():
        return None
    return stats.ecdf(stats.CensoredData(uncensored=d[closed], right=d[~closed])).cdf


def _order_quantile(p: float) -> Callable[[RunTables], float]:
    def stat(t: RunTables) -> float:
        cdf = _km(t)
        if cdf is None:
            return float("nan")
        i = int(np.searchsorted(cdf.probabilities, p - 1e-12))
        return float(cdf.quantiles[i]) if i < cdf.quantiles.size else float("inf")
    stat.__doc__ = (f"Kaplan-Meier quantile {p} of requests' days from known to closed, "
                    "as fit-orders measures an export.")
    return stat


def orders_mean_days(t: RunTables) -> float:
    """Mean days from known to closed over requests closed (an export's mean)."""
    d, closed = _orders(t)
    return float(d[closed].mean()) if closed.any() else float("nan")


def orders_within_7d(t: RunTables) -> float:
    """Kaplan-Meier share of requests closed within 7 days (an export's)."""
    cdf = _km(t)
    return float("nan") if cdf is None else float(cdf.evaluate(7.0))


STATISTICS: dict[str, Callable[[RunTables], float]] = {
    "closure_q1_days": _quantile(0.25),
    "closure_median_days": _quantile(0.5),
    "closure_q3_days": _quantile(0.75),
    "closure_mean_days": closure_mean_days,
    "closure_within_7d": closure_within_7d,
    "closure_fall_on_high_load": closure_fall_on_high_load,
    "hotline_resolved_30d": hotline_resolved_30d,
    "settled_directly": settled_directly,
    "share_needing_action": share_needing_action,
    "households_per_grid_worker": households_per_grid_worker,
    "orders_q1_days": _order_quantile(0.25),
    "orders_median_days": _order_quantile(0.5),
    "orders_q3_days": _order_quantile(0.75),
    "orders_mean_days": orders_mean_days,
    "orders_within_7d": orders_within_7d,
}


def statistic(name: str, t: RunTables) -> float:
    """A computed statistic, or a ``summary.json`` key of the run."""
    if name in STATISTICS:
        return STATISTICS[name](t)
    value = t.summary.get(name)
    return float("nan") if value is None else float(value)


# --------------------------------------------------------------------- the file


class Target(BaseModel):
    """One observed pattern."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str = Field(min_length=1)
    source: str = Field(min_length=1)
    label_en: str
    label_zh: str
    statistic: str
    value: float
    tolerance: float = Field(gt=0)
    role: Literal["fitted", "held_out", "input"]
    variant: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _ints_are_floats(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in ("value", "tolerance"):
                if isinstance(data.get(key), int) and not isinstance(data.get(key), bool):
                    data = {**data, key: float(data[key])}
        return data

    def within(self, model_value: float) -> bool:
        return bool(np.isfinite(model_value) and abs(model_value - self.value)
                    <= self.tolerance)


@dataclass(frozen=True)
class Targets:
    """The targets of a file, with the folder their variants are relative to."""

    path: Path
    items: tuple[Target, ...]

    def by_role(self, role: str) -> list[Target]:
        return [t for t in self.items if t.role == role]

    def named(self, names: list[str] | None) -> list[Target]:
        if names is None:
            return self.by_role("fitted")
        by = {t.name: t for t in self.items}
        return [by[n] for n in names]

    def with_extra(self, extra: list[Target]) -> Targets:
        names = {t.name for t in self.items}
        clash = [t.name for t in extra if t.name in names]
        if clash:
            raise TargetsError(f"{self.path}: target {clash[0]!r} is given twice (the "
                               "targets file and --targets-from)")
        return Targets(self.path, self.items + tuple(extra))

    def variant_path(self, target: Target) -> Path | None:
        return None if target.variant is None else (self.path.parent / target.variant)

    def __iter__(self):
        return iter(self.items)


def load_targets(path: str | Path, summary_keys: list[str] | None = None) -> Targets:
    """Read and check a targets file; raises :class:`TargetsError` with one line."""
    path = Path(path)
    raw = read_toml(path, "targets file", TargetsError)
    rows = raw.get("target")
    extra = sorted(set(raw) - {"target"})
    if extra:
        raise TargetsError(f"{path}: {extra[0]}: unknown key; allowed: target (a list of "
                           "[[target]] tables)")
    if not isinstance(rows, list) or not rows:
        raise TargetsError(f"{path}: target: give at least one [[target]] table")
    items: list[Target] = []
    for i, row in enumerate(rows):
        try:
            item = Target.model_validate(row)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            key = ".".join(str(p) for p in err["loc"])
            raise TargetsError(f"{path}: target[{i}].{key}: {err['msg']}") from None
        known = summary_keys is None or item.statistic in summary_keys
        if item.statistic not in STATISTICS and not known:
            raise TargetsError(
                f"{path}: target[{i}].statistic: unknown {item.statistic!r}; allowed: "
                f"{', '.join(STATISTICS)} or a summary.json key")
        if item.variant is not None and not (path.parent / item.variant).is_file():
            raise TargetsError(f"{path}: target[{i}].variant: no such scenario file "
                               f"{item.variant!r} beside the targets file")
        if any(t.name == item.name for t in items):
            raise TargetsError(f"{path}: target[{i}].name: {item.name!r} is listed twice")
        items.append(item)
    return Targets(path, tuple(items))


EXPORT_STATS: dict[str, tuple[str, str, str]] = {
    # fit.json closure key -> (statistic, English label, Chinese label)
    "q1": ("orders_q1_days", "days to close, first quartile", "办结天数下四分位数"),
    "median": ("orders_median_days", "days to close, median", "办结天数中位数"),
    "q3": ("orders_q3_days", "days to close, third quartile", "办结天数上四分位数"),
    "mean": ("orders_mean_days", "days to close, mean of closed", "已办结工单平均天数"),
    "within7": ("orders_within_7d", "share closed within 7 days", "7天内办结占比"),
}


def export_targets(path: str | Path, days: int) -> list[Target]:
    """Targets from an export's ``fit.json`` (``govsim fit-orders``): its fitted part's
    closure days as fitted targets, its holdout's as held out. Tolerances are the
    fit-orders check's bands: 15% of the value for quartiles and the mean, 5 points for
    the 7-day share. The mean of closed orders depends on how long orders were watched,
    so the fitted part's is taken re-weighted to a run of ``days`` (the window after the
    first tenth: ``closure.data_mean_by_window``), where fit.json has it."""
    import json

    path = Path(path)
    try:
        fit = json.loads(path.read_text(encoding="utf-8"))
        closure, files = fit["closure"], fit["export"]["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TargetsError(f"{path}: not a fit-orders fit.json ({exc.__class__.__name__}: "
                           f"{exc})") from None
    name = "+".join(f["name"] for f in files)
    source = f"{name} (sha256 {files[0]['sha256'][:16]}; {path.name})"
    stem = re.sub(r"[^A-Za-z0-9]+", "_", Path(files[0]["name"]).stem).strip("_").lower()
    window = days - days // 10
    out: list[Target] = []
    for part, role in (("data", "fitted"), ("holdout", "held_out")):
        summary = closure.get(part) or {}
        if not summary.get("n"):
            continue
        for key, (stat, en, zh) in EXPORT_STATS.items():
            value = summary.get(key)
            if key == "mean" and part == "data" and closure.get("data_mean_by_window"):
                value = _at_window(closure["data_mean_by_window"], window)
            if value is None:
                continue
            tol = 0.05 if key == "within7" else 0.15 * abs(float(value))
            out.append(Target(
                name=f"{stem}_{part}_{key}", source=source, statistic=stat,
                label_en=f"{name}, {'fitted part' if part == 'data' else 'holdout'}: {en}",
                label_zh=f"{name}（{'拟合部分' if part == 'data' else '留出部分'}）：{zh}",
                value=float(value), tolerance=max(tol, 1e-6), role=role))
    if not out:
        raise TargetsError(f"{path}: no closure figures (closure.data / closure.holdout)")
    return out


def _at_window(table: Mapping[str, float], window: float) -> float:
    """Linear interpolation in a {window days: mean} table."""
    xs = np.array(sorted(float(k) for k in table))
    ys = np.array([table[k] for k in sorted(table, key=float)], dtype=float)
    return float(np.interp(window, xs, ys))


def evaluate(targets: list[Target], runs: Mapping[str | None, RunTables]) -> dict[str, float]:
    """Each target's statistic, from the run of its variant (``None``: the base)."""
    return {t.name: statistic(t.statistic, runs[t.variant]) for t in targets}
