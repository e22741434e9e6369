"""A generated 12345-shaped export with known parameters, for tests and the benchmark.

Orders arrive with a known weekday profile; closure days are lognormal (``mu``,
``sigma``) or another family; those not closed by the export's end (the end of the
period) are open, right-censored there, as in a real export; a share is settled on the
call (直办).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HEADERS = ["工单编号", "受理时间", "转办时间", "办结时间", "一级分类", "二级分类", "三级分类",
           "受理类型", "办理单位", "工单状态", "来电类别", "紧急程度"]
CLASSES = [("城乡建设", "物业管理", "物业服务"), ("环境保护", "垃圾清运", "生活垃圾"),
           ("公共安全", "安全隐患", "消防通道"), ("城乡建设", "市政设施", "道路破损维修"),
           ("水电气", "供水", "停水"), ("社会治安", "噪音扰民", "夜间施工"),
           ("其他", "其他", "其他事项")]
UNITS = ["玄武区住建局", "秦淮区城管局", "鼓楼区供水公司", "建邺区街道办", "栖霞区公安分局"]
WEEKDAY = np.array([1.2, 1.2, 1.1, 1.1, 1.0, 0.7, 0.7])  # relative daily rates, Mon..Sun


def generate(n: int, *, seed: int = 1, mu: float = 1.0, sigma: float = 0.8,
             family: str = "lognormal", settled_share: float = 0.3, start: str = "2023-01-01",
             days: int = 365, due_working_days: float | None = None) -> pd.DataFrame:
    """``n`` orders as text columns, the way a 12345 platform exports them; with
    ``due_working_days``, a time limit (办理时限) that many working days after the
    request on the Chinese working calendar (``sim.holidays``) [P11]."""
    rng = np.random.default_rng(seed)
    base = pd.Timestamp(start)
    offset = (base.day_of_week + np.arange(days)) % 7
    p = WEEKDAY[offset] / WEEKDAY[offset].sum()
    day = rng.choice(days, size=n, p=p)
    secs = rng.integers(8 * 3600, 20 * 3600, size=n)
    created = base + pd.to_timedelta(day * 86400 + secs, unit="s")
    if family == "lognormal":
        dur = rng.lognormal(mu, sigma, size=n)
    elif family == "gamma":
        dur = rng.gamma(2.0, np.exp(mu) / 2.0, size=n)
    else:
        dur = np.exp(mu) * rng.weibull(1.5, size=n)
    end = base + pd.Timedelta(days=days)
    open_ = np.asarray(created + pd.to_timedelta(dur * 86400, unit="s") > end)
    settled = rng.random(n) < settled_share
    dur = np.where(settled, rng.uniform(0.001, 0.01, size=n), dur)
    open_ &= ~settled
    closed = created + pd.to_timedelta(dur * 86400, unit="s")
    cls = rng.integers(0, len(CLASSES), size=n)
    fmt = "%Y-%m-%d %H:%M:%S"
    frame = pd.DataFrame({
        "工单编号": [f"NJ{seed:02d}{i:08d}" for i in range(n)],
        "受理时间": created.strftime(fmt),
        "转办时间": (created + pd.to_timedelta(600, unit="s")).strftime(fmt),
        "办结时间": pd.Series(closed.strftime(fmt)).where(~open_, ""),
        "一级分类": [CLASSES[c][0] for c in cls],
        "二级分类": [CLASSES[c][1] for c in cls],
        "三级分类": [CLASSES[c][2] for c in cls],
        "受理类型": np.where(settled, "直办", "转办"),
        "办理单位": np.array(UNITS)[rng.integers(0, len(UNITS), size=n)],
        "工单状态": np.where(open_, "已转办待回复", "办结"),
        "来电类别": np.array(["咨询", "求助", "投诉", "建议"])[rng.integers(0, 4, size=n)],
        "紧急程度": np.where(rng.random(n) < 0.1, "紧急", "一般"),
    })
    frame["转办时间"] = frame["转办时间"].where(~settled, "")
    if due_working_days is not None:
        from sim.holidays import WorkCalendar
        from sim.scenario import Calendar

        cal = WorkCalendar(Calendar(start_date=base.date().isoformat(), holidays=True))
        t = (day * 86400 + secs) / 86400.0
        due = [cal.add_working_days(float(x), due_working_days, 5) for x in t]
        frame["办理时限"] = (base + pd.to_timedelta(np.asarray(due) * 86400, unit="s")
                         ).strftime(fmt)
    return frame


def from_model(issues: pd.DataFrame, days: int, *, start: str = "2023-01-02",
               prefix: str = "M") -> pd.DataFrame:
    """A 311-shaped export of a model run's requests to the platform (hotline, app,
    rider), known after the run's first tenth: created at ``known_at``, closed at the
    platform's closing (``closed_at``), open ones left without a close time, as a city's
    export at the run's end would be (tests of ``--fit-tail``: known settings in)."""
    from sim.orders.check import PLATFORM_CHANNELS

    k = issues[issues["known_at"].notna() & (issues["known_at"] >= days // 10)
               & issues["channel"].astype(str).isin(PLATFORM_CHANNELS)]
    base = pd.Timestamp(start)
    created = base + pd.to_timedelta(k["known_at"].to_numpy(dtype=float) * 86400, unit="s")
    closed_at = k["closed_at"].to_numpy(dtype=float)
    open_ = np.isnan(closed_at)
    closed = base + pd.to_timedelta(np.nan_to_num(closed_at) * 86400, unit="s")
    fmt = "%m/%d/%Y %I:%M:%S %p"
    return pd.DataFrame({
        "ServiceRequestNum": [f"{prefix}{i:07d}" for i in range(len(k))],
        "SRType": k["category"].astype(str).to_numpy(),
        "Agency": "Department of Public Works",
        "SRStatus": np.where(open_, "Open", "Closed"),
        "CreatedDate": created.strftime(fmt),
        "CloseDate": pd.Series(closed.strftime(fmt)).where(~open_, "").to_numpy(),
    })
