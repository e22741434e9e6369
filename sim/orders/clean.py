"""Cleaning an export: parse its times, and list every row not used and why.

Nothing is dropped silently: each row not used gets one reason (the first that
applies, in the order of ``REASONS``) in ``cleaning.csv``. Orders still open are kept,
as right-censored at the export's end (the latest time it records).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.orders.categories import Mapping_, drop_mask, map_categories
from sim.orders.read import Export
from sim.orders.shapes import TIME_FIELDS

REASONS: dict[str, str] = {
    "no_created_time": "no created time (受理时间)",
    "unparseable_date": "a date that cannot be read",
    "invalid": "test or invalid call (无效来电), a duplicate or transferred request",
    "internal": "raised by the city's own crews (Proactive), not by a resident",
    "duplicate_id": "the same order id as an earlier row (the first is kept)",
    "closed_before_created": "closed before it was created",
    "closed_without_time": "status says closed (办结) but there is no close time",
    "outside_period": "created outside the period (--period, or before 1990 / in the future)",
}

# Explicit formats, tried on a sample and then on whole columns (vectorised): the
# exports seen use month-first US dates with 12-hour clocks (311) and ISO or slashed
# year-first dates (12345), with or without seconds and milliseconds.
FORMATS: tuple[str, ...] = (
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%y %I:%M:%S %p", "%m/%d/%y %I:%M %p",
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%y %H:%M:%S", "%m/%d/%y %H:%M",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S.%f",
    "%y-%m-%d %H:%M:%S", "%y-%m-%d %H:%M", "%y/%m/%d %H:%M:%S", "%y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y%m%d%H%M%S", "%Y-%m-%d", "%Y/%m/%d",
    "%m/%d/%Y", "%Y年%m月%d日", "ISO8601",
)
SAMPLE = 2000
EARLIEST = pd.Timestamp("1990-01-01")


@dataclass
class Cleaned:
    """The rows used (canonical columns) and the rows not used (with reasons)."""

    used: pd.DataFrame
    dropped: pd.DataFrame
    rows_read: int
    end: pd.Timestamp  # the export's end: open orders are censored here
    formats: dict[str, dict[str, str]] = field(default_factory=dict)


def parse_times(col: pd.Series, origin: str, header: str) -> tuple[pd.Series, str]:
    """A column of times parsed with the format(s) that read most of it."""
    if pd.api.types.is_datetime64_any_dtype(col):
        out = col.dt.tz_localize(None) if getattr(col.dt, "tz", None) else col
        return out.astype("datetime64[ns]"), "native"
    obj = col.astype(object)
    if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:
        is_ts = pd.Series(False, index=col.index)  # text from CSV: no per-cell check
    else:
        is_ts = obj.map(lambda v: isinstance(v, pd.Timestamp | dt.datetime))
    out = pd.Series(pd.NaT, index=col.index, dtype="datetime64[ns]")
    if is_ts.any():  # xlsx date cells come parsed
        out[is_ts] = pd.to_datetime(obj[is_ts]).astype("datetime64[ns]")
    text = obj[~is_ts].where(obj[~is_ts].notna(), None)
    text = text.dropna().astype(str).str.strip()
    text = text[text != ""]
    used: list[str] = ["native"] if is_ts.any() else []
    todo = text
    while not todo.empty:
        fmt = _best_format(todo)
        if fmt is None:
            break
        got = _to_datetime(todo, fmt)
        ok = got.notna()
        if not ok.any():
            break
        out[got.index[ok]] = got[ok]
        used.append(fmt)
        todo = todo[~ok]
    bad = len(todo)
    if text.size and bad * 2 > text.size:
        example = str(todo.iloc[0])[:40]
        raise InputError(f"{origin}: column {header!r}: {bad:,} of {text.size:,} dates "
                         f"cannot be read (e.g. {example!r}); formats tried: "
                         f"{', '.join(FORMATS[:4])}, ... ISO 8601")
    return out, " + ".join(used) or "none"


def _to_datetime(values: pd.Series, fmt: str) -> pd.Series:
    kw = {"format": fmt} if fmt != "ISO8601" else {"format": "ISO8601"}
    try:
        got = pd.to_datetime(values, errors="coerce", **kw)
    except (ValueError, TypeError):
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if getattr(got.dt, "tz", None) is not None:  # an offset in the text: to UTC, naive
        got = got.dt.tz_convert("UTC").dt.tz_localize(None)
    return got.astype("datetime64[ns]")


def _best_format(values: pd.Series) -> str | None:
    sample = values.iloc[:: max(1, len(values) // SAMPLE)].iloc[:SAMPLE]
    best, best_n = None, 0
    for fmt in FORMATS:
        n = int(_to_datetime(sample, fmt).notna().sum())
        if n > best_n:  # ties keep the earlier (month-first, then ISO)
            best, best_n = fmt, n
        if n == len(sample):
            break
    return best


def tz_shift(spec: str | None) -> object:
    """``--tz``: a fixed shift (``+5``, ``-3h``, ``+05:00``: hours added to every time,
    for an export whose clock is off) or a zone name (``Asia/Shanghai``: the times are
    UTC and are shown in that zone's local time)."""
    if spec is None:
        return None
    m = re.fullmatch(r"([+-]?)(\d{1,2})(?::(\d{2}))?h?", spec.strip())
    if m:
        hours = int(m.group(2)) + int(m.group(3) or 0) / 60
        return pd.Timedelta(hours=-hours if m.group(1) == "-" else hours)
    try:
        return ZoneInfo(spec)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"--tz {spec!r}: not a shift in hours (+5, -3h, +05:00) or a time "
                         "zone name (Asia/Shanghai, America/New_York)") from None


def _apply_tz(times: pd.Series, shift: object) -> pd.Series:
    if shift is None:
        return times
    if isinstance(shift, pd.Timedelta):
        return times + shift
    local = times.dt.tz_localize("UTC").dt.tz_convert(shift)  # type: ignore[arg-type]
    return local.dt.tz_localize(None)


def canonical(export: Export, fields: Mapping[str, list[str]], shift: object
              ) -> tuple[pd.DataFrame, dict[str, str]]:
    """One export's rows as the fit's fields, times parsed."""
    f = export.frame
    out = pd.DataFrame(index=f.index)
    out["file"] = export.path.name
    out["row"] = f["_row"] if "_row" in f.columns else np.arange(2, len(f) + 2)
    out["sheet"] = f["_sheet"] if "_sheet" in f.columns else ""
    formats: dict[str, str] = {}
    for name, cols in fields.items():
        if name in TIME_FIELDS:
            raw = f[cols[0]]
            parsed, fmt = parse_times(raw, str(export.path), cols[0])
            out[name] = _apply_tz(parsed, shift)
            out[name + "_raw"] = raw.notna() & (raw.astype(object).astype(str).str.strip()
                                                != "")
            formats[name] = fmt
        elif len(cols) == 1:
            out[name] = _text(f[cols[0]])
        else:  # 一级 / 二级 / 三级分类 joined, empty levels left out
            parts = [_text(f[c]).fillna("") for c in cols]
            joined = parts[0].str.cat(parts[1:], sep=" / ").str.replace(
                r"( / )+$", "", regex=True).str.replace(r"^( / )+", "", regex=True)
            out[name] = joined.where(joined != "", None)
    return out, formats


def _text(col: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:
        s = col.str.strip()  # text from CSV: vectorised
        return s.where(s != "", None).astype(object)
    s = col.astype(object).where(col.notna(), None)
    s = s.map(lambda v: v if v is None or isinstance(v, str) else str(v))
    s = s.str.strip()
    return s.where(s != "", None)


def clean(exports: list[Export], fields: list[dict[str, list[str]]], mapping: Mapping_,
          *, shift: object = None, period: tuple[pd.Timestamp | None, pd.Timestamp | None]
          = (None, None), holdout_from: pd.Timestamp | None = None) -> Cleaned:
    """Every export's rows, cleaned: used rows with durations, dropped rows with reasons."""
    parts, formats = [], {}
    for export, fmap in zip(exports, fields, strict=True):
        frame, fmts = canonical(export, fmap, shift)
        parts.append(frame)
        formats[export.path.name] = fmts
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    for name in ("id", "dispatched", "due", "unit", "status", "channel", "neighbourhood",
                 "handling", "call_type", "urgency"):
        if name not in frame.columns:
            frame[name] = pd.NaT if name in TIME_FIELDS else None
    reason = pd.Series(None, index=frame.index, dtype=object)
    detail = pd.Series(None, index=frame.index, dtype=object)

    def mark(mask: pd.Series, code: str, why: pd.Series | str = "") -> None:
        new = mask.fillna(False).astype(bool) & reason.isna()
        reason[new] = code
        detail[new] = why[new] if isinstance(why, pd.Series) else why

    mark(~frame["created_raw"], "no_created_time")
    for name in TIME_FIELDS:
        if name + "_raw" in frame.columns:
            mark(frame[name + "_raw"] & frame[name].isna(), "unparseable_date", name)
    for code in ("invalid", "internal"):
        if code in mapping.drop:
            hit, why = drop_mask(frame, mapping.drop[code], mapping)
            mark(hit, code, why)
    if frame["id"].notna().any():
        live = reason.isna() & frame["id"].notna()
        dup = frame["id"].where(live).duplicated(keep="first") & live
        mark(dup, "duplicate_id", "id " + frame["id"].astype(str))
    mark(frame["closed"] < frame["created"], "closed_before_created")
    if mapping.closed_status:
        said = frame["status"].isin(mapping.closed_status).fillna(False).astype(bool)
        mark(said & frame["closed"].isna(), "closed_without_time",
             "status " + frame["status"].astype(str))
    lo, hi = period
    now = pd.Timestamp.now().floor("D") + pd.Timedelta(days=1)
    early = frame["created"] < (lo if lo is not None else EARLIEST)
    late = frame["created"] >= (hi if hi is not None else now)
    mark(early | late, "outside_period", "created " + frame["created"].astype(str))

    keep = reason.isna()
    dropped = pd.DataFrame({
        "file": frame["file"][~keep], "sheet": frame["sheet"][~keep],
        "row": frame["row"][~keep], "id": frame["id"][~keep],
        "reason": reason[~keep], "detail": detail[~keep]}).reset_index(drop=True)
    used = frame[keep].drop(columns=[c for c in frame.columns if c.endswith("_raw")])
    if used.empty:
        raise InputError(f"{', '.join(str(e.path) for e in exports)}: no row can be used "
                         f"({_counts(dropped)})")
    times = [used[c] for c in TIME_FIELDS if c in used.columns and c != "due"]
    end = max(t.max() for t in times if t.notna().any())
    # One order of rows whatever the files' order (sheets by month, files split): the
    # fit is then the same to the last digit.
    used = used.sort_values(["created", "id", "file", "row"], kind="stable",
                            na_position="last").reset_index(drop=True)
    used["category"] = used["category"].fillna("(none)")
    used["scenario_category"] = map_categories(used["category"], mapping)
    used["is_closed"] = used["closed"].notna()
    stop = used["closed"].where(used["is_closed"], end)
    used["days"] = ((stop - used["created"]).dt.total_seconds() / 86400.0).clip(lower=0.0)
    used["due_days"] = (used["due"] - used["created"]).dt.total_seconds() / 86400.0
    used["settled"] = _settled(used["handling"])
    if mapping.settled_unit and used["settled"].isna().all():
        used["settled"] = used["unit"].isin(mapping.settled_unit).astype("boolean")
    used["holdout"] = (used["created"] >= holdout_from) if holdout_from is not None \
        else False
    return Cleaned(used=used, dropped=dropped, rows_read=len(frame), end=end,
                   formats=formats)


def _settled(handling: pd.Series) -> pd.Series:
    """受理类型: 直办 settled on the call -> True, 转办 passed on -> False, else missing."""
    text = handling.astype(object)
    out = pd.Series(pd.NA, index=handling.index, dtype="boolean")
    out[text.str.contains("直办|直接办理|直接答复|当场办结", na=False, regex=True)] = True
    out[text.str.contains("转办|派单|交办", na=False, regex=True)] = False
    return out


def _counts(dropped: pd.DataFrame) -> str:
    vc = dropped["reason"].value_counts()
    return ", ".join(f"{k} {v:,}" for k, v in vc.items()) or "no rows"


def dropped_counts(dropped: pd.DataFrame) -> dict[str, int]:
    vc = dropped["reason"].value_counts()
    return {k: int(vc.get(k, 0)) for k in REASONS}
