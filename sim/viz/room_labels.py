"""The words of a room's tables, the facilitator's console and the results board, in
Chinese and English (merged into :data:`sim.viz.labels.LABELS`; read them with ``t``)."""

from __future__ import annotations

ROOM_LABELS: dict[str, dict[str, str]] = {
    "join_table": {"zh": "桌名或桌号（可不填）", "en": "Your table's name or number (optional)"},
    "join_table_bad": {"zh": "桌名只能是 1 到 24 个字母、数字、空格、_ 或 -。",
                       "en": "A table's name is 1 to 24 letters, digits, spaces, _ or -."},
    "table_title": {"zh": "第 {table} 桌", "en": "Table {table}"},
    "table_cost": {"zh": "本方案每年成本：¥{cost}", "en": "This policy costs ¥{cost} a year"},
    "table_budget": {"zh": "预算：¥{budget}", "en": "Budget: ¥{budget}"},
    "table_no_budget": {"zh": "尚未设定预算", "en": "No budget set yet"},
    "table_over": {"zh": "超出预算 ¥{over}", "en": "Over the budget by ¥{over}"},
    "table_submit": {"zh": "提交本桌方案", "en": "Submit our policy"},
    "table_submit_tip": {"zh": "把当前情景和移动过的杠杆提交到结果榜（再次提交会替换）",
                         "en": "Send the scenario and the moved levers to the results board "
                               "(a new submission replaces the last)"},
    "table_submitted": {"zh": "已提交：{policy}；结果榜正在运行", "en":
                        "Submitted: {policy}; the board is running it"},
    "table_refused": {"zh": "未提交：成本 ¥{cost} 超出预算 ¥{budget}", "en":
                      "Not submitted: its cost ¥{cost} is over the budget ¥{budget}"},
    "table_pushed": {"zh": "主持人更新了设置（第 {n} 次）", "en":
                     "The facilitator changed the setting (push {n})"},
    "table_board": {"zh": "查看结果榜", "en": "See the results board"},
    "console_title": {"zh": "主持人控制台", "en": "Facilitator's console"},
    "console_tables": {"zh": "各桌", "en": "Tables"},
    "console_none": {"zh": "还没有桌加入", "en": "No table has joined yet"},
    "console_devices": {"zh": "设备", "en": "devices"},
    "console_day": {"zh": "天数", "en": "day"},
    "console_policy": {"zh": "方案", "en": "policy"},
    "console_cost": {"zh": "成本", "en": "cost"},
    "console_submitted": {"zh": "已提交", "en": "submitted"},
    "console_to": {"zh": "发送给", "en": "Send to"},
    "console_all": {"zh": "所有桌", "en": "every table"},
    "console_scenario": {"zh": "情景", "en": "Scenario"},
    "console_keep": {"zh": "（不变）", "en": "(unchanged)"},
    "console_lever": {"zh": "杠杆", "en": "Lever"},
    "console_value": {"zh": "数值", "en": "value"},
    "console_seed": {"zh": "随机种子", "en": "Seed"},
    "console_push": {"zh": "推送设置", "en": "Push the setting"},
    "console_play": {"zh": "全部开始", "en": "Start"},
    "console_pause": {"zh": "全部暂停", "en": "Pause"},
    "console_budget": {"zh": "预算（元/年，每桌方案）", "en":
                       "Budget (yuan a year, each table's policy)"},
    "console_set_budget": {"zh": "设定预算", "en": "Set the budget"},
    "console_board": {"zh": "结果榜", "en": "Results board"},
    "console_share": {"zh": "向各桌显示结果榜", "en": "Show the board to the tables"},
    "console_unshare": {"zh": "不再向各桌显示结果榜", "en": "Stop showing the board to tables"},
    "console_done": {"zh": "已发送：{what}", "en": "Sent: {what}"},
    "console_refused": {"zh": "未发送：{message}", "en": "Not sent: {message}"},
    "board_title": {"zh": "结果榜", "en": "Results board"},
    "board_text": {"zh": "各桌方案与参照方案使用相同的随机种子（{replicates} 次重复，"
                         "每次 {days} 天，一个社区）；差值为配对差值及其 95% 置信区间。",
                   "en": "Each table's policy and the reference run on the same seeds "
                         "({replicates} replicates of {days} days, one community); "
                         "differences are paired, with 95% intervals."},
    "board_none": {"zh": "还没有桌提交方案", "en": "No table has submitted yet"},
    "board_rank": {"zh": "名次", "en": "rank"},
    "board_table": {"zh": "桌", "en": "table"},
    "board_runs": {"zh": "已完成", "en": "runs done"},
    "board_diff": {"zh": "{outcome} 与参照之差", "en": "{outcome} minus reference"},
    "board_reference": {"zh": "参照：{name}", "en": "Reference: {name}"},
    "board_running": {"zh": "运行中：已完成 {done}/{total} 次", "en":
                      "Running: {done} of {total} runs done"},
    "board_finished": {"zh": "全部完成（{total} 次）", "en": "All {total} runs done"},
    "board_over": {"zh": "超预算", "en": "over budget"},
    "board_export": {"zh": "导出为规划报告", "en": "Export as the planner's report"},
    "board_report": {"zh": "打开报告", "en": "Open the report"},
    "board_reporting": {"zh": "正在生成报告……", "en": "Writing the report…"},
    "board_by": {"zh": "排序依据", "en": "Ranked by"},
    "out_on_time_share": {"zh": "按时办结率", "en": "on-time share"},
    "out_mean_trust": {"zh": "平均信任", "en": "mean trust"},
    "out_median_days_to_resolve": {"zh": "办结天数中位数", "en": "median days to resolve"},
    "out_incidents": {"zh": "事故数", "en": "incidents"},
}
