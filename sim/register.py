"""A city's own community register (社区名册): the layout of real places instead of a
scale preset, so that an export's neighbourhoods and the model's communities can be the
same places.

A register is a CSV file (UTF-8, UTF-8 with BOM, or GB18030 as Chinese exports are), one
row a community, with the columns ``district, street, community, residents, households,
grids`` and, optionally, ``micro_grids``, ``type`` (a neighbourhood type of the
scenario) and ``property_management`` (1/0, true/false, 是/否). Chinese headers are
read too (区, 街道, 社区, 常住人口, 户数, 网格数, 微网格数, 小区类型, 物业). Districts and
streets are numbered in the order they first appear; a street belongs to one district.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REQUIRED = ("district", "street", "community", "residents", "households", "grids")
OPTIONAL = ("micro_grids", "type", "property_management")
HEADERS_ZH = {"区": "district", "街道": "street", "社区": "community", "常住人口": "residents",
              "户数": "households", "网格数": "grids", "微网格数": "micro_grids",
              "小区类型": "type", "物业": "property_management"}
MAX_RESIDENTS = 100_000  # per community, as layout.residents_per_community allows
YES = {"1", "true", "yes", "y", "是", "有"}
NO = {"0", "false", "no", "n", "否", "无", ""}


class RegisterError(ValueError):
    """A register that cannot be used; the message is one line naming the row or column."""


@dataclass(frozen=True)
class Register:
    """A community register's places, as index arrays over its rows (communities)."""

    path: str
    sha256: str
    district_names: tuple[str, ...]
    street_names: tuple[str, ...]
    community_names: tuple[str, ...]
    street_district: np.ndarray  # per street
    community_street: np.ndarray  # per community
    residents: np.ndarray
    households: np.ndarray
    grids: np.ndarray
    micro_grids: np.ndarray | None  # None: from the layout's micro-grids per grid
    types: tuple[str, ...] | None  # None: drawn from the neighbourhood shares
    property_management: np.ndarray | None  # None: drawn by neighbourhood type

    @property
    def n_communities(self) -> int:
        return len(self.community_names)

    @property
    def n_residents(self) -> int:
        return int(self.residents.sum())


def read_register(path: str | Path) -> Register:
    """The register at ``path``, checked; raises :class:`RegisterError`."""
    p = Path(path)
    if not p.is_file():
        raise RegisterError(f"no such register file {str(path)!r}")
    stat = p.stat()
    return _read(str(p.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _read(path: str, _mtime: int, _size: int) -> Register:
    raw = Path(path).read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise RegisterError("unknown encoding (expected UTF-8 or GB18030)")
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise RegisterError("the register is empty")
    header = [HEADERS_ZH.get(h.strip(), h.strip().lower()) for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RegisterError(f"missing column {missing[0]!r}; columns found: "
                            f"{', '.join(h for h in header if h)}; required: "
                            f"{', '.join(REQUIRED)}")
    unknown = [h for h in header if h and h not in REQUIRED + OPTIONAL]
    if unknown:
        raise RegisterError(f"unknown column {unknown[0]!r}; allowed: "
                            f"{', '.join(REQUIRED + OPTIONAL)}")
    body = rows[1:]
    if not body:
        raise RegisterError("the register has a header but no communities")
    col = {name: header.index(name) for name in header if name}

    def cell(row: list[str], name: str) -> str:
        k = col[name]
        return row[k].strip() if k < len(row) else ""

    def count(row: list[str], line: int, name: str, lo: int, hi: int) -> int:
        value = cell(row, name)
        try:
            n = int(value.replace(",", ""))
        except ValueError:
            raise RegisterError(f"row {line}: {name}: not a whole number "
                                f"(got {value!r})") from None
        if not lo <= n <= hi:
            raise RegisterError(f"row {line}: {name}: {n} is out of range; allowed {lo} to {hi}")
        return n

    districts: dict[str, int] = {}
    streets: dict[tuple[str, str], int] = {}
    street_district: list[int] = []
    seen: set[tuple[str, str, str]] = set()
    names, comm_street, res, hh, grids, mgs, types, prop = [], [], [], [], [], [], [], []
    for line, row in enumerate(body, start=2):
        d, s, c = cell(row, "district"), cell(row, "street"), cell(row, "community")
        for name, value in (("district", d), ("street", s), ("community", c)):
            if not value:
                raise RegisterError(f"row {line}: {name}: empty")
        if (d, s, c) in seen:
            raise RegisterError(f"row {line}: community {c!r} of {d} {s} is listed twice")
        seen.add((d, s, c))
        di = districts.setdefault(d, len(districts))
        si = streets.get((d, s))
        if si is None:
            si = streets[d, s] = len(streets)
            street_district.append(di)
        r = count(row, line, "residents", 1, MAX_RESIDENTS)
        g = count(row, line, "grids", 1, r)
        names.append(c)
        comm_street.append(si)
        res.append(r)
        hh.append(count(row, line, "households", 1, r))
        grids.append(g)
        if "micro_grids" in col:
            mgs.append(count(row, line, "micro_grids", g, r))
        if "type" in col:
            types.append(cell(row, "type"))
        if "property_management" in col:
            value = cell(row, "property_management").lower()
            if value not in YES | NO:
                raise RegisterError(f"row {line}: property_management: must be 1/0, "
                                    f"true/false or 是/否 (got {value!r})")
            prop.append(value in YES)
    return Register(
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        district_names=tuple(districts),
        street_names=tuple(s for _, s in streets),
        community_names=tuple(names),
        street_district=np.array(street_district, dtype=np.int64),
        community_street=np.array(comm_street, dtype=np.int64),
        residents=np.array(res, dtype=np.int64),
        households=np.array(hh, dtype=np.int64),
        grids=np.array(grids, dtype=np.int64),
        micro_grids=np.array(mgs, dtype=np.int64) if mgs else None,
        types=tuple(types) if types else None,
        property_management=np.array(prop, dtype=bool) if prop else None,
    )
