"""Fitting an export: arrivals, the share settled on the call, closure times.

* Arrivals: a Poisson GLM (statsmodels) of counts per weekday x hour (x month, when
  the fitted part spans a year) with the hours of each cell as exposure, per scenario
  category and in all.
* Settled on the call (直办) vs passed on (转办): a share with its Wilson interval.
* Closure days, from the request to closing, with open orders right-censored: the
  Kaplan-Meier quartiles and 7-day share (``scipy.stats.ecdf``), the mean over closed
  orders (as NYC 311 reports it), and lognormal / gamma / Weibull fitted by maximum
  likelihood on ``scipy.stats.CensoredData``, the best by AIC.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

# A closure of zero (closed the same second) has no log: durations are floored at one
# minute for the parametric fits only (the Kaplan-Meier figures use the times as read).
MIN_DAYS = 1.0 / 1440.0
MAX_FIT_ROWS = 20_000  # a seeded sample of a bigger group: the MLE is stable by then
MIN_GROUP = 30  # a category or unit with fewer closed orders is not fitted on its own
MAX_UNITS = 20
FAMILIES: dict[str, Any] = {"lognormal": stats.lognorm, "gamma": stats.gamma,
                            "weibull": stats.weibull_min}
NIGHT_HOURS = (22, 23, 0, 1, 2, 3, 4, 5, 6)  # as the scenario's residents.night_share


def closure_summary(days: np.ndarray, closed: np.ndarray) -> dict[str, Any]:
    """Kaplan-Meier quartiles and share within 7 days; mean over the closed ones."""
    days = np.asarray(days, dtype=float)
    closed = np.asarray(closed, dtype=bool)
    n = int(days.size)
    out: dict[str, Any] = {"n": n, "open": int((~closed).sum()), "q1": None,
                           "median": None, "q3": None, "mean": None, "within7": None}
    if n == 0 or not closed.any():
        return out
    km = stats.ecdf(stats.CensoredData(uncensored=days[closed], right=days[~closed]))
    times, probs = km.cdf.quantiles, km.cdf.probabilities
    for key, p in (("q1", 0.25), ("median", 0.5), ("q3", 0.75)):
        i = int(np.searchsorted(probs, p - 1e-12))
        out[key] = float(times[i]) if i < times.size else None  # not reached: censored
    out["within7"] = float(km.cdf.evaluate(7.0))
    out["mean"] = float(days[closed].mean())
    return out


def weighted_km(days: np.ndarray, closed: np.ndarray, weights: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """The Kaplan-Meier distribution function of closure days with each order counted
    ``weights`` times (statsmodels ``SurvfuncRight`` with ``freq_weights``): the event
    times and the share closed by each."""
    from statsmodels.duration.survfunc import SurvfuncRight

    sf = SurvfuncRight(np.asarray(days, dtype=float), np.asarray(closed, dtype=int),
                       freq_weights=np.asarray(weights, dtype=float))
    return np.asarray(sf.surv_times, dtype=float), 1.0 - np.asarray(sf.surv_prob,
                                                                     dtype=float)


def weighted_closure_summary(days: np.ndarray, closed: np.ndarray, weights: np.ndarray
                             ) -> dict[str, Any]:
    """:func:`closure_summary` with each order counted ``weights`` times (weighted
    Kaplan-Meier quartiles and 7-day share; the weighted mean of closed orders)."""
    days = np.asarray(days, dtype=float)
    closed = np.asarray(closed, dtype=bool)
    w = np.asarray(weights, dtype=float)
    out: dict[str, Any] = {"n": int(days.size), "open": int((~closed).sum()),
                           "effective_n": float(w.sum() ** 2 / (w * w).sum())
                           if w.size else 0.0,
                           "q1": None, "median": None, "q3": None, "mean": None,
                           "within7": None}
    if days.size == 0 or not closed.any():
        return out
    times, cdf = weighted_km(days, closed, w)
    for key, p in (("q1", 0.25), ("median", 0.5), ("q3", 0.75)):
        i = int(np.searchsorted(cdf, p - 1e-12))
        out[key] = float(times[i]) if i < times.size else None
    j = int(np.searchsorted(times, 7.0, side="right"))
    out["within7"] = float(cdf[j - 1]) if j else 0.0
    out["mean"] = float(np.average(days[closed], weights=w[closed]))
    return out


def mean_under_followup(days: np.ndarray, closed: np.ndarray, window: float,
                        weights: np.ndarray | None = None) -> float | None:
    """Mean of closed orders had they been watched as the model's are: requested evenly
    over ``window`` days and watched to its end, so that an order of T days is closed in
    it with chance max(0, 1 - T / window). T's distribution is the Kaplan-Meier estimate
    of the orders as exported (their own censoring undone), each order counted
    ``weights`` times if given (:func:`weighted_km`)."""
    days, closed = np.asarray(days, dtype=float), np.asarray(closed, dtype=bool)
    if not closed.any():
        return None
    if weights is None:
        km = stats.ecdf(stats.CensoredData(uncensored=days[closed], right=days[~closed]))
        t, cdf = km.cdf.quantiles, km.cdf.probabilities
    else:
        t, cdf = weighted_km(days, closed, weights)
    mass = np.diff(np.concatenate([[0.0], cdf]))
    w = mass * np.clip(1.0 - t / window, 0.0, None)
    return float((t * w).sum() / w.sum()) if w.sum() > 0 else None


def recency_weights(created: pd.Series, end: pd.Timestamp, half_life_days: float
                    ) -> np.ndarray:
    """Weights halving every ``half_life_days`` back from ``end`` (the holdout's start,
    or the fitted part's last request): the fitted part's recent orders count most,
    as the best guide to the months after it; ``0`` (or less) weights every order
    alike."""
    if not half_life_days or half_life_days <= 0:
        return np.ones(len(created))
    age = (end - created).dt.total_seconds().to_numpy(dtype=float) / 86400.0
    return np.power(0.5, np.maximum(age, 0.0) / float(half_life_days))


def means_by_window(days: np.ndarray, closed: np.ndarray) -> dict[str, float]:
    """The re-weighted mean of closed orders for windows of 30 to 1,080 days (what
    ``govsim calibrate --targets-from`` reads for its run's window)."""
    out = {}
    for w in range(30, 1081, 30):
        m = mean_under_followup(days, closed, float(w))
        if m is not None:
            out[str(w)] = round(m, 4)
    return out


def fit_families(days: np.ndarray, closed: np.ndarray, seed: int = 0) -> dict[str, Any]:
    """Lognormal, gamma and Weibull MLE on censored closure days; the best by AIC."""
    days = np.maximum(np.asarray(days, dtype=float), MIN_DAYS)
    closed = np.asarray(closed, dtype=bool)
    n_all = int(days.size)
    if days.size > MAX_FIT_ROWS:
        pick = np.random.default_rng(seed).choice(days.size, MAX_FIT_ROWS, replace=False)
        days, closed = days[pick], closed[pick]
    data = stats.CensoredData(uncensored=days[closed], right=days[~closed])
    logs = np.log(days[closed])
    out: dict[str, Any] = {"n": n_all, "n_fitted": int(days.size),
                           "floor_days": MIN_DAYS, "families": {}}
    for name, dist in FAMILIES.items():
        guess = (logs.std() or 1.0,) if name == "lognormal" else (1.0,)
        try:
            shape, _, scale = dist.fit(data, *guess, floc=0)
        except (ValueError, RuntimeError, FloatingPointError):
            continue
        ll = float(dist.logpdf(days[closed], shape, 0, scale).sum()
                   + dist.logsf(days[~closed], shape, 0, scale).sum())
        if not math.isfinite(ll):
            continue
        frozen = dist(shape, 0, scale)
        entry = {"shape": float(shape), "scale": float(scale), "loglik": ll,
                 "aic": 2 * 2 - 2 * ll, "mean": float(frozen.mean()),
                 "median": float(frozen.median())}
        if name == "lognormal":
            entry |= {"mu": float(np.log(scale)), "sigma": float(shape)}
        out["families"][name] = entry
    if out["families"]:
        best = min(out["families"], key=lambda k: out["families"][k]["aic"])
        ranked = sorted(out["families"].values(), key=lambda e: e["aic"])
        out["best"] = best
        out["aic_margin"] = (ranked[1]["aic"] - ranked[0]["aic"]) if len(ranked) > 1 \
            else None
    return out


def closure_fits(frame: pd.DataFrame, by: str | None, limit: int | None = None,
                 progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Summary and family fits for the whole frame or per value of ``by``."""
    if by is None:
        groups: list[tuple[str, pd.DataFrame]] = [("all", frame)]
    else:
        counts = frame[by].value_counts()
        counts = counts[counts >= MIN_GROUP]
        if limit:
            counts = counts.head(limit)
        groups = [(str(k), frame[frame[by] == k]) for k in counts.index]
    out = {}
    for i, (name, g) in enumerate(groups):
        d, c = g["days"].to_numpy(), g["is_closed"].to_numpy()
        out[name] = {"summary": closure_summary(d, c), "fit": fit_families(d, c, seed=i)}
        if progress:
            progress(name)
    return out


def exposure(start: pd.Timestamp, stop: pd.Timestamp, by_month: bool) -> pd.DataFrame:
    """Hours of the period in each weekday x hour (x month) cell."""
    hours = pd.date_range(start.floor("h"), stop.ceil("h"), freq="h", inclusive="left")
    cells = pd.DataFrame({"weekday": hours.day_of_week, "hour": hours.hour,
                          "month": hours.month if by_month else 0})
    return cells.value_counts().rename("exposure").reset_index()


def arrivals(frame: pd.DataFrame, start: pd.Timestamp, stop: pd.Timestamp,
             by: str = "scenario_category") -> dict[str, Any]:
    """Poisson GLM of arrivals per weekday x hour (x month) with exposure, by ``by``."""
    span = (stop - start).total_seconds() / 86400.0
    by_month = span >= 365.0
    cells = exposure(start, stop, by_month)
    t = frame["created"]
    keys = pd.DataFrame({"weekday": t.dt.day_of_week.to_numpy(), "hour": t.dt.hour.to_numpy(),
                         "month": t.dt.month.to_numpy() if by_month else 0,
                         "group": frame[by].astype(object).fillna("(unmapped)").to_numpy()})
    out: dict[str, Any] = {"days": span, "by_month": by_month, "groups": {}}
    groups = ["all"] + [g for g, n in keys["group"].value_counts().items() if n >= MIN_GROUP]
    for group in groups:
        sub = keys if group == "all" else keys[keys["group"] == group]
        counts = sub.groupby(["weekday", "hour", "month"]).size().rename("count")
        table = cells.merge(counts.reset_index(), on=["weekday", "hour", "month"],
                            how="left").fillna({"count": 0})
        out["groups"][str(group)] = _glm(table, by_month, len(sub), span)
    return out


def _glm(table: pd.DataFrame, by_month: bool, n: int, span: float) -> dict[str, Any]:
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    formula = "count ~ C(weekday) + C(hour)" + (" + C(month)" if by_month else "")
    res: dict[str, Any] = {"rows": int(n), "rate_per_day": n / span if span else None}
    obs_wd = table.groupby("weekday")["count"].sum() / table.groupby("weekday")[
        "exposure"].sum() * 24
    obs_h = table.groupby("hour")["count"].sum() / table.groupby("hour")["exposure"].sum()
    res["observed_per_day_by_weekday"] = [float(v) for v in obs_wd.reindex(range(7),
                                                                           fill_value=0)]
    res["observed_per_hour_by_hour"] = [float(v) for v in obs_h.reindex(range(24),
                                                                        fill_value=0)]
    try:
        model = smf.glm(formula, data=table, family=sm.families.Poisson(),
                        offset=np.log(table["exposure"].to_numpy(dtype=float))).fit()
    except (ValueError, np.linalg.LinAlgError) as exc:  # e.g. a category in one hour only
        res["glm_error"] = str(exc).splitlines()[0]
        return res
    pred = table.assign(mu=model.predict(table, offset=np.zeros(len(table))))
    for key, size, name in (("weekday", 7, "weekday"), ("hour", 24, "hour"),
                            ("month", 12, "month")):
        if key == "month" and not by_month:
            res["month_factor"] = None
            continue
        level = pred.groupby(key)["mu"].mean().reindex(
            range(size) if key != "month" else range(1, 13))
        res[f"{name}_factor"] = [None if not np.isfinite(v) else float(v)
                                 for v in (level / level.mean()).to_numpy()]
    res["deviance"] = float(model.deviance)
    res["df_resid"] = float(model.df_resid)
    res["dispersion"] = float(model.pearson_chi2 / model.df_resid) if model.df_resid else None
    return res


def settled_share(frame: pd.DataFrame) -> dict[str, Any]:
    """Share settled on the call (直办) vs passed on (转办), with a 95% Wilson interval."""
    from statsmodels.stats.proportion import proportion_confint

    s = frame["settled"]
    known = s.notna()
    n, k = int(known.sum()), int(s[known].sum()) if known.any() else 0
    out: dict[str, Any] = {"known": n, "settled": k, "passed_on": n - k, "share": None,
                           "ci95": None}
    if n:
        lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
        out |= {"share": k / n, "ci95": [float(lo), float(hi)]}
    return out


def call_types(frame: pd.DataFrame) -> dict[str, int]:
    """来电类别 (咨询 / 求助 / 投诉 / 建议) counts, when the export has them."""
    vc = frame["call_type"].value_counts()
    return {str(k): int(v) for k, v in vc.items()}


def night_share(frame: pd.DataFrame) -> float:
    return float(frame["created"].dt.hour.isin(NIGHT_HOURS).mean())


def deadlines(frame: pd.DataFrame) -> dict[str, float]:
    """Median days from the request to its due time, per scenario category."""
    d = frame[frame["due_days"].notna() & (frame["due_days"] > 0)]
    if d.empty:
        return {}
    med = d.groupby("scenario_category", observed=True)["due_days"].median()
    return {str(k): float(v) for k, v in med.items()}


def working_time(times: pd.Series, start: pd.Timestamp, per_week: int = 5) -> np.ndarray:
    """Working days from ``start`` (a midnight) to each time, on the Chinese working
    calendar (``sim.holidays``: public holidays off, make-up workdays on, Spring
    Festival by the published dates or the 2025 rule): a day off adds nothing."""
    from sim.holidays import WorkCalendar
    from sim.scenario import Calendar

    cal = WorkCalendar(Calendar(start_date=start.date().isoformat(), holidays=True))
    t = (times - start).dt.total_seconds().to_numpy(dtype=float) / 86400.0
    day = np.floor(t).astype(int)
    work = cal.days(per_week, int(day.max()) + 1 if day.size else 1)
    cum = np.concatenate(([0], np.cumsum(work)))
    return cum[day] + np.where(work[day], t - day, 0.0)


def deadlines_working(frame: pd.DataFrame) -> dict[str, float]:
    """Median working days from the request to its due time, per scenario category
    (:func:`working_time`): a 12345 platform's time limits are working days [P11]."""
    d = frame[frame["due"].notna() & frame["due_days"].notna() & (frame["due_days"] > 0)]
    if d.empty:
        return {}
    start = d["created"].min().floor("D")
    span = working_time(d["due"], start) - working_time(d["created"], start)
    med = d.assign(working=span).groupby("scenario_category", observed=True)[
        "working"].median()
    return {str(k): float(v) for k, v in med.items()}


def counts_by(frame: pd.DataFrame, col: str, limit: int = 30) -> dict[str, int]:
    vc = frame[col].value_counts()
    return {str(k): int(v) for k, v in vc.head(limit).items()}
