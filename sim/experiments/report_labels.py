"""Words and numbers of the reports: bilingual labels, the CJK font, number formats.

Every label a report shows (outcomes, scenarios, scenario parameters) is here in English
and Chinese, with the font set-up that decides whether the Chinese is shown (Noto Sans
CJK SC from the ``fonts-noto-cjk`` package, if installed) and the formats of values in
tables. Both the batch/sweep report and the planning pages use it.
"""

from __future__ import annotations

import math
import os

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


class Labels:
    """Labels in English, with the Chinese beside them when a CJK font is installed."""

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


def is_share(key: str) -> bool:
    """Whether an outcome is a share or a rate (shown as percent, differences in points)."""
    return key.endswith(("_share", "_rate")) or "_share_gap_" in key


def fmt(value: float, key: str = "", diff: bool = False) -> str:
    """Format a value for a table: shares as percent (differences in points)."""
    if value is None or not math.isfinite(value):
        return "–"
    if is_share(key):
        return f"{value * 100:+.1f} pp" if diff else f"{value * 100:.1f}%"
    sign = "+" if diff and value > 0 else ""
    a = abs(value)
    if a >= 100:
        return f"{sign}{value:,.0f}"
    if a >= 10:
        return f"{sign}{value:.1f}"
    return f"{sign}{value:.3g}"


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
    """A scenario parameter in words (its dotted key if it has none)."""
    en_zh = PARAM_LABELS.get(key)
    if en_zh is None:
        return key
    return en_zh[1] if zh else en_zh[0]


def outcome_label(key: str, zh: bool = False) -> str:
    """An outcome in English or Chinese (one language, for the planning pages)."""
    en_zh = OUTCOME_LABELS.get(key) or EXTRA_OUTCOMES.get(key)
    if en_zh is None:
        return key.replace("_", " ")
    return en_zh[1] if zh else en_zh[0]


def fmt_value(key: str, v: float) -> str:
    """Format a lever's or goal's value on the planning pages (shares as percent)."""
    if v is None or not math.isfinite(v):
        return "–"
    if key.endswith(("_share", "_rate", ".rate", "coverage", "incentive", "_cut")):
        return f"{v * 100:.1f}%"
    if "cost" in key:
        return f"{v:,.0f}"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"

