"""The fit recovers what a generated export was made with."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.orders import fit as F
from sim.orders.pipeline import fit_exports
from sim.orders.synth import WEEKDAY, generate
from sim.scenario import DEFAULT_CATEGORIES

CATS = list(DEFAULT_CATEGORIES)


def _export(tmp_path, **kw) -> str:
    path = tmp_path / "orders.csv"
    generate(**kw).to_csv(path, index=False, encoding="utf-8")
    return str(path)


@pytest.mark.slow
def test_lognormal_closure_recovered_with_censoring(tmp_path) -> None:
    # 20,000 orders, 70% passed on, ~20% of those open at the export's end.
    path = _export(tmp_path, n=20_000, seed=3, mu=2.0, sigma=0.8, days=50)
    res = fit_exports([path], categories=CATS).fit
    d = res["distributions"]["all"]
    censored = res["closure"]["data"]["open"] / res["closure"]["data"]["n"]
    assert 0.15 < censored < 0.25
    assert d["best"] == "lognormal"
    assert d["families"]["lognormal"]["mu"] == pytest.approx(2.0, abs=0.04)
    assert d["families"]["lognormal"]["sigma"] == pytest.approx(0.8, abs=0.03)
    # Kaplan-Meier median against the true median e^mu (the censoring is handled).
    assert res["closure"]["data"]["median"] == pytest.approx(np.exp(2.0), rel=0.05)
    assert res["settled_on_call"]["share"] == pytest.approx(0.3, abs=0.015)


@pytest.mark.parametrize(("family", "want"), [("gamma", "gamma"), ("weibull", "weibull")])
def test_aic_picks_the_true_family(family: str, want: str) -> None:
    rng = np.random.default_rng(7)
    n = 4000
    true = rng.gamma(2.0, 1.5, n) if family == "gamma" else 3.0 * rng.weibull(1.5, n)
    cens = rng.uniform(0, 12, n)
    days, closed = np.minimum(true, cens), true <= cens
    out = F.fit_families(days, closed)
    assert out["best"] == want
    if family == "gamma":
        assert out["families"]["gamma"]["shape"] == pytest.approx(2.0, rel=0.1)


def test_kaplan_meier_summary_matches_scipy() -> None:
    rng = np.random.default_rng(2)
    true = rng.lognormal(1, 1, 3000)
    cens = rng.uniform(0, 20, 3000)
    days, closed = np.minimum(true, cens), true <= cens
    s = F.closure_summary(days, closed)
    km = stats.ecdf(stats.CensoredData(uncensored=days[closed], right=days[~closed]))
    assert s["within7"] == pytest.approx(km.cdf.evaluate(7.0))
    assert s["median"] == pytest.approx(np.exp(1), rel=0.08)
    assert s["mean"] == pytest.approx(days[closed].mean())


def test_weekday_profile_recovered(tmp_path) -> None:
    path = _export(tmp_path, n=30_000, seed=5, days=364)
    res = fit_exports([path], categories=CATS).fit
    got = np.array(res["arrivals"]["groups"]["all"]["weekday_factor"])
    want = WEEKDAY / WEEKDAY.mean()
    assert np.allclose(got, want, rtol=0.07)  # ~3 standard errors at 3,000 a weekday
    assert res["arrivals"]["night_share"] == 0.0  # generated between 08:00 and 20:00


def test_categories_mapped_and_unmapped_reported(tmp_path) -> None:
    path = _export(tmp_path, n=3000, seed=1)
    res = fit_exports([path], categories=CATS).fit
    un = res["mapping"]["unmapped"]
    assert list(un["categories"]) == ["其他 / 其他 / 其他事项"]
    by = res["mapping"]["by_scenario_category"]
    assert "环境保护 / 垃圾清运 / 生活垃圾" in by["environment"]
    assert "城乡建设 / 物业管理 / 物业服务" in by["property"]
    assert "公共安全 / 安全隐患 / 消防通道" in by["safety_hazard"]


def test_holdout_is_kept_out_of_the_fit(tmp_path) -> None:
    path = _export(tmp_path, n=5000, seed=2, days=100)
    res = fit_exports([path], categories=CATS, holdout_from="2023-03-01").fit
    assert res["rows_fitted"] + res["rows_holdout"] == res["rows_used"]
    assert res["export"]["period"][1] < "2023-03-01"
    assert res["closure"]["holdout"]["n"] > 0


def test_cleaning_reasons(tmp_path) -> None:
    frame = generate(200, seed=4)
    frame.loc[0, "受理时间"] = ""                       # no created time
    frame.loc[1, "办结时间"] = "2023-13-45 99:00:00"    # unparseable
    frame.loc[2, "工单编号"] = frame.loc[3, "工单编号"]  # duplicate id (row 3 is dropped)
    frame.loc[4, "办结时间"] = "2000-01-01 00:00:00"    # closed before created
    frame.loc[5, "来电类别"] = "无效来电"               # invalid call
    frame.loc[6, "工单状态"], frame.loc[6, "办结时间"] = "办结", ""
    frame.loc[7, "受理时间"] = "1980-01-01 00:00:00"    # outside the period
    path = tmp_path / "x.csv"
    frame.to_csv(path, index=False)
    res = fit_exports([str(path)], categories=CATS)
    d = res.fit["dropped"]
    assert d == {"no_created_time": 1, "unparseable_date": 1, "invalid": 1, "internal": 0,
                 "duplicate_id": 1, "closed_before_created": 1, "closed_without_time": 1,
                 "outside_period": 1}
    rows = res.cleaned.dropped.set_index("reason")["row"]
    assert rows["duplicate_id"] == 5  # file line of the second copy (row 3 + header + 1)
    assert res.fit["rows_used"] == 193


def test_exposure_counts_hours() -> None:
    cells = F.exposure(pd.Timestamp("2023-01-02"), pd.Timestamp("2023-01-09"), False)
    assert cells["exposure"].sum() == 7 * 24 and (cells["exposure"] == 1).all()
