"""The facilitator's console (``/room``) and the results board (``/room/board``), served
by the room's gate (:class:`sim.viz.room.RoomGate`) behind the facilitator's code.

Plain HTML forms, no scripts: each button posts to ``/room/<action>``, the room's state
(:mod:`sim.viz.room_state`) changes, and the browser is sent back to the console with
one line saying what was sent or why not. The tables' pages hear a push within a
moment (they wait on the room). The board refreshes itself every few seconds while runs
are going; a table's pass opens it (``/board``) only once the facilitator shares it.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlencode

from sim.viz.board import RANKED, board, stem_of, table_title
from sim.viz.labels import t
from sim.viz.levers import LEVER_BY_KEY, LEVERS, Refused
from sim.viz.room_state import TableRefused, check_table, room

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Respond = Callable[..., Awaitable[None]]
BOARD_REFRESH = 3  # seconds between the board's refreshes while runs are going

STYLE = """<style>body{font-family:sans-serif;font-size:18px;margin:1em 2em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
form{margin:.5em 0}fieldset{margin:.6em 0}.govsim-room-code{font-size:3em;font-weight:700;
letter-spacing:.15em}.govsim-room-qr svg{width:180px;height:180px}.bad{color:#c62828}
.ok{color:#2e7d32}.govsim-board td{font-size:1.1em}</style>"""


async def read_form(receive: Receive, limit: int = 8192) -> dict[str, str]:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body") or len(body) > limit:
            break
    form = parse_qs(body[:limit].decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in form.items()}


def _target(form: dict[str, str]) -> str | None:
    raw = form.get("table", "").strip()
    return check_table(raw) if raw else None


def act(path: str, form: dict[str, str]) -> str:
    """Do what a console button asks; the line to show. Raises ValueError (a refusal,
    said in one line) for anything the room will not use."""
    from sim.viz.address import check_seed
    from sim.viz.opening import page_name

    r = room()
    if path == "/room/push":
        table = _target(form)
        scenario = page_name(form["scenario"]) if form.get("scenario") else None
        levers: dict[str, Any] = {}
        if form.get("lever"):
            if form["lever"] not in LEVER_BY_KEY:
                raise ValueError(f"{form['lever'][:40]}: not a lever")
            levers[form["lever"]] = LEVER_BY_KEY[form["lever"]].check(form.get("value", ""))
        seed = check_seed(form["seed"]) if form.get("seed", "").strip() else None
        if scenario is None and not levers and seed is None:
            raise ValueError("choose a scenario, a lever and its value, or a seed")
        r.push("setting", table, scenario=scenario, levers=levers, seed=seed)
        parts = [scenario or "", *(f"{k}={v:g}" for k, v in levers.items()),
                 f"seed={seed}" if seed is not None else ""]
        return f"{' '.join(p for p in parts if p)} → {table or 'all'}"
    if path in ("/room/play", "/room/pause"):
        table = _target(form)
        r.push(path.rsplit("/", 1)[1], table)
        return f"{path.rsplit('/', 1)[1]} → {table or 'all'}"
    if path == "/room/budget":
        raw = form.get("budget", "").replace(",", "").strip()
        try:
            value = float(raw) if raw else None
        except ValueError:
            raise ValueError(f"budget {raw[:30]!r}: a number of yuan above 0") from None
        r.set_budget(value)
        return f"budget {value:,.0f}" if value is not None else "no budget"
    if path == "/room/share":
        r.share_board(form.get("shared") == "1")
        return "board shared" if r.board_shared else "board not shared"
    if path == "/room/board/export":
        board().export()
        return "report"
    raise ValueError("unknown action")


def _options(pairs: list[tuple[str, str]], selected: str = "") -> str:
    return "".join(f'<option value="{html.escape(v)}"{" selected" if v == selected else ""}>'
                   f"{html.escape(label)}</option>" for v, label in pairs)


def _levers_text(devs: list[Any]) -> str:
    return "; ".join(f"{k}={v:g}" for d in devs[:1] for k, v in d.levers.items())


def console_page(codes_html: str, lang: str, note: str, bad: bool) -> str:
    from sim.viz.picker import list_scenarios

    r = room()
    tables = r.tables()
    subs = {s.table: s for s in r.submissions()}
    rows = "".join(
        f'<tr class="govsim-console-row" data-table="{html.escape(name)}">'
        f"<td>{html.escape(table_title(name))}</td><td>{len(devs)}</td>"
        f"<td>{', '.join(str(d.day) for d in devs)}</td>"
        f"<td>{html.escape(', '.join(sorted({str(d.scenario) for d in devs})))}</td>"
        f"<td>{html.escape(_levers_text(devs))}</td>"
        f"<td>{', '.join(f'{d.cost:,.0f}' for d in devs if d.cost is not None)}</td>"
        f"<td>{'✓' if name in subs else ''}</td></tr>"
        for name, devs in tables.items())
    head = "".join(f"<th>{t(k, lang)}</th>" for k in (
        "board_table", "console_devices", "console_day", "console_scenario",
        "console_lever", "console_cost", "console_submitted"))
    listing = (f'<table class="govsim-console-tables"><tr>{head}</tr>{rows}</table>'
               if rows else f"<p>{t('console_none', lang)}</p>")
    to = _options([("", t("console_all", lang))] +
                  [(n, table_title(n)) for n in tables])
    scen = _options([("", t("console_keep", lang))] + [(n, n) for n in list_scenarios()])
    levers = _options([("", t("console_keep", lang))] +
                      [(lv.key, f"{t(lv.label_key, lang)} ({lv.key})") for lv in LEVERS])
    budget = r.budget
    shared = r.board_shared
    msg = (f'<p class="govsim-console-message {"bad" if bad else "ok"}">{html.escape(note)}'
           "</p>" if note else "")
    q = f"?lang={lang}"
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>{t("console_title", lang)}</title>{STYLE}</head><body class="govsim-room">
<h1>{t("console_title", lang)}</h1>{codes_html}{msg}
<h2>{t("console_tables", lang)} <a href="/room{q}">↻</a></h2>{listing}
<form method="post" action="/room/push{q}" class="govsim-push"><fieldset>
<label>{t("console_to", lang)} <select name="table">{to}</select></label>
<label>{t("console_scenario", lang)} <select name="scenario">{scen}</select></label><br>
<label>{t("console_lever", lang)} <select name="lever">{levers}</select></label>
<label>{t("console_value", lang)} <input name="value" size="8"></label>
<label>{t("console_seed", lang)} <input name="seed" size="10"></label>
<button type="submit" class="govsim-push-button">{t("console_push", lang)}</button>
</fieldset></form>
<form method="post" action="/room/play{q}" class="govsim-play-all"><fieldset>
<label>{t("console_to", lang)} <select name="table">{to}</select></label>
<button type="submit" class="govsim-play-button">{t("console_play", lang)}</button>
<button type="submit" formaction="/room/pause{q}" class="govsim-pause-button">
{t("console_pause", lang)}</button></fieldset></form>
<form method="post" action="/room/budget{q}" class="govsim-budget"><fieldset>
<label>{t("console_budget", lang)} <input name="budget" size="14"
 value="{"" if budget is None else f"{budget:.0f}"}"></label>
<button type="submit" class="govsim-budget-button">{t("console_set_budget", lang)}</button>
</fieldset></form>
<p><a href="/room/board{q}" class="govsim-board-link">{t("console_board", lang)}</a></p>
<form method="post" action="/room/share{q}"><input type="hidden" name="shared"
 value="{"0" if shared else "1"}"><button type="submit" class="govsim-share-button">
{t("console_unshare" if shared else "console_share", lang)}</button></form>
</body></html>"""


def _interval(x: float, lo: float, hi: float, by: str) -> str:
    if by.endswith("_share"):
        return f"{x * 100:+.1f} pp [{lo * 100:+.1f}, {hi * 100:+.1f}]"
    return f"{x:+.3g} [{lo:+.3g}, {hi:+.3g}]"


def board_page(lang: str, by: str, facilitator: bool) -> str:
    b = board()
    by = by if by in RANKED else "on_time_share"
    standings = b.standings(by)
    budget = room().budget
    p = b.progress_now()  # after standings(): it counts the runs done
    # a submission the runner has not taken up yet: running, and the page keeps refreshing
    pending = room().version() != p.version
    busy = pending or p.running or p.done < p.total
    state = (t("board_running", lang, done=p.done, total=p.total) if busy
             else t("board_finished", lang, total=p.total))
    rows = ""
    for rank, row in enumerate(standings, 1):
        sub = row["submission"]
        policy = sub.scenario + "".join(f"; {k}={v:g}" for k, v in sub.levers.items())
        over = budget is not None and row["cost"] > budget
        diff = (_interval(row["diff"], row["low"], row["high"], by) if "diff" in row else "…")
        rows += (f'<tr class="govsim-board-row" data-table="{html.escape(sub.table)}">'
                 f"<td>{rank if 'diff' in row else ''}</td>"
                 f"<td>{html.escape(table_title(sub.table))}</td><td>{html.escape(policy)}</td>"
                 f'<td class="govsim-board-interval">{diff}</td>'
                 f"<td>{row['cost']:,.0f}{' (' + t('board_over', lang) + ')' if over else ''}"
                 f"</td><td>{row['runs']}/{b.replicates}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in (
        t("board_rank", lang), t("board_table", lang), t("console_policy", lang),
        t("board_diff", lang, outcome=t(f"out_{by}", lang)), t("console_cost", lang),
        t("board_runs", lang)))
    ref = b.reference_mean(by)
    ref_line = t("board_reference", lang, name=p.reference or b.reference) + (
        f": {ref['mean']:.4g} [{ref['ci_low']:.4g}, {ref['ci_high']:.4g}]" if ref else "")
    sorts = " · ".join(f'<a href="?{urlencode({"lang": lang, "by": k})}">{t(f"out_{k}", lang)}'
                       "</a>" for k in RANKED)
    tools = ""
    if facilitator:
        tools = (f'<form method="post" action="/room/board/export?lang={lang}">'
                 f'<button type="submit" class="govsim-export-button">'
                 f'{t("board_export", lang)}</button></form>')
        if p.reporting:
            tools += f'<p class="govsim-board-reporting">{t("board_reporting", lang)}</p>'
        if p.report is not None and p.report.exists():
            tools += (f'<p><a class="govsim-board-report" href="/room/board/report">'
                      f'{t("board_report", lang)}</a></p>')
    refresh = (f'<meta http-equiv="refresh" content="{BOARD_REFRESH}">'
               if busy or p.reporting else "")
    err = f'<p class="bad">{html.escape(p.error)}</p>' if p.error else ""
    table_html = (f'<table class="govsim-board"><tr>{head}</tr>{rows}</table>' if rows
                  else f"<p>{t('board_none', lang)}</p>")
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">{refresh}
<title>{t("board_title", lang)}</title>{STYLE}</head><body class="govsim-board-page">
<h1>{t("board_title", lang)}</h1>
<p>{t("board_text", lang, replicates=b.replicates, days=b.days)}</p>
<p class="govsim-board-state">{state}</p><p>{t("board_by", lang)}: {sorts}</p>
{table_html}<p class="govsim-board-ref">{html.escape(ref_line)}</p>{err}{tools}
</body></html>"""


async def handle(scope: Scope, receive: Receive, send: Send, respond: Respond,
                 role: str, lang: str, codes_html: str) -> None:
    """``/room…`` and ``/board`` for a browser holding a pass (``role``)."""
    path = scope.get("path", "")
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    by = (query.get("by") or [""])[0]
    if path == "/board" and (role == "facilitator" or room().board_shared):
        await respond(send, 200, await asyncio.to_thread(
            board_page, lang, by, role == "facilitator"))
        return
    if role != "facilitator":
        await respond(send, 403, "<p class='govsim-join-error'>"
                      f"{html.escape(t('room_facilitator_only', lang))}</p>")
        return
    if scope.get("method") == "POST":
        form = await read_form(receive)
        try:
            what = await asyncio.to_thread(act, path, form)  # loads a pushed scenario
            done, bad = t("console_done", lang, what=what), False
        except (ValueError, Refused, TableRefused) as exc:
            done, bad = t("console_refused", lang, message=str(exc)), True
        back = "/room/board" if path.startswith("/room/board") else "/room"
        where = f"{back}?{urlencode({'lang': lang, 'note': done, 'bad': int(bad)})}"
        await respond(send, 303, "", [(b"location", where.encode())])
        return
    if path == "/room/board":  # reads the runs' files: off the server's event loop
        await respond(send, 200, await asyncio.to_thread(board_page, lang, by, True))
    elif path == "/room/board/report":
        report = board().progress_now().report
        if report is None or not report.exists():
            await respond(send, 404, "<p>no report yet</p>")
        else:
            await respond(send, 200, report.read_text(encoding="utf-8"))
    else:
        note = (query.get("note") or [""])[0][:300]
        bad = (query.get("bad") or ["0"])[0] == "1"
        await respond(send, 200, console_page(codes_html, lang, note, bad))


__all__ = ["act", "board_page", "console_page", "handle", "stem_of"]
