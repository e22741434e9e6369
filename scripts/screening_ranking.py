"""Rank the parameters of a Morris screen (docs/calibration.md section 2).

Reads ``report/tables/sensitivity.csv`` of a sweep folder (written by ``govsim report``)
and prints a Markdown table: each parameter's mu* ± its 95% bootstrap half-width per
outcome, ordered by the mean over outcomes of mu* relative to the largest mu* for that
outcome.

    python scripts/screening_ranking.py results/assumption_screening [OUTCOME ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def ranking(folder: Path, outcomes: list[str] | None = None) -> pd.DataFrame:
    s = pd.read_csv(folder / "report" / "tables" / "sensitivity.csv")
    if outcomes:
        s = s[s["outcome"].isin(outcomes)]
    s = s.assign(rel=s["mu_star"] / s.groupby("outcome")["mu_star"].transform("max"))
    order = s.groupby("parameter")["rel"].mean().sort_values(ascending=False)
    cell = s.assign(text=[f"{m:.3g} ± {c:.3g}" for m, c in zip(s["mu_star"],
                                                               s["mu_star_conf"], strict=True)])
    wide = cell.pivot(index="parameter", columns="outcome", values="text")
    wide = wide[list(dict.fromkeys(s["outcome"]))].loc[order.index]
    wide.insert(0, "mean relative μ*", order.map(lambda v: f"{v:.2f}"))
    return wide


def main() -> None:
    folder = Path(sys.argv[1])
    table = ranking(folder, sys.argv[2:] or None)
    cols = ["rank", "parameter", *table.columns]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for i, (param, row) in enumerate(table.iterrows(), 1):
        print(f"| {i} | `{param}` | " + " | ".join(str(v) for v in row) + " |")


if __name__ == "__main__":
    main()
