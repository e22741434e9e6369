"""Each lever's effect, measured with paired replicates: the table in docs/model.md.

Every row compares a scenario with one lever moved against the same scenario without,
replicate k against replicate k (the same seed: common random numbers), one simulated
year at community scale unless stated. It prints a Markdown table of the mean paired
difference and its 95% t-interval, "no effect" where the interval spans zero.

    python scripts/lever_effects.py [REPLICATES [WORKERS]]   # default 10 and 2 processes
    python scripts/lever_effects.py 10 2 --long-tail         # the long tail's rows only
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import stats
from tqdm import tqdm

from sim.run import simulate
from sim.scenario import load_scenario

# (label, scenario, overrides of the reference, overrides of the change, outcomes)
CASES: list[tuple[str, str, dict, dict, list[str]]] = [
    ("staffing 18 → 22 per 10k (today)", "nanjing_baseline", {},
     {"staffing.workers_per_10k": 22.0}, ["on_time_share", "median_days_to_resolve",
                                          "incidents"]),
    ("staffing 14 → 22 per 10k (2012 burden)", "pre_reform_2012",
     {"staffing.workers_per_10k": 14.0}, {"staffing.workers_per_10k": 22.0},
     ["on_time_share", "median_days_to_resolve", "incidents"]),
    ("ledgers 30 → 4 (2012) [P3]", "pre_reform_2012", {}, {"burden.ledgers": 4},
     ["admin_share", "on_time_share", "incidents"]),
    ("certificates −56 (2012) [F12]", "pre_reform_2012", {},
     {"burden.certificate_items_removed": 56}, ["admin_share", "on_time_share", "incidents"]),
    ("inspections −57% (2012) [F12]", "pre_reform_2012", {}, {"burden.inspection_cut": 0.57},
     ["admin_share", "on_time_share", "incidents"]),
    ("meetings 0.5 h → 0 (2012)", "pre_reform_2012", {}, {"burden.meeting_hours": 0.0},
     ["admin_share", "on_time_share", "incidents"]),
    ("duty lists in force (2012) [F13]", "pre_reform_2012", {}, {"burden.duty_list": True},
     ["admin_share", "on_time_share", "incidents"]),
    ("F12 cuts today", "nanjing_baseline", {},
     {"burden.certificate_items_removed": 56, "burden.inspection_cut": 0.57},
     ["patrol_share", "on_time_share", "incidents"]),
    ("volunteers 0.2% → 3%", "nanjing_baseline", {"volunteers.rate": 0.002},
     {"volunteers.rate": 0.03}, ["on_time_share_care", "on_time_share"]),
    ("volunteers 3% → 15%", "nanjing_baseline", {}, {"volunteers.rate": 0.15},
     ["on_time_share_care", "on_time_share"]),
    ("social-work hours 0 → 40 /wk/10k", "nanjing_baseline",
     {"social_orgs.hours_per_week_per_10k": 0.0}, {"social_orgs.hours_per_week_per_10k": 40.0},
     ["social_org_resolved", "on_time_share_legal", "on_time_share"]),
    ("social-work hours 40 → 400 /wk/10k", "nanjing_baseline", {},
     {"social_orgs.hours_per_week_per_10k": 400.0},
     ["social_org_resolved", "on_time_share_legal", "on_time_share"]),
    ("funded projects 0 → 1.7 per 10k [F22, F24]", "nanjing_baseline",
     {"social_orgs.projects_per_10k": 0.0, "social_orgs.charity_fund_share": 0.0},
     {"social_orgs.projects_per_10k": 1.7, "social_orgs.charity_fund_share": 0.057},
     ["on_time_share_legal", "on_time_share_neighbour_dispute", "on_time_share"]),
    ("menu: assigned → residents' [F19]", "nanjing_baseline", {"social_orgs.menu": "assigned"},
     {"social_orgs.menu": "residents"}, ["on_time_share_care", "on_time_share"]),
    ("five-society linkage off → on [F21]", "nanjing_baseline",
     {"social_orgs.five_society_linkage": False}, {"social_orgs.five_society_linkage": True},
     ["on_time_share_care", "on_time_share"]),
    ("consultation every 60 → 14 days [F9]", "nanjing_baseline",
     {"consultation.every_days": 60}, {"consultation.every_days": 14},
     ["on_time_share_suggestion", "governance_hours"]),
    ("trust 0.6 → 0.3 (turnout)", "nanjing_baseline", {}, {"residents.trust_mean": 0.3},
     ["meetings_failed", "consultation_resolved"]),
    ("mobile grid workers 0 → 6.3 per 10k [F25]", "nanjing_baseline", {},
     {"mobile_grid.mobile_grid_workers_per_10k": 6.3}, ["incidents", "hazards_caught_share"]),
    ("rider points 0 → 1 (6.3 enrolled) [F26]", "mobile_grid_6000",
     {"mobile_grid.incentive": 0.0}, {"mobile_grid.incentive": 1.0},
     ["rider_points", "enrolled_riders", "incidents"]),
    ("rider-friendly sites 0 → all [F20]", "nanjing_baseline",
     {"mobile_grid.rider_friendly_share": 0.0}, {"mobile_grid.rider_friendly_share": 1.0},
     ["raised", "incidents"]),
    ("sign-for time 0.25 → 1 day", "nanjing_baseline", {},
     {"platform.dispatch_delay_days": 1.0}, ["on_time_share", "mean_dispatch_days"]),
    ("dispatchers 2 → 10 per 100k (street, 15-min triage)", "nanjing_baseline",
     {"layout.scale": "street", "platform.triage_minutes": 15.0, "run.days": 180},
     {"platform.dispatchers_per_100k": 10.0}, ["mean_dispatch_days", "on_time_share"]),
    ("intake staff 4 → 1 per 100k (community)", "nanjing_baseline", {},
     {"platform.intake_staff_per_100k": 1.0}, ["mean_dispatch_days", "on_time_share"]),
    ("community office staff 2 → 0", "nanjing_baseline", {},
     {"staffing.community_office_staff": 0}, ["resolution_rate", "on_time_share", "passed_on"]),
    ("micro-grid coverage 1 → 0 [F16]", "nanjing_baseline", {}, {"micro_grid.coverage": 0.0},
     ["incidents", "on_time_share"]),
    # Timing (issue 10): what shapes the closure-time spread the calibration fits [P7].
    ("grid follow-through 0 → 1 day", "nanjing_baseline", {},
     {"staffing.grid_works_days": 1.0}, ["median_days_to_resolve", "on_time_share"]),
    ("community follow-through 0 → 3 days", "nanjing_baseline", {},
     {"staffing.community_works_days": 3.0}, ["median_days_to_resolve", "on_time_share"]),
    ("issues at night 37.5% → 10%", "nanjing_baseline", {},
     {"residents.night_share": 0.1}, ["median_days_to_resolve", "on_time_share"]),
    ("on-the-spot fix 0.5 → 0.1 day (mean)", "nanjing_baseline", {},
     {"micro_grid.small_fix_days": 0.1}, ["median_days_to_resolve", "on_time_share"]),
    ("round fixes 0 → 50% of small finds", "nanjing_baseline", {},
     {"staffing.round_fix_share": 0.5}, ["q1_days_to_close", "on_time_share"]),
    # The same policy levers on the calibrated baseline (scenarios/calibrated_baseline.toml).
    ("staffing 18 → 22 per 10k (calibrated)", "calibrated_baseline", {},
     {"staffing.workers_per_10k": 22.0}, ["on_time_share", "median_days_to_resolve",
                                          "incidents"]),
    ("F12 cuts today (calibrated)", "calibrated_baseline", {},
     {"burden.certificate_items_removed": 56, "burden.inspection_cut": 0.57},
     ["patrol_share", "on_time_share", "incidents"]),
    ("micro-grid coverage 1 → 0 (calibrated)", "calibrated_baseline", {},
     {"micro_grid.coverage": 0.0}, ["incidents", "on_time_share"]),
]


# The long tail from mechanisms and the KPI gap (issue 19): each switch off -> on on
# today's baseline (run alone with --long-tail).
CALLBACKS = {"work_orders.callbacks": True}
UNMET = {**CALLBACKS, "work_orders.unmet_share": 0.18}
LONG_TAIL: list[tuple[str, str, dict, dict, list[str]]] = [
    ("public holidays off → on [P11]", "nanjing_baseline", {}, {"calendar.holidays": True},
     ["mean_days_to_close", "p90_days_to_close", "on_time_share"]),
    ("deadlines in working days off → on [P11]", "nanjing_baseline", {},
     {"calendar.working_day_deadlines": True}, ["on_time_share", "kpi_on_time_share"]),
    ("department crews 0 → 13 per 100k", "nanjing_baseline", {},
     {"work_orders.department_crews_per_100k": 13.0},
     ["mean_days_to_close", "p90_days_to_close", "on_time_share"]),
    ("returns (部门回退) 0 → 20%", "nanjing_baseline", {}, {"work_orders.return_share": 0.2},
     ["mean_days_to_close", "on_time_share", "kpi_on_time_share"]),
    ("reopen after unsatisfied callback off → on (18% unmet)", "nanjing_baseline", UNMET,
     {"work_orders.reopen_unsatisfied": True},
     ["need_met_share", "resolution_rate", "kpi_mean_days_to_close"]),
    ("extensions (延期) off → on", "nanjing_baseline", {}, {"work_orders.extensions": True},
     ["kpi_on_time_share", "on_time_share", "p90_days_to_close"]),
    ("waiting on a reply 0 → 1 day", "nanjing_baseline", {}, {"work_orders.reply_days": 1.0},
     ["kpi_mean_days_to_close", "kpi_on_time_share", "on_time_share"]),
    ("on-time appraisal weight 0 → 1 [P3]", "nanjing_baseline", CALLBACKS,
     {"appraisal.on_time_weight": 1.0},
     ["kpi_on_time_share", "need_met_share", "kpi_gap", "kpi_satisfied_share"]),
    ("on-time appraisal weight 1 → 0.3 (P3 reform), 18% unmet", "nanjing_baseline",
     {**UNMET, "appraisal.on_time_weight": 1.0}, {"appraisal.on_time_weight": 0.3},
     ["kpi_on_time_share", "need_met_share", "kpi_gap"]),
    ("on-time appraisal weight 0 → 1 (12 per 10k)", "nanjing_baseline",
     {**CALLBACKS, "staffing.workers_per_10k": 12.0}, {"appraisal.on_time_weight": 1.0},
     ["kpi_on_time_share", "need_met_share", "kpi_gap"]),
    ("warm-up 0 → 365 days", "nanjing_baseline", {}, {"run.warmup_days": 365},
     ["on_time_share", "mean_days_to_close", "consultation_resolved"]),
    ("consultation agenda: 10 a meeting → target 0.8", "nanjing_baseline", {},
     {"consultation.target_utilisation": 0.8},
     ["on_time_share_suggestion", "consultation_resolved", "governance_hours"]),
]


def _pair(job: tuple[str, dict, dict, int]) -> tuple[dict, dict]:
    name, ref, change, seed = job
    a = load_scenario(f"scenarios/{name}.toml", ref or None)
    b = load_scenario(f"scenarios/{name}.toml", {**ref, **change})
    return simulate(a, seed=seed).summary, simulate(b, seed=seed).summary


def main(replicates: int, workers: int, cases: list | None = None) -> None:
    cases = CASES if cases is None else cases
    jobs = [(name, ref, change, k) for _, name, ref, change, _ in cases
            for k in range(replicates)]
    with ProcessPoolExecutor(workers) as pool:
        done = list(tqdm(pool.map(_pair, jobs), total=len(jobs), desc="lever runs",
                         file=sys.stderr))
    print("| lever | outcome | reference | change (95% CI) |")
    print("|---|---|---|---|")
    for i, (label, _name, _ref, _change, outcomes) in enumerate(cases):
        runs = done[i * replicates:(i + 1) * replicates]
        for outcome in outcomes:
            d = np.array([y[outcome] - x[outcome] for x, y in runs])
            d = d[~np.isnan(d)]
            mean, base = d.mean(), np.nanmean([x[outcome] for x, _ in runs])
            half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
            lo, hi = mean - half, mean + half
            verdict = "" if lo > 0 or hi < 0 else " — no effect"
            print(f"| {label} | `{outcome}` | {base:.3g} | {mean:+.3g} "
                  f"[{lo:+.3g}, {hi:+.3g}]{verdict} |", flush=True)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 10, int(args[1]) if len(args) > 1 else 2,
         LONG_TAIL if "--long-tail" in sys.argv else None)
