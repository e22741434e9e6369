"""A city's own layout from a community register (issue 19 part 5): the register's
districts, streets and communities, with their residents, households and grids, are the
model's places, under their own names; a bad register is refused with one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import SCENARIOS

from sim.model import GovernanceModel
from sim.run import simulate
from sim.scenario import load_scenario

HEADER = "district,street,community,residents,households,grids,type,property_management\n"
ROWS = [
    ("玄武区", "梅园新村街道", "长江路社区", 5200, 2100, 9, "old_estate", "否"),
    ("玄武区", "梅园新村街道", "大行宫社区", 8100, 3000, 15, "commodity_estate", "是"),
    ("玄武区", "新街口街道", "洪武北路社区", 6400, 2600, 12, "old_estate", "0"),
    ("秦淮区", "夫子庙街道", "贡院社区", 3900, 1800, 7, "resettlement_estate", "1"),
]


def write_register(folder: Path, text: str, encoding: str = "utf-8",
                   name: str = "register.csv") -> Path:
    (folder / name).write_bytes(text.encode(encoding))
    scenario = folder / "city.toml"
    scenario.write_text(f'extends = "{SCENARIOS / "nanjing_baseline.toml"}"\n'
                        f'name = "own_city"\n[layout]\nregister_file = "{name}"\n'
                        f'[sources]\n"layout.register_file" = "test register"\n',
                        encoding="utf-8")
    return scenario


def register_text(rows=ROWS, header=HEADER) -> str:
    return header + "".join(",".join(map(str, r)) + "\n" for r in rows)


def test_the_register_is_the_layout(tmp_path: Path) -> None:
    scenario = load_scenario(write_register(tmp_path, register_text()))
    assert scenario.layout.communities == 4 and scenario.layout.streets == 3
    assert scenario.layout.residents == 5200 + 8100 + 6400 + 3900
    model = GovernanceModel(scenario, rng=1)
    pl = model.places
    assert pl.district_names == ("玄武区", "秦淮区")
    assert pl.street_names == ("梅园新村街道", "新街口街道", "夫子庙街道")
    assert pl.community_names == tuple(r[2] for r in ROWS)
    assert pl.street_district.tolist() == [0, 0, 1]
    assert pl.community_street.tolist() == [0, 0, 1, 2]
    assert pl.residents_in("community").tolist() == [r[3] for r in ROWS]
    assert np.bincount(pl.grid_community).tolist() == [r[5] for r in ROWS]
    assert [pl.type_names[k] for k in pl.community_type] == [r[6] for r in ROWS]
    assert pl.community_property.tolist() == [False, True, False, True]
    # Households: the register's count, within what cutting at building walls adds.
    pop = model.population
    for c, row in enumerate(ROWS):
        made = len(np.unique(pop.household[pop.community == c]))
        assert row[4] <= made <= row[4] * 1.08, (row[2], made)
    # The graph names the places as the register does.
    names = {d["name"] for _, d in model.graph.nodes(data=True) if d.get("kind") == "community"}
    assert names == {r[2] for r in ROWS}


def test_issues_arise_where_the_register_puts_its_residents(tmp_path: Path) -> None:
    result = simulate(load_scenario(write_register(tmp_path, register_text())), days=120,
                      seed=2)
    counts = result.issues["community"].value_counts().sort_index().to_numpy()
    residents = np.array([r[3] for r in ROWS])
    assert counts.sum() > 1000
    # Old estates raise more per resident than commodity estates; sizes dominate.
    assert np.corrcoef(counts, residents)[0, 1] > 0.6


def test_a_gb18030_register_with_chinese_headers_reads_the_same(tmp_path: Path) -> None:
    zh = "区,街道,社区,常住人口,户数,网格数,小区类型,物业\n"
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    plain = GovernanceModel(load_scenario(write_register(a, register_text())), rng=1).places
    gbk = GovernanceModel(load_scenario(write_register(b, register_text(header=zh), "gb18030")),
                          rng=1).places
    assert gbk.community_names == plain.community_names
    assert (gbk.micro_grid_residents == plain.micro_grid_residents).all()


BAD = {
    "missing column": (HEADER.replace(",grids", ""), "missing column 'grids'"),
    "unknown column": (HEADER.replace("type", "kind"), "unknown column 'kind'"),
    "twice": (None, "listed twice"),
    "not a number": (None, "residents: not a whole number"),
    "more grids than residents": (None, "grids: 9000 is out of range"),
    "unknown type": (None, "'villa' is not a neighbourhood type"),
    "bad property flag": (None, "property_management: must be"),
    "empty": ("", "the register is empty"),
    "header only": ("header", "has a header but no communities"),
}


def bad_text(case: str) -> str:
    rows = [list(r) for r in ROWS]
    header, _ = BAD[case]
    if case == "twice":
        rows.append(rows[0])
    elif case == "not a number":
        rows[1][3] = "many"
    elif case == "more grids than residents":
        rows[2][5] = 9000
    elif case == "unknown type":
        rows[3][6] = "villa"
    elif case == "bad property flag":
        rows[0][7] = "maybe"
    if header == "":
        return ""
    if header == "header":
        return HEADER
    return register_text([tuple(r) for r in rows], header or HEADER)


@pytest.mark.parametrize("case", [*BAD, "missing file"])
def test_a_bad_register_is_refused_with_one_line(case: str, tmp_path: Path) -> None:
    if case == "missing file":
        scenario = write_register(tmp_path, register_text())
        (tmp_path / "register.csv").unlink()
        expect = "no such register file"
    else:
        scenario = write_register(tmp_path, bad_text(case))
        expect = BAD[case][1]
    out = subprocess.run([sys.executable, "-m", "sim.cli", "validate", str(scenario)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert str(scenario) in lines[0] and "layout.register_file" in lines[0]
    assert expect in lines[0]
    assert "Traceback" not in out.stderr
