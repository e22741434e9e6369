"""Every word the workshop page shows, in Chinese and English.

``t(key, lang)`` looks a label up and fails loudly on a missing key (the tests check
that every key the page uses is here, in both languages, with the same ``{fields}``).
``pick_language`` reads a browser's Accept-Language header: Chinese first when the
browser prefers it, English otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sim.viz.room_labels import ROOM_LABELS

LANGS: tuple[str, ...] = ("zh", "en")
LANG_NAMES: dict[str, str] = {"zh": "中文", "en": "English"}

LABELS: dict[str, dict[str, str]] = {
    # -- page ------------------------------------------------------------------------------
    "title": {"zh": "社区治理工作坊 · 南京", "en": "Community governance workshop · Nanjing"},
    "language": {"zh": "语言", "en": "Language"},
    "language_tip": {"zh": "切换页面语言：所有标签、图例和提示", "en":
                     "Switch the page language: every label, legend and tooltip"},
    "scenario": {"zh": "情景文件", "en": "Scenario file"},
    "scenario_tip": {"zh": "scenarios/ 文件夹中的情景；不会打开该文件夹以外的文件",
                     "en": "Scenarios in the scenarios/ folder; nothing outside it is opened"},
    "scenario_refused": {"zh": "已拒绝：{path} 不是 scenarios/ 文件夹中的情景文件",
                         "en": "Refused: {path} is not a scenario file in scenarios/"},
    "scenario_too_large": {"zh": "已拒绝：{path} 超出街道规模；本页面只运行社区或街道规模的情景，"
                                 "其余请用 govsim run 或 govsim batch 运行",
                           "en": "Refused: {path} is above street scale; the page runs "
                                 "community or street scale only (use govsim run or govsim "
                                 "batch for it)"},
    "scenario_invalid": {"zh": "参数无效：{message}", "en": "Invalid setting: {message}"},
    "no_scenarios": {"zh": "scenarios/ 文件夹中没有情景文件", "en":
                     "There are no scenario files in scenarios/"},
    "presets": {"zh": "改革方案", "en": "Reform presets"},
    "presets_tip": {"zh": "载入一个改革方案（scenarios/ 中的情景文件）", "en":
                    "Load a reform package (a scenario file in scenarios/)"},
    "levers": {"zh": "政策杠杆", "en": "Policy levers"},
    "levers_tip": {"zh": "移动杠杆后模拟从第 0 天重新开始（同一随机种子）", "en":
                   "Moving a lever restarts the run at day 0 (same seed)"},
    "lever_changed": {"zh": "已改变", "en": "changed"},
    "levers_changed_n": {"zh": "改变了 {n} 个杠杆", "en": "{n} lever(s) changed"},
    "revert_levers": {"zh": "恢复情景默认值", "en": "Back to the scenario's values"},
    "run_controls": {"zh": "运行", "en": "Run"},
    "step": {"zh": "前进一天", "en": "Step one day"},
    "step_tip": {"zh": "模拟推进一天", "en": "Advance the simulation by one day"},
    "play": {"zh": "播放", "en": "Play"},
    "pause": {"zh": "暂停", "en": "Pause"},
    "play_tip": {"zh": "连续运行，直到情景设定的天数", "en":
                 "Run on until the scenario's last day"},
    "reset": {"zh": "重新开始", "en": "Restart"},
    "reset_tip": {"zh": "回到第 0 天，保留当前杠杆和随机种子", "en":
                  "Back to day 0 with the current levers and seed"},
    "speed": {"zh": "播放速度（天/秒）", "en": "Play speed (days/s)"},
    "speed_tip": {"zh": "播放时每秒推进的模拟天数上限", "en":
                  "Most simulated days per second while playing"},
    "seed": {"zh": "随机种子", "en": "Random seed"},
    "seed_tip": {"zh": "同一种子得到同样的结果；对比时两边使用同一种子", "en":
                 "The same seed gives the same results; both sides of a compare share it"},
    "day": {"zh": "第 {day} 天 / 共 {days} 天", "en": "Day {day} of {days}"},
    "measured_speed": {"zh": "速度：{rate:.1f} 天/秒", "en": "Speed: {rate:.1f} days/s"},
    "finished": {"zh": "已到情景的最后一天", "en": "The scenario's last day is reached"},
    "compare": {"zh": "对比", "en": "Compare"},
    "compare_on": {"zh": "与基准情景对比", "en": "Compare with a baseline"},
    "compare_tip": {"zh": "基准情景与改变后的情景并排运行，同一随机种子，同步推进",
                    "en": "A baseline and the changed scenario run side by side, "
                          "same seed, stepping together"},
    "baseline_scenario": {"zh": "基准情景", "en": "Baseline scenario"},
    "baseline": {"zh": "基准", "en": "Baseline"},
    "changed": {"zh": "改变后", "en": "Changed"},
    "difference": {"zh": "差值", "en": "Difference"},
    "export": {"zh": "导出", "en": "Export"},
    "export_png": {"zh": "图表 (PNG)", "en": "Charts (PNG)"},
    "export_png_tip": {"zh": "下载当前图表的 PNG 图片", "en": "Download the current charts as PNG"},
    "export_graph": {"zh": "社区图 (PNG)", "en": "Graph (PNG)"},
    "export_graph_tip": {"zh": "下载当前社区图的 PNG 图片", "en":
                         "Download the current community graph as PNG"},
    "export_csv": {"zh": "数据 (CSV)", "en": "Data (CSV)"},
    "export_csv_tip": {"zh": "下载本次运行的逐日数据（CSV）", "en":
                       "Download this run's day-by-day data as CSV"},
    "loading": {"zh": "正在建立模型……", "en": "Building the model..."},
    "error": {"zh": "出错：{message}", "en": "Error: {message}"},
    # -- views -------------------------------------------------------------------------------
    "tab_community": {"zh": "社区图", "en": "Community graph"},
    "tab_charts": {"zh": "动态图表", "en": "Live charts"},
    "graph_day": {"zh": "第 {day} 天", "en": "day {day}"},
    "colour_by": {"zh": "着色依据", "en": "Colour by"},
    "colour_by_tip": {"zh": "网格和微网格按未办结问题、居民信任或所在社区的小区类型着色", "en":
                      "Grids and micro-grids coloured by open issues, by residents' trust or "
                      "by their community's neighbourhood type"},
    "colour_open": {"zh": "未办结问题", "en": "Open issues"},
    "colour_trust": {"zh": "居民信任", "en": "Residents' trust"},
    "colour_type": {"zh": "小区类型", "en": "Neighbourhood type"},
    "type_legend": {"zh": "小区类型：", "en": "Neighbourhood types:"},
    "hood_old_estate": {"zh": "老旧小区", "en": "Old town estate"},
    "hood_commodity_estate": {"zh": "商品房小区", "en": "Commodity-housing estate"},
    "hood_resettlement_estate": {"zh": "安置房", "en": "Resettlement estate"},
    "hood_urban_village": {"zh": "城中村", "en": "Urban village"},
    "hood_rural_village": {"zh": "村", "en": "Rural village"},
    "hood_uniform": {"zh": "统一", "en": "Uniform (all alike)"},
    "colourbar_open": {"zh": "未办结问题（每千居民）", "en": "Open issues per 1,000 residents"},
    "colourbar_trust": {"zh": "平均信任（0–1）", "en": "Mean trust (0-1)"},
    "graph_tip": {"zh": "圆点大小表示未办结问题数；内圈为网格，外圈为微网格",
                  "en": "Dot size shows open issues; inner ring grids, outer ring micro-grids"},
    "legend_grid_worker": {"zh": "网格员", "en": "Grid worker"},
    "legend_rider": {"zh": "骑手（未登记）", "en": "Rider (not enrolled)"},
    "legend_mobile_worker": {"zh": "流动网格员", "en": "Mobile grid worker"},
    "legend_route": {"zh": "骑手路线", "en": "Riders' routes"},
    "kind_city": {"zh": "市", "en": "City"},
    "kind_district": {"zh": "区", "en": "District"},
    "kind_street": {"zh": "街道", "en": "Street"},
    "kind_community": {"zh": "社区", "en": "Community"},
    "kind_grid": {"zh": "网格", "en": "Grid"},
    "kind_micro_grid": {"zh": "微网格", "en": "Micro-grid"},
    "kind_platform": {"zh": "一网统管平台 (12345)", "en": "One-network platform (12345)"},
    "kind_department": {"zh": "职能部门", "en": "Department"},
    "kind_utility": {"zh": "水电气讯", "en": "Utility"},
    "kind_social_org": {"zh": "社工站", "en": "Social-work station"},
    "kind_volunteer_station": {"zh": "志愿服务站", "en": "Volunteer station"},
    "chart_open": {"zh": "未办结问题", "en": "Open issues"},
    "chart_on_time": {"zh": "按时办结率", "en": "On-time share"},
    "chart_incidents": {"zh": "累计事故", "en": "Incidents (cumulative)"},
    "chart_hours": {"zh": "每名网格员每日工时（按活动，7 日平均）", "en":
                    "Hours per grid worker a day, by activity (7-day mean)"},
    "chart_hours_total": {"zh": "网格员每日总工时（按活动，7 日平均）", "en":
                          "Grid workers' hours a day, by activity (7-day mean)"},
    "chart_trust": {"zh": "居民平均信任", "en": "Residents' mean trust"},
    "axis_day": {"zh": "天", "en": "day"},
    "axis_issues": {"zh": "件", "en": "issues"},
    "axis_share": {"zh": "比例", "en": "share"},
    "axis_hours": {"zh": "小时/天", "en": "hours a day"},
    "axis_trust": {"zh": "信任 (0–1)", "en": "trust (0-1)"},
    "hours_admin": {"zh": "行政事务", "en": "Administration"},
    "hours_case": {"zh": "办理问题", "en": "Casework"},
    "hours_patrol": {"zh": "巡查", "en": "Patrols"},
    "no_data": {"zh": "尚无数据：点击“前进一天”或“播放”", "en": "No data yet: press Step or Play"},
    # -- outcomes table ----------------------------------------------------------------------
    "outcomes": {"zh": "主要结果", "en": "Headline outcomes"},
    "outcomes_tip": {"zh": "到目前为止的累计结果", "en": "Outcomes so far in this run"},
    "indicator": {"zh": "指标", "en": "Indicator"},
    "value": {"zh": "数值", "en": "Value"},
    "unit_pp": {"zh": "个百分点", "en": "pp"},
    "out_raised": {"zh": "产生的问题", "en": "Issues raised"},
    "out_resolved": {"zh": "已办结", "en": "Resolved"},
    "out_open_at_end": {"zh": "未办结", "en": "Still open"},
    "out_on_time_share": {"zh": "按时办结率", "en": "On-time share"},
    "out_p90_days_to_resolve": {"zh": "办结天数（90% 分位）", "en": "Days to resolve (p90)"},
    "out_resolved_at_grid_share": {"zh": "在网格内解决", "en": "Resolved within the grid"},
    "out_escalation_share": {"zh": "上报升级比例", "en": "Escalated share"},
    "out_hazards_caught_share": {"zh": "隐患在酿成事故前被发现", "en":
                                 "Hazards caught before an incident"},
    "out_median_days_to_resolve": {"zh": "办结天数中位数", "en": "Median days to resolve"},
    "out_incidents": {"zh": "事故", "en": "Incidents"},
    "out_mean_trust": {"zh": "居民平均信任", "en": "Residents' mean trust"},
    "out_admin_share": {"zh": "行政事务占工时比例", "en": "Admin share of worker hours"},
    # -- levers (tooltips cite the fact sheet) -----------------------------------------------
    "lever_staffing.workers_per_10k": {"zh": "每万人社区工作者", "en":
                                       "Community workers per 10,000"},
    "tip_staffing.workers_per_10k": {"zh": "南京标准：每万城镇常住人口 18 名 [F30, P8]",
                                     "en": "Nanjing standard: 18 per 10,000 urban residents "
                                           "[F30, P8]"},
    "lever_burden.ledgers": {"zh": "台账数量（本/年）", "en": "Ledgers kept (per year)"},
    "tip_burden.ledgers": {"zh": "减负改革后台账由 30 多本减至 4 本 [P2, P3]",
                           "en": "Ledgers cut from 30+ to 4 by the burden reform [P2, P3]"},
    "lever_burden.certificate_items_removed": {"zh": "取消的证明事项", "en":
                                               "Certificate items removed"},
    "tip_burden.certificate_items_removed": {"zh": "今年取消不合理证明事项 56 项 [F12]",
                                             "en": "56 unreasonable certificate items removed "
                                                   "this year [F12]"},
    "lever_burden.inspection_cut": {"zh": "迎检迎查削减比例", "en": "Inspections cut (share)"},
    "tip_burden.inspection_cut": {"zh": "迎检迎查减少 57% [F12]", "en":
                                  "Inspections of communities cut by 57% [F12]"},
    "lever_burden.meeting_hours": {"zh": "每日会议时长（小时）", "en":
                                   "Meeting hours per worker-day"},
    "tip_burden.meeting_hours": {"zh": "会议占用的工时（假设值）", "en":
                                 "Hours taken by meetings (assumption)"},
    "lever_micro_grid.coverage": {"zh": "微网格员覆盖率", "en": "Micro-grid worker coverage"},
    "tip_micro_grid.coverage": {"zh": "精网微格：4.1 万个微网格，4.6 万名微网格员 [F16]",
                                "en": "Fine net, micro grid: 41,000 micro-grids, 46,000 "
                                      "micro-grid workers [F16]"},
    "lever_mobile_grid.mobile_grid_workers_per_10k": {"zh": "每万人流动网格员", "en":
                                                      "Mobile grid workers per 10,000"},
    "tip_mobile_grid.mobile_grid_workers_per_10k": {"zh": "6000 多名新就业群体担任流动网格员，"
                                                    "约每万人 6.3 名 [F25]",
                                                    "en": "6,000+ couriers and riders serve as "
                                                          "mobile grid workers, 6.3 per 10,000 "
                                                          "[F25]"},
    "lever_mobile_grid.incentive": {"zh": "先锋指数激励", "en": "Pioneer-index incentive"},
    "tip_mobile_grid.incentive": {"zh": "积分激励新就业群体参与治理：0 无，1 全面实施 [F26]",
                                  "en": "Points reward riders for taking part: 0 none, 1 full "
                                        "scheme [F26]"},
    "lever_volunteers.rate": {"zh": "志愿者比例", "en": "Volunteer rate"},
    "tip_volunteers.rate": {"zh": "参与志愿服务的居民比例；四级志愿服务网络 [F23]",
                            "en": "Share of residents who volunteer; four-level volunteer "
                                  "network [F23]"},
    "lever_social_orgs.hours_per_week_per_10k": {"zh": "社会组织服务（每万人每周小时）", "en":
                                                 "Social-organisation hours per week per "
                                                 "10,000"},
    "tip_social_orgs.hours_per_week_per_10k": {"zh": "五社联动，1630 多个公益服务项目 [F21, F22]",
                                               "en": "Five-society linkage, 1,630+ public-"
                                                     "welfare projects [F21, F22]"},
    "lever_platform.dispatch_delay_days": {"zh": "平台派单延迟（天）", "en":
                                           "Platform dispatch delay (days)"},
    "tip_platform.dispatch_delay_days": {"zh": "一网统管工单流转的延迟 [F32]", "en":
                                         "Delay of the one-network work-order flow [F32]"},
    # -- presentation mode, cards, story ---------------------------------------------------
    "present": {"zh": "演示模式", "en": "Presentation mode"},
    "present_tip": {"zh": "为投影（1280×720）准备的大字版面：主要数字、社区图和一张图表。"
                          "快捷键：→ 或 N 前进一天，空格 播放/暂停，P 演示模式",
                    "en": "A large-type layout for a projector (1280×720): headline numbers, "
                          "the graph and one chart. Keys: → or N step, Space play/pause, "
                          "P presentation mode"},
    "exit_present": {"zh": "退出演示", "en": "Leave presentation"},
    "keys_help": {"zh": "快捷键：→/N 前进一天 · 空格 播放/暂停 · P 演示模式",
                  "en": "Keys: →/N step · Space play/pause · P presentation"},
    "present_chart": {"zh": "图表", "en": "Chart"},
    "cards": {"zh": "主要数字", "en": "Headline numbers"},
    "card_vs_baseline": {"zh": "与基准相比", "en": "vs baseline"},
    "card_interval": {"zh": "{n} 个种子的范围：{interval}", "en":
                      "range over {n} seeds: {interval}"},
    "card_change_interval": {"zh": "{n} 个种子的差值范围：{interval}；{agree}/{n} 方向一致",
                             "en": "change, range over {n} seeds: {interval}; "
                                   "{agree}/{n} agree"},
    "card_one_seed": {"zh": "仅一个随机种子", "en": "one seed only"},
    "card_no_compare": {"zh": "打开“对比”可看与基准的差值", "en":
                        "switch on Compare to see the change"},
    "verdict_good": {"zh": "变好", "en": "better"},
    "verdict_bad": {"zh": "变差", "en": "worse"},
    "verdict_same": {"zh": "无变化", "en": "no change"},
    "unit_days_value": {"zh": "{v} 天", "en": "{v} days"},
    "unit_count_value": {"zh": "{v} 件", "en": "{v}"},
    "gap_card": {"zh": "最大差距", "en": "Largest gap"},
    "gap_tip": {"zh": "老年人、不上网的居民、流动人口与其他人之间（或各小区类型之间）"
                      "知晓率和按时办结率的差距中最大的一项；越接近 0 越好 [P9]",
                "en": "The largest of the gaps in known and on-time shares between the "
                      "elderly, offline residents or the floating population and everyone "
                      "else (or between neighbourhood types); closer to zero is better [P9]"},
    "gap_group_elderly": {"zh": "老年人", "en": "Elderly"},
    "gap_group_offline": {"zh": "不上网的居民", "en": "Offline residents"},
    "gap_group_floating": {"zh": "流动人口", "en": "Floating population"},
    "gap_group_types": {"zh": "小区类型之间", "en": "Between neighbourhood types"},
    "gap_metric_known_share": {"zh": "知晓率", "en": "known share"},
    "gap_metric_on_time_share": {"zh": "按时办结率", "en": "on-time share"},
    "gap_lower": {"zh": "{group}：{metric}比其他人低 {n} 个百分点", "en":
                  "{group}: {metric} {n} pp lower than others'"},
    "gap_higher": {"zh": "{group}：{metric}比其他人高 {n} 个百分点", "en":
                   "{group}: {metric} {n} pp higher than others'"},
    "gap_level": {"zh": "{group}：{metric}与其他人持平", "en":
                  "{group}: {metric} level with others'"},
    "gap_types": {"zh": "{group}：{metric}最高与最低相差 {n} 个百分点", "en":
                  "{group}: {metric} {n} pp apart, highest to lowest"},
    "gap_none": {"zh": "尚未测得差距", "en": "No gap measured yet"},
    "gap_narrower": {"zh": "比基准缩小 {n} 个百分点", "en": "{n} pp narrower vs baseline"},
    "gap_wider": {"zh": "比基准扩大 {n} 个百分点", "en": "{n} pp wider vs baseline"},
    "gap_same": {"zh": "与基准相同", "en": "same as baseline"},
    "difference_label": {"zh": "差值（改变后 − 基准）", "en": "Difference (changed − baseline)"},
    "seeds_running": {"zh": "后台正在运行另外 {k} 个随机种子：已完成 {done} 个", "en":
                      "{k} more seeds running in the background: {done} done"},
    "seeds_idle": {"zh": "点击“播放”时，后台会再运行 {k} 个随机种子，给出区间", "en":
                   "Press Play and {k} more seeds run in the background to give intervals"},
    "band_label": {"zh": "{n} 个种子的范围", "en": "range over {n} seeds"},
    "story": {"zh": "解读", "en": "What it says"},
    "story_day0": {"zh": "第 0 天：点击“前进一天”或“播放”开始。", "en":
                   "Day 0: press Step or Play to start."},
    "story_single": {"zh": "第 {day} 天：{label1} {value1}，{label2} {value2}。", "en":
                     "Day {day}: {label1} {value1}, {label2} {value2}."},
    "story_single_sure": {"zh": "{n} 个随机种子中，{label}在 {interval} 之间。",
                          "en": "Over {n} seeds, {label} lies in "
                                "{interval}."},
    "story_compare_hint": {"zh": "打开“对比”，看看改变一个杠杆会带来什么。", "en":
                           "Switch on Compare to see what moving a lever does."},
    "story_changed": {"zh": "改变：{what}。", "en": "Changed: {what}. "},
    "story_against": {"zh": "{changed} 对比 {baseline}", "en": "{changed} against {baseline}"},
    "story_effect": {"zh": "到第 {day} 天，{phrase}（{base} → {value}）。", "en":
                     "By day {day}, the change {phrase} ({base} → {value})."},
    "story_no_difference": {"zh": "到第 {day} 天，主要数字还没有差别。", "en":
                            "By day {day}, the headline numbers show no difference yet."},
    "story_sure": {"zh": "{n} 个随机种子中有 {agree} 个方向一致；差值在 {interval} 之间。",
                   "en": "{agree} of {n} seeds agree on the direction; "
                         "the differences lie in {interval}."},
    "story_seeds_same": {"zh": "{n} 个随机种子的结果相同。", "en": "All {n} seeds agree."},
    "story_one_seed": {"zh": "目前只有一个随机种子：点击“播放”，后台再运行 {k} 个种子，"
                             "看看有多可靠。",
                       "en": "One seed only so far: press Play and {k} more seeds run in "
                             "the background to show how sure this is."},
    "story_one_seed_running": {"zh": "目前只有一个随机种子；另外 {k} 个正在后台运行。", "en":
                               "One seed only so far; {k} more are running in the "
                               "background."},
    "story_gap_narrower": {"zh": "最大差距（{what}）比基准缩小了 {n} 个百分点{seeds}。", "en":
                           "The largest gap ({what}) is {n} pp narrower than the "
                           "baseline's{seeds}."},
    "story_gap_wider": {"zh": "最大差距（{what}）比基准扩大了 {n} 个百分点{seeds}。", "en":
                        "The largest gap ({what}) is {n} pp wider than the baseline's{seeds}."},
    "story_gap_seeds": {"zh": "（{n} 个随机种子中有 {agree} 个方向一致）", "en":
                        " ({agree} of {n} seeds agree)"},
    "story_up_on_time_share": {"zh": "每 100 件问题中按时办结多 {n} 件", "en":
                               "closed {n} more issues in 100 on time"},
    "story_down_on_time_share": {"zh": "每 100 件问题中按时办结少 {n} 件", "en":
                                 "closed {n} fewer issues in 100 on time"},
    "story_up_hazards_caught_share": {"zh": "每 100 个隐患中在酿成事故前多发现 {n} 个", "en":
                                      "caught {n} more hazards in 100 before they became "
                                      "incidents"},
    "story_down_hazards_caught_share": {"zh": "每 100 个隐患中在酿成事故前少发现 {n} 个", "en":
                                        "caught {n} fewer hazards in 100 before they became "
                                        "incidents"},
    "story_up_median_days_to_resolve": {"zh": "问题办结天数中位数多了 {n} 天", "en":
                                        "took {n} days longer to resolve the typical issue"},
    "story_down_median_days_to_resolve": {"zh": "问题办结天数中位数少了 {n} 天", "en":
                                          "resolved the typical issue {n} days sooner"},
    "story_up_incidents": {"zh": "事故多了 {n} 起", "en": "had {n} more incidents"},
    "story_down_incidents": {"zh": "事故少了 {n} 起", "en": "had {n} fewer incidents"},
    # -- protect the run, save, share, export -----------------------------------------------
    "confirm_title": {"zh": "重新开始运行？", "en": "Restart the run?"},
    "confirm_text": {"zh": "移动杠杆会从第 0 天重新开始。当前运行（第 {day} 天）"
                           "会以淡色线保留在图表中，"
                           "作为对照。",
                     "en": "Moving a lever restarts the run at day 0. The current run "
                           "(day {day}) stays on the charts as a faint line to compare with."},
    "confirm_ok": {"zh": "用新杠杆重新开始", "en": "Restart with the new lever"},
    "confirm_cancel": {"zh": "继续当前运行", "en": "Keep watching this run"},
    "ghost_label": {"zh": "上一次运行", "en": "Previous run"},
    "clear_ghost": {"zh": "清除淡色线（上一次运行）", "en": "Clear the faint line (previous run)"},
    "confirm_clear_title": {"zh": "清除上一次运行？", "en": "Discard the previous run?"},
    "confirm_clear_text": {"zh": "淡色线（上一次运行）将被删除。", "en":
                           "The faint line (the previous run) will be removed."},
    "confirm_clear_ok": {"zh": "清除", "en": "Discard"},
    "save": {"zh": "另存为情景", "en": "Save as scenario"},
    "save_tip": {"zh": "把所选情景和已改变的杠杆保存为新的情景文件（scenarios/saved/），"
                       "可在命令行和本页面中再次打开",
                 "en": "Save the picked scenario with the moved levers as a new scenario file "
                       "(scenarios/saved/), to open again here or with govsim run"},
    "save_name": {"zh": "文件名（字母、数字、_ 或 -）", "en":
                  "File name (letters, digits, _ or -)"},
    "save_button": {"zh": "保存", "en": "Save"},
    "save_done": {"zh": "已保存并验证：{path}", "en": "Saved and validated: {path}"},
    "save_error": {"zh": "未保存：{message}", "en": "Not saved: {message}"},
    "value_refused": {"zh": "未使用 {name}={value}：{allowed}", "en":
                      "Not used: {name}={value}: {allowed}"},
    "allowed_range": {"zh": "允许 {lo} 至 {hi}", "en": "allowed {lo} to {hi}"},
    "allowed_whole": {"zh": "允许 {lo} 至 {hi} 的整数", "en": "allowed whole numbers {lo} to {hi}"},
    "join_title": {"zh": "加入工作坊", "en": "Join the workshop"},
    "join_text": {"zh": "请输入主持人给出的加入码（或扫描二维码）。", "en":
                  "Type the join code the facilitator shows (or scan the QR code)."},
    "join_code": {"zh": "加入码", "en": "Join code"},
    "join_button": {"zh": "加入", "en": "Join"},
    "join_wrong": {"zh": "加入码不对，请再试一次。", "en": "That code is not right; try again."},
    "room_title": {"zh": "加入本工作坊", "en": "Join this workshop"},
    "room_text": {"zh": "在同一网络中用手机或电脑扫描二维码，或打开下面的地址并输入加入码。",
                  "en": "On the same network, scan the QR code with a phone or laptop, or "
                        "open the address below and type the join code."},
    "room_open_page": {"zh": "打开工作坊页面", "en": "Open the workshop page"},
    "room_facilitator_only": {"zh": "此页面只对主持人开放（需要主持人码）。", "en":
                              "This page is for the facilitator (the facilitator's code)."},
    "address_ignored": {"zh": "地址中无法识别（已忽略）：{items}", "en":
                        "Not understood in the address (ignored): {items}"},
    "caption": {"zh": "{scenario}；改变的杠杆：{levers}；随机种子 {seed}；第 {day} 天", "en":
                "{scenario}; levers changed: {levers}; seed {seed}; day {day}"},
    "caption_compare": {"zh": "{scenario}（对比基准：{baseline}）；改变的杠杆：{levers}；"
                              "随机种子 {seed}；第 {day} 天",
                        "en": "{scenario} (against baseline {baseline}); levers changed: "
                              "{levers}; seed {seed}; day {day}"},
    "levers_none": {"zh": "无", "en": "none"},
    # -- scenario names (file stems); unknown files show their stem ---------------------------
    "scn_nanjing_baseline": {"zh": "南京现状", "en": "Nanjing today"},
    "scn_pre_reform_2012": {"zh": "2012 年减负改革前", "en": "Before the 2012 burden reform"},
    "scn_staffing_22_per_10k": {"zh": "每万人 22 名社区工作者", "en": "22 workers per 10,000"},
    "scn_burden_cut_f12": {"zh": "减负：证明事项与迎检削减", "en":
                           "Burden cut: certificates and inspections"},
    "scn_no_micro_grid": {"zh": "没有微网格", "en": "No micro-grids"},
    "scn_mobile_grid_6000": {"zh": "6000 名流动网格员", "en": "6,000 mobile grid workers"},
    "scn_combined_reform": {"zh": "综合改革", "en": "Combined reform"},
    "scn_calibrated_baseline": {"zh": "南京现状（校准后）", "en": "Nanjing today (calibrated)"},
    "scn_calibrated_staffing_22": {"zh": "每万人 22 名社区工作者（校准后）", "en":
                                   "22 workers per 10,000 (calibrated)"},
    "scn_pilot_f35": {"zh": "F35 试点（全市）", "en": "F35 pilot (whole city)"},
}
LABELS.update(ROOM_LABELS)  # the room's tables, console and board (kept in their own file)

_FIELD = re.compile(r"{(\w+)[^}]*}")


class MissingLabel(KeyError):
    """The page asked for a label that is not in the table."""


def t(key: str, lang: str, **fields: object) -> str:
    """The label ``key`` in ``lang`` ("zh" or "en"), with ``{fields}`` filled in."""
    try:
        text = LABELS[key][lang]
    except KeyError:
        raise MissingLabel(f"no label {key!r} in {lang!r}") from None
    return text.format(**fields) if fields else text


def fields_of(text: str) -> set[str]:
    """The ``{field}`` names a label uses."""
    return set(_FIELD.findall(text))


def scenario_title(stem: str, lang: str) -> str:
    """A scenario's display name: a translated title when known, else the file stem."""
    key = f"scn_{stem}"
    return f"{t(key, lang)} ({stem})" if key in LABELS else stem


def pick_language(accept_language: str | Iterable[str] | None, default: str = "en") -> str:
    """Choose "zh" or "en" from an Accept-Language header (highest q first)."""
    if accept_language is None:
        return default
    if not isinstance(accept_language, str):
        accept_language = ",".join(accept_language)
    ranked: list[tuple[float, int, str]] = []
    for order, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGS and q > 0:
            ranked.append((-q, order, primary))
    return min(ranked)[2] if ranked else default
