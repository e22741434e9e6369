"""Reading an export: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), xlsx, Parquet.

Every cell comes back as text (or a timestamp, from xlsx and Parquet), so that IDs
keep their leading zeros and dates are parsed once, in :mod:`sim.orders.clean`. Any
problem is an :class:`~sim.errors.InputError` of one line naming the file.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.errors import InputError

# Chinese exports are usually GBK (国标码); GB18030 is its superset, so trying it second
# reads both. UTF-8 is tried first: a UTF-8 file is almost never valid GB18030 text
# by accident, the reverse is common.
ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")


@dataclass
class Export:
    """One file's rows, with what the report cites about it."""

    path: Path
    frame: pd.DataFrame  # every column as text (or datetime); one row per work order
    sha256: str
    encoding: str | None  # None for xlsx and Parquet
    sheets: list[str]


def read_export(path: str | Path, sheet: str | None = None) -> Export:
    """Read one export file, whatever its format (by extension)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not raw.strip():
        raise InputError(f"{path}: empty file")
    digest = hashlib.sha256(raw).hexdigest()
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame, sheets = _read_xlsx(path, raw, sheet)
        encoding = None
    elif suffix in (".parquet", ".pq"):
        frame, sheets, encoding = _read_parquet(path, raw), [], None
    else:
        if sheet is not None:
            raise InputError(f"{path}: --sheet {sheet!r} given but the file is not a workbook "
                             "(.xlsx)")
        frame, encoding = _read_csv(path, raw)
        sheets = []
    del raw
    if frame.empty:
        raise InputError(f"{path}: empty file (a header but no rows)")
    frame.columns = [str(c).strip() for c in frame.columns]
    return Export(path=path, frame=frame, sha256=digest, encoding=encoding, sheets=sheets)


def decode(raw: bytes, path: Path) -> tuple[str, str]:
    for enc in ENCODINGS:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path}: unknown encoding (not UTF-8, GBK or GB18030); save it as "
                     "UTF-8 CSV")


def _read_csv(path: Path, raw: bytes) -> tuple[pd.DataFrame, str]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    text, encoding = decode(raw, path)
    # pyarrow reads UTF-8 only and is several times faster than pandas' reader: hand it
    # the text re-encoded (a no-op copy for UTF-8 files).
    data = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else (
        raw if encoding == "utf-8-sig" else text.encode("utf-8"))
    del text
    header = _header(data, path)
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1,
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header}, strings_can_be_null=True,
                null_values=[""], quoted_strings_can_be_null=True))
    except pa.ArrowInvalid as exc:
        raise InputError(f"{path}: not a readable CSV: {exc}") from None
    frame = table.to_pandas()
    del table
    return frame, ("utf-8" if encoding == "utf-8-sig" and not raw.startswith(
        b"\xef\xbb\xbf") else ("utf-8 with BOM" if encoding == "utf-8-sig" else "gb18030"))


def _header(data: bytes, path: Path) -> list[str]:
    import csv

    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)].decode("utf-8").rstrip("\r")
    row = next(csv.reader([first]), [])
    names = [c.strip() for c in row]
    if not any(names):
        raise InputError(f"{path}: empty file (no header row)")
    seen: dict[str, int] = {}
    out = []
    for n in names:  # pyarrow needs distinct names; a repeated header gets a suffix
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}.{seen[n] - 1}")
    return out


def _read_xlsx(path: Path, raw: bytes, sheet: str | None) -> tuple[pd.DataFrame, list[str]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(f"{path}: not a readable xlsx workbook: {exc}") from None
    names = list(book.sheetnames)
    if sheet is not None and sheet not in names:
        raise InputError(f"{path}: no sheet {sheet!r}; sheets: {', '.join(names)}")
    frames = []
    for name in ([sheet] if sheet is not None else names):
        rows = book[name].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None or not any(c is not None for c in header):
            continue  # an empty sheet (a cover page, notes) adds nothing
        cols = [str(c).strip() if c is not None else f"column {i + 1}"
                for i, c in enumerate(header)]
        body, where = [], []
        for i, r in enumerate(rows, start=2):  # row 1 is the header
            if any(v is not None for v in r):
                body.append(([_cell(v) for v in r] + [None] * len(cols))[: len(cols)])
                where.append(i)
        part = pd.DataFrame(body, columns=cols, dtype=object)
        part["_sheet"], part["_row"] = name, where
        frames.append(part)
    book.close()
    if not frames:
        return pd.DataFrame(), names
    # A sheet that shares under half the widest sheet's headers is not part of the
    # export (a cover page, notes, a pivot): it is skipped, not mixed in.
    widest = set(max(frames, key=lambda f: (f.shape[1], len(f))).columns)
    kept = [f for f in frames if len(widest & set(f.columns)) * 2 > len(widest)]
    return pd.concat(kept, ignore_index=True), names


def _cell(value: object) -> object:
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return pd.Timestamp(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an ID stored as a number: 1001.0 -> "1001"
    return str(value)


def _read_parquet(path: Path, raw: bytes) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(raw))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: not a readable Parquet file: {exc}") from None
    frame = table.to_pandas()
    for col in frame.columns:  # text, except timestamps, which are already parsed
        if not pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].astype("string").astype(object).where(
                frame[col].notna(), None)
    return frame


def read_all(paths: list[str | Path], sheet: str | None = None) -> list[Export]:
    """Read every file; the first bad one raises."""
    return [read_export(p, sheet) for p in paths]
