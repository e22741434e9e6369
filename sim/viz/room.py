"""Joining from the room: ``govsim viz --room`` serves the page to the room's network
behind a join code.

Two codes are made at start (:func:`make_codes`): a short **join code** for the tables
and a longer **facilitator code**. :class:`RoomGate` wraps Solara's web app: a browser
without a valid pass gets the join form and nothing else (no page, no scripts, no
session: the WebSocket is refused); typing a code, or opening the QR code's address
``/join?code=…``, sets a signed cookie for its role (``table`` or ``facilitator``) and
opens the page (at the table named on the form or in the link: ``&table=3``). ``/room``
(facilitator only) shows the join code and its QR code (segno) for the projector, with
the facilitator's console and the results board (:mod:`sim.viz.console`). Wrong codes
wait a moment before the answer, so guessing is slow. Codes are compared in constant time.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import os
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from sim.viz.labels import pick_language, t
from sim.viz.room_state import TableRefused, check_table

ENV_JOIN = "GOVSIM_JOIN_CODE"
ENV_FACILITATOR = "GOVSIM_FACILITATOR_CODE"
ENV_SECRET = "GOVSIM_ROOM_SECRET"
COOKIE = "govsim_room"
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud or off a screen
JOIN_LENGTH = 6
FACILITATOR_LENGTH = 10
WRONG_CODE_DELAY = 0.5  # seconds before a wrong code is answered
OPEN_PATHS = ("/join", "/readyz")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class RoomCodes:
    join: str
    facilitator: str
    secret: str

    def env(self) -> dict[str, str]:
        return {ENV_JOIN: self.join, ENV_FACILITATOR: self.facilitator,
                ENV_SECRET: self.secret}

    def role_of(self, code: str) -> str | None:
        """ "table", "facilitator" or None for a typed code (case and spaces ignored)."""
        typed = "".join(code.split()).upper()
        if hmac.compare_digest(typed.encode(), self.facilitator.encode()):
            return "facilitator"
        if hmac.compare_digest(typed.encode(), self.join.encode()):
            return "table"
        return None

    def token(self, role: str) -> str:
        mac = hmac.new(self.secret.encode(), role.encode(), hashlib.sha256).hexdigest()
        return f"{role}.{mac}"

    def role_of_token(self, token: str) -> str | None:
        role, _, _ = token.partition(".")
        if role in ("table", "facilitator") and hmac.compare_digest(token, self.token(role)):
            return role
        return None


def make_codes() -> RoomCodes:
    def code(n: int) -> str:
        return "".join(secrets.choice(ALPHABET) for _ in range(n))

    join = code(JOIN_LENGTH)
    facilitator = code(FACILITATOR_LENGTH)
    return RoomCodes(join, facilitator, secrets.token_hex(16))


def codes_from_env(env: MutableMapping[str, str] | None = None) -> RoomCodes | None:
    env = os.environ if env is None else env
    join, fac = env.get(ENV_JOIN), env.get(ENV_FACILITATOR)
    if not join or not fac:
        return None
    return RoomCodes(join, fac, env.get(ENV_SECRET) or secrets.token_hex(16))


def join_url(base: str, code: str) -> str:
    return base.rstrip("/") + "/join?code=" + quote(code)


def qr_svg(text: str) -> str:
    """A QR code of ``text`` as inline SVG (segno, no network)."""
    import segno

    return segno.make(text, error="m").svg_inline(scale=6, dark="#111111")


def qr_terminal(text: str) -> str:
    """The QR code as text for the terminal (two rows a character)."""
    import io

    import segno

    buf = io.StringIO()
    segno.make(text, error="m").terminal(out=buf, compact=True)
    return buf.getvalue()


def _cookies(scope: Scope) -> dict[str, str]:
    jar = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a broken cookie header: as if none
                continue
    return {k: m.value for k, m in jar.items()}


def _header(scope: Scope, wanted: bytes) -> str:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return ""


def join_form(lang: str, message: str = "", code: str = "", table: str = "") -> str:
    """The only page a browser without a pass sees (self-contained: no scripts). A table
    name may come with the code (typed, or in the join link ``/join?code=…&table=3``)."""
    note = f'<p class="govsim-join-error">{html.escape(message)}</p>' if message else ""
    other = "en" if lang == "zh" else "zh"
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(t("join_title", lang))}</title>
<style>body{{font-family:sans-serif;max-width:26em;margin:3em auto;padding:0 1em;
font-size:18px}} input{{font-size:1.6em;letter-spacing:.2em;width:8em;text-transform:uppercase}}
input.govsim-join-table{{text-transform:none;letter-spacing:0}} label{{display:block;margin:.4em 0}}
button{{font-size:1.1em;padding:.4em 1.2em}} .govsim-join-error{{color:#c62828}}</style>
</head><body class="govsim-join"><h1>{html.escape(t("join_title", lang))}</h1>
<p>{html.escape(t("join_text", lang))}</p>{note}
<form method="post" action="/join?lang={lang}"><input name="code" autocomplete="off"
 autofocus class="govsim-join-code" aria-label="{html.escape(t("join_code", lang))}"
 value="{html.escape(code)}">
<label>{html.escape(t("join_table", lang))}<br><input name="table" autocomplete="off"
 class="govsim-join-table" maxlength="24" value="{html.escape(table)}"></label>
<button type="submit" class="govsim-join-button">{html.escape(t("join_button", lang))}</button>
</form><p><a href="/join?lang={other}">{"English" if other == "en" else "中文"}</a></p>
</body></html>"""


def codes_html(codes: RoomCodes, base: str, lang: str) -> str:
    """The join code large, its QR code and the address (the facilitator's console)."""
    url = join_url(base, codes.join)
    return f"""<p>{html.escape(t("room_text", lang))}</p>
<div class="govsim-room-code">{html.escape(codes.join)}</div>
<div class="govsim-room-qr">{qr_svg(url)}</div>
<p class="govsim-room-url">{html.escape(url)}</p>
<p><a href="/?lang={lang}">{html.escape(t("room_open_page", lang))}</a></p>"""


def room_page(codes: RoomCodes, base: str, lang: str) -> str:
    """The facilitator's view of the codes alone (the console adds the room's controls:
    :mod:`sim.viz.console`); never shown to a table."""
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>{html.escape(t("room_title", lang))}</title>
<style>body{{font-family:sans-serif;text-align:center;font-size:22px}}
.govsim-room-code{{font-size:4em;letter-spacing:.15em;font-weight:700}}</style></head>
<body class="govsim-room"><h1>{html.escape(t("room_title", lang))}</h1>
{codes_html(codes, base, lang)}</body></html>"""


class RoomGate:
    """An ASGI wrapper: only browsers holding a pass (the cookie a code gives) reach the
    app; everyone else gets the join form."""

    def __init__(self, app: Callable[..., Awaitable[None]], codes: RoomCodes) -> None:
        self.app = app
        self.codes = codes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)  # lifespan
            return
        path = scope.get("path", "")
        role = self.codes.role_of_token(_cookies(scope).get(COOKIE, ""))
        if kind == "websocket":
            if role is None:  # no session without a pass
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        lang = (query.get("lang") or [""])[0]
        if lang not in ("zh", "en"):
            lang = pick_language(_header(scope, b"accept-language"))
        if path == "/readyz":
            await self.app(scope, receive, send)
        elif path == "/join":
            await self.join(scope, receive, send, query, lang)
        elif role is None:
            await _respond(send, 303, "", [(b"location", f"/join?lang={lang}".encode())])
        elif path == "/room" or path.startswith("/room/") or path == "/board":
            if role != "facilitator" and path != "/board":
                await _respond(send, 403, join_form(lang, t("room_facilitator_only", lang)))
                return
            from sim.viz.console import handle  # the console imports the page's parts

            base = f"http://{_header(scope, b'host') or 'localhost'}"
            await handle(scope, receive, send, _respond, role, lang,
                         codes_html(self.codes, base, lang))
        else:
            await self.app(scope, receive, send)

    async def join(self, scope: Scope, receive: Receive, send: Send,
                   query: dict[str, list[str]], lang: str) -> None:
        code = (query.get("code") or [""])[0]
        table = (query.get("table") or [""])[0]
        if scope.get("method") == "POST":
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body") or len(body) > 4096:
                    break
            form = parse_qs(body.decode("utf-8", "replace"))
            code = (form.get("code") or [""])[0]
            table = (form.get("table") or [""])[0]
        if not code:
            await _respond(send, 200, join_form(lang, table=table[:24]))
            return
        if table.strip():
            try:
                table = check_table(table)
            except TableRefused:
                await _respond(send, 400, join_form(lang, t("join_table_bad", lang),
                                                    code=code[:64]))
                return
        role = self.codes.role_of(code[:64])
        if role is None:
            await asyncio.sleep(WRONG_CODE_DELAY)
            await _respond(send, 403, join_form(lang, t("join_wrong", lang)))
            return
        cookie = (f"{COOKIE}={self.codes.token(role)}; Path=/; HttpOnly; SameSite=Lax")
        page = {"lang": lang, **({"table": table} if table.strip() else {})}
        where = f"/room?lang={lang}" if role == "facilitator" else f"/?{urlencode(page)}"
        await _respond(send, 303, "", [(b"location", where.encode()),
                                       (b"set-cookie", cookie.encode())])


async def _respond(send: Send, status: int, body: str,
                   headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = body.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                            (b"content-length", str(len(data)).encode()),
                            (b"cache-control", b"no-store"), *(headers or [])]})
    await send({"type": "http.response.body", "body": data})
