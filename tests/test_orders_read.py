"""Reading exports: the same orders in GBK CSV, an xlsx of several sheets and Parquet
give the same fit as their UTF-8 CSV; the timestamp formats exports use are read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.errors import InputError
from sim.orders.clean import parse_times
from sim.orders.pipeline import fit_exports
from sim.orders.read import read_export
from sim.orders.synth import generate
from sim.scenario import DEFAULT_CATEGORIES

CATS = list(DEFAULT_CATEGORIES)


def _fit(paths: list[Path], **kw) -> dict:
    fit = fit_exports([str(p) for p in paths], categories=CATS, **kw).fit
    # Everything but what names the file itself (its name, hash, encoding) and the time.
    fit.pop("export")
    fit.pop("seconds_to_fit")
    return fit


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    return generate(3000, seed=11, days=120)


def test_gbk_bom_xlsx_parquet_give_the_same_fit(orders: pd.DataFrame, tmp_path: Path) -> None:
    utf8 = tmp_path / "orders_utf8.csv"
    orders.to_csv(utf8, index=False, encoding="utf-8")
    gbk = tmp_path / "orders_gbk.csv"
    orders.to_csv(gbk, index=False, encoding="gbk")
    bom = tmp_path / "orders_bom.csv"
    orders.to_csv(bom, index=False, encoding="utf-8-sig")
    assert gbk.read_bytes() != utf8.read_bytes()
    book = tmp_path / "orders.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as xw:  # one sheet a month, and a cover
        pd.DataFrame({"说明": ["12345 工单导出"]}).to_excel(xw, sheet_name="说明", index=False)
        month = pd.to_datetime(orders["受理时间"]).dt.month
        for m, part in orders.groupby(month):
            part.to_excel(xw, sheet_name=f"{m}月", index=False)
    pq = tmp_path / "orders.parquet"
    orders.to_parquet(pq, index=False)
    want = _fit([utf8], holdout_from="2023-04-01")
    assert want["rows_used"] > 2900
    for path in (gbk, bom, book, pq):
        assert _fit([path], holdout_from="2023-04-01") == want, path.name
    assert read_export(gbk).encoding == "gb18030"
    assert read_export(bom).encoding == "utf-8 with BOM"
    assert read_export(book).sheets[0] == "说明"


def test_xlsx_one_sheet_and_missing_sheet(orders: pd.DataFrame, tmp_path: Path) -> None:
    book = tmp_path / "o.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as xw:
        orders.iloc[:100].to_excel(xw, sheet_name="A", index=False)
        orders.iloc[100:250].to_excel(xw, sheet_name="B", index=False)
    assert len(read_export(book, "B").frame) == 150
    assert len(read_export(book).frame) == 250
    with pytest.raises(InputError, match="no sheet 'C'; sheets: A, B"):
        read_export(book, "C")


def test_several_files_are_one_export(orders: pd.DataFrame, tmp_path: Path) -> None:
    one = tmp_path / "all.csv"
    orders.to_csv(one, index=False)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    orders.iloc[:1000].to_csv(a, index=False)
    orders.iloc[1000:].to_csv(b, index=False, encoding="gbk")
    assert _fit([a, b]) == _fit([one])


@pytest.mark.parametrize(("texts", "want"), [
    (["04/12/2018 11:11:26 AM", "04/12/2018 01:05:00 PM"], ["2018-04-12 11:11:26",
                                                            "2018-04-12 13:05:00"]),
    (["04/12/18 11:11 PM"], ["2018-04-12 23:11:00"]),
    (["2023-05-06 07:08:09.123", "2023-05-06 07:08:10.5"], ["2023-05-06 07:08:09.123",
                                                            "2023-05-06 07:08:10.5"]),
    (["2023/05/06 07:08", "2023/05/06 17:08"], ["2023-05-06 07:08:00", "2023-05-06 17:08:00"]),
    (["2023-05-06T07:08:09"], ["2023-05-06 07:08:09"]),
    (["23-05-06 07:08:09"], ["2023-05-06 07:08:09"]),
    (["2023年5月6日 07:08"], ["2023-05-06 07:08:00"]),
    (["2023-05-06 07:08:09", "2023-05-06 07:08"], ["2023-05-06 07:08:09",
                                                   "2023-05-06 07:08:00"]),  # mixed
])
def test_timestamp_formats(texts: list[str], want: list[str]) -> None:
    got, _ = parse_times(pd.Series(texts, dtype=object), "f.csv", "t")
    assert list(got) == [pd.Timestamp(w) for w in want]


def test_tz_shift_moves_every_time(orders: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    orders.to_csv(path, index=False)
    plain = fit_exports([str(path)], categories=CATS).cleaned.used["created"]
    shifted = fit_exports([str(path)], categories=CATS, tz="+5").cleaned.used["created"]
    assert ((shifted - plain) == pd.Timedelta(hours=5)).all()
    zoned = fit_exports([str(path)], categories=CATS, tz="Asia/Shanghai").cleaned.used
    assert ((zoned["created"] - plain) == pd.Timedelta(hours=8)).all()
