"""Known column layouts of work-order exports, and ``--columns MAP.toml`` for others.

A shape names, for each field the fit uses, the header(s) it may have in an export.
``auto`` picks the shape whose headers match best; a missing required field is an
:class:`~sim.errors.InputError` naming it and listing the columns found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import InputError

# The fields the fit reads. ``created`` and ``closed`` are times; ``category`` may come
# from several columns (12345: 一级/二级/三级分类), joined with " / ".
FIELDS: tuple[str, ...] = (
    "id", "created", "dispatched", "closed", "due", "category", "unit", "status",
    "channel", "neighbourhood", "handling", "call_type", "urgency",
)
REQUIRED: tuple[str, ...] = ("created", "closed", "category")
TIME_FIELDS: tuple[str, ...] = ("created", "dispatched", "closed", "due")


@dataclass(frozen=True)
class Shape:
    """A layout: field -> candidate headers (the first one present is used)."""

    name: str
    candidates: Mapping[str, tuple[str, ...]]
    # Which default mapping file (sim/orders/mappings/<name>.toml) its categories use.
    mapping: str
    multi: frozenset[str] = field(default_factory=frozenset)  # fields joined over columns

    def resolve(self, headers: Sequence[str]) -> dict[str, list[str]]:
        """Field -> the export's columns holding it (absent fields left out)."""
        present = {h.strip(): h for h in headers}
        out: dict[str, list[str]] = {}
        for name, cands in self.candidates.items():
            found = [present[c] for c in cands if c in present]
            if found:
                out[name] = found if name in self.multi else found[:1]
        return out

    def score(self, headers: Sequence[str]) -> int:
        return len(self.resolve(headers))


OPEN311 = Shape(
    name="311",
    mapping="311",
    candidates={
        "id": ("ServiceRequestNum", "Unique Key", "service_request_id", "SRRecordID",
               "Service Request Number", "SR Number"),
        "created": ("Created Date", "CreatedDate", "requested_datetime", "Created",
                    "Open Date"),
        "closed": ("Closed Date", "CloseDate", "closed_date", "Closed", "Close Date"),
        "due": ("DueDate", "Due Date", "Resolution Due Date", "expected_datetime"),
        "category": ("Complaint Type", "SRType", "service_name", "Request Type", "Type"),
        "unit": ("Agency", "Agency Name", "agency_responsible", "Department"),
        "status": ("Status", "SRStatus", "status"),
        "channel": ("MethodReceived", "Open Data Channel Type", "Channel", "Source",
                    "Method Received"),
        "neighbourhood": ("Neighborhood", "Neighbourhood", "Borough", "Community Board",
                          "Community Area"),
    },
)

HOTLINE_12345 = Shape(
    name="12345",
    mapping="12345",
    multi=frozenset({"category"}),
    candidates={
        "id": ("工单编号", "工单号", "编号"),
        "created": ("受理时间", "来电时间", "登记时间", "创建时间"),
        "dispatched": ("转办时间", "派单时间"),
        "closed": ("办结时间", "结案时间", "完成时间"),
        "due": ("办理时限", "要求办结时间", "截止时间"),
        "category": ("一级分类", "二级分类", "三级分类"),
        "unit": ("办理单位", "承办单位", "处理单位"),
        "status": ("工单状态", "状态"),
        "handling": ("受理类型", "办理方式"),
        "call_type": ("来电类别", "诉求类型"),
        "urgency": ("紧急程度",),
        "channel": ("来源渠道", "来源"),
        "neighbourhood": ("所属街道", "街道", "所属区域", "区域"),
    },
)

SHAPES: dict[str, Shape] = {s.name: s for s in (OPEN311, HOTLINE_12345)}


def columns_from_file(path: Path) -> tuple[dict[str, list[str]], str | None]:
    """``--columns MAP.toml``: ``[columns]`` field = "Header" (or a list of headers, for
    ``category``) and optionally ``mapping = "311" | "12345" | "file.toml"``."""
    import tomllib

    if not path.is_file():
        raise InputError(f"--columns {path}: no such file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"--columns {path}: not valid TOML: {exc}") from None
    cols = data.get("columns")
    if not isinstance(cols, dict) or not cols:
        raise InputError(f"--columns {path}: needs a [columns] table of field = \"header\"; "
                         f"fields: {', '.join(FIELDS)}")
    out: dict[str, list[str]] = {}
    for key, value in cols.items():
        if key not in FIELDS:
            raise InputError(f"--columns {path}: columns.{key}: unknown field; allowed: "
                             f"{', '.join(FIELDS)}")
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values or not all(
                isinstance(v, str) for v in values):
            raise InputError(f"--columns {path}: columns.{key}: must be a header name or a "
                             "list of header names")
        out[key] = list(values)
    mapping = data.get("mapping")
    if mapping is not None and not isinstance(mapping, str):
        raise InputError(f"--columns {path}: mapping: must be \"311\", \"12345\" or a file")
    return out, mapping


def choose(headers: Sequence[str], shape: str, columns: Mapping[str, list[str]] | None,
           origin: str) -> tuple[str, dict[str, list[str]], str]:
    """(shape name, field -> columns, default mapping name) for an export's headers."""
    headers = [str(h) for h in headers]
    if shape == "auto":
        best = max(SHAPES.values(), key=lambda s: (
            all(f in s.resolve(headers) or (columns and f in columns) for f in REQUIRED),
            s.score(headers)))
    else:
        best = SHAPES[shape]
    fields = best.resolve(headers)
    if columns:
        stripped = {h.strip(): h for h in headers}
        for key, names in columns.items():
            missing = [n for n in names if n.strip() not in stripped]
            if missing:
                raise InputError(f"{origin}: no column {missing[0]!r} (named for {key} by "
                                 f"--columns); columns found: {_listed(headers)}")
            fields[key] = [stripped[n.strip()] for n in names]
    for req in REQUIRED:
        if req not in fields:
            wanted = " or ".join(repr(c) for c in best.candidates.get(req, ())[:3])
            raise InputError(f"{origin}: missing the {req} column ({wanted}, {best.name} "
                             f"shape); columns found: {_listed(headers)}")
    return best.name, fields, best.mapping


def _listed(headers: Sequence[str], limit: int = 30) -> str:
    shown = ", ".join(headers[:limit])
    return shown + (f" (and {len(headers) - limit} more)" if len(headers) > limit else "") \
        if headers else "none"


def describe(fields: Mapping[str, list[str]]) -> dict[str, Any]:
    """Field -> header(s), for fit.json."""
    return {k: (v[0] if len(v) == 1 else v) for k, v in fields.items()}
