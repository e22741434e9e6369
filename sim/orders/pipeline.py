"""From export files to the fit: read, recognise, clean, fit (no writing here)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim import __version__
from sim.errors import InputError
from sim.orders import fit as F
from sim.orders.categories import (
    load_mapping,
    mapping_path,
    mapping_table,
    unmapped_report,
)
from sim.orders.clean import REASONS, Cleaned, clean, dropped_counts, tz_shift
from sim.orders.read import read_export
from sim.orders.shapes import choose, columns_from_file, describe

Say = Callable[[str], None]


@dataclass
class Fitted:
    fit: dict[str, Any]
    cleaned: Cleaned


def holdout_date(text: str | None) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise InputError(f"--holdout-from {text!r}: not a date (YYYY-MM-DD)") from None


def work_orders(used: pd.DataFrame) -> pd.DataFrame:
    """Orders passed on: those settled on the call (直办) are no work orders in the model,
    so closure is measured over the rest."""
    return used[used["settled"].ne(True).fillna(True).astype(bool)]


def fit_exports(paths: list[str], *, shape: str = "auto", columns: str | None = None,
                tz: str | None = None, holdout_from: str | None = None,
                sheet: str | None = None, categories: list[str],
                say: Say = lambda s: None) -> Fitted:
    """Read every export, clean and fit it; a bad file raises InputError (one line)."""
    t0 = time.perf_counter()
    shift = tz_shift(tz)
    cut = holdout_date(holdout_from)
    cols, mapping_name = (columns_from_file(Path(columns)) if columns else (None, None))
    exports, fields, shapes = [], [], set()
    for p in paths:
        say(f"reading {p}")
        export = read_export(p, sheet)
        name, fmap, default_mapping = choose(list(export.frame.columns), shape, cols, str(p))
        shapes.add(name)
        exports.append(export)
        fields.append(fmap)
    if len(shapes) > 1:
        raise InputError(f"{', '.join(paths)}: the files have different shapes "
                         f"({', '.join(sorted(shapes))}); fit them separately")
    shape_name = shapes.pop()
    mpath = mapping_path(mapping_name or default_mapping,
                         Path(columns).parent if columns else None)
    mapping = load_mapping(mpath, categories)
    say(f"cleaning {sum(len(e.frame) for e in exports):,} rows")
    cleaned = clean(exports, fields, mapping, shift=shift, holdout_from=cut)
    for e in exports:  # the raw text is not needed any more (1 M rows: ~1 GB)
        e.frame = e.frame.iloc[0:0]
    u = cleaned.used
    data = u[~u["holdout"]]
    hold = u[u["holdout"]]
    if data.empty:
        raise InputError(f"--holdout-from {holdout_from}: every usable row is on or after "
                         "it; nothing is left to fit")
    orders = work_orders(u)
    d_orders, h_orders = orders[~orders["holdout"]], orders[orders["holdout"]]
    say(f"fitting closure times ({len(d_orders):,} orders)")
    start = data["created"].min().floor("D")
    stop = cut if cut is not None else cleaned.end
    arrivals = F.arrivals(data, start, stop)
    arrivals["night_share"] = F.night_share(data)
    arrivals["note"] = ("factors are the GLM's fitted weekday / hour / month effects, "
                        "normalised to a mean of 1; observed_* are counts over exposure")
    settled = F.settled_share(data)
    settled["from_handling"] = bool(data["handling"].notna().any())
    settled["definition"] = ("受理类型: 直办 settled on the call, 转办 passed on" if
                             settled["from_handling"] else
                             "no 受理类型 column: orders whose unit is one of "
                             f"{sorted(mapping.settled_unit)} (the call centre) count as "
                             "settled on the call")
    by_cat = F.closure_fits(d_orders, "scenario_category")
    unmapped = unmapped_report(u["category"], u["scenario_category"])
    period = [str(data["created"].min()), str(data["created"].max())]
    fitj: dict[str, Any] = {
        "kind": "fit-orders",
        "govsim": __version__,
        "export": {
            "files": [{"name": e.path.name, "path": str(e.path), "sha256": e.sha256,
                       "encoding": e.encoding, "sheets": e.sheets,
                       "formats": cleaned.formats.get(e.path.name, {})} for e in exports],
            "shape": shape_name, "columns": describe(fields[0]), "tz": tz,
            "mapping": str(mpath), "period": [p[:10] for p in period],
            "end": str(cleaned.end), "holdout_from": holdout_from,
            "rows_fitted": len(data),
        },
        "rows_read": cleaned.rows_read,
        "rows_used": len(u),
        "rows_fitted": len(data),
        "rows_holdout": len(hold),
        "dropped": dropped_counts(cleaned.dropped),
        "dropped_reasons": REASONS,
        "open_orders_censored": int((~u["is_closed"]).sum()),
        "closure_definition": (
            "days from created to closed over orders passed on (not settled on the call); "
            "open orders right-censored at the export's end; q1/median/q3 and within7 from "
            "the Kaplan-Meier estimate (scipy.stats.ecdf), mean over closed orders"),
        "closure": {
            "data": F.closure_summary(d_orders["days"].to_numpy(),
                                      d_orders["is_closed"].to_numpy()),
            "holdout": F.closure_summary(h_orders["days"].to_numpy(),
                                         h_orders["is_closed"].to_numpy()),
            # the fitted part's mean of closed orders as a run's window of W days would
            # show it (requests spread evenly, watched to the window's end)
            "data_mean_by_window": F.means_by_window(d_orders["days"].to_numpy(),
                                                     d_orders["is_closed"].to_numpy()),
        },
        "closure_by_category": {
            "data": {k: v["summary"] for k, v in by_cat.items()},
            "holdout": {k: v["summary"] for k, v in F.closure_fits(
                h_orders, "scenario_category").items()} if len(h_orders) else {},
        },
        "distributions": {
            "note": ("lognormal / gamma / Weibull (loc 0) fitted by maximum likelihood on "
                     "scipy.stats.CensoredData; durations floored at one minute; best = "
                     f"lowest AIC; groups over {F.MAX_FIT_ROWS:,} rows fitted on a seeded "
                     "sample"),
            "all": F.closure_fits(d_orders, None)["all"]["fit"],
            "by_category": {k: v["fit"] for k, v in by_cat.items()},
            "by_unit": {k: {"summary": v["summary"], "fit": v["fit"]} for k, v in
                        F.closure_fits(d_orders, "unit", F.MAX_UNITS).items()},
        },
        "arrivals": arrivals,
        "settled_on_call": settled,
        # Work orders (passed on) per scenario category in the fitted part: the rates.
        "orders_by_category": F.counts_by(d_orders, "scenario_category", limit=100),
        "call_types": F.call_types(data),
        "channels": F.counts_by(data, "channel"),
        "deadlines": F.deadlines(data),
        # a 12345 platform's time limits are working days [P11]: the same medians counted
        # on the Chinese working calendar (sim.holidays), used when the calendar is on
        "deadlines_working_days": F.deadlines_working(data) if shape_name == "12345"
        else {},
        "mapping": {"file": str(mpath), "unmapped": unmapped,
                    "by_scenario_category": mapping_table(u["category"],
                                                          u["scenario_category"])},
    }
    fitj["seconds_to_fit"] = round(time.perf_counter() - t0, 2)
    return Fitted(fit=fitj, cleaned=cleaned)
