"""The scenario picker opens nothing outside scenarios/, and `govsim viz` says so (exit 2)."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sim.errors import InputError
from sim.scenario import SCALE_PRESETS, load_scenario
from sim.viz import cli as viz_cli
from sim.viz.picker import (
    MAX_PAGE_COMMUNITIES,
    ScenarioRefused,
    ScenarioTooLarge,
    list_scenarios,
    load_for_page,
    resolve_scenario,
    scenarios_dir,
)

REPO = Path(__file__).resolve().parents[1]
GOVSIM = Path(sys.executable).parent / "govsim"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "scenarios"
    root.mkdir()
    (root / "a.toml").write_text('description = "a"\n')
    (root / "b.toml").write_text('extends = "a.toml"\n')
    outside = tmp_path / "outside.toml"
    outside.write_text('description = "outside"\n')
    (root / "link_out.toml").symlink_to(outside)
    (root / "link_in.toml").symlink_to(root / "a.toml")
    (root / "extends_out.toml").write_text('extends = "../outside.toml"\n')
    (root / "notes.txt").write_text("not a scenario")
    return root


def test_lists_only_scenario_files_inside(folder: Path) -> None:
    assert list_scenarios(folder) == ["a.toml", "b.toml", "link_in.toml"]


def test_repository_scenarios_are_listed_except_those_above_street_scale() -> None:
    names = list_scenarios()
    small = [p.name for p in sorted((REPO / "scenarios").glob("*.toml"))
             if load_scenario(p).layout.scale in ("community", "street")]
    assert names == small
    assert "nanjing_baseline.toml" in names
    assert "pilot_f35.toml" not in names  # city scale, 9.5 M residents
    assert scenarios_dir().resolve() == (REPO / "scenarios").resolve()


@pytest.mark.parametrize("ref", [
    "../outside.toml", "sub/../../outside.toml", "link_out.toml", "extends_out.toml",
    "notes.txt", "missing.toml", "", "  ", "a.toml\x00",
])
def test_refuses(folder: Path, ref: str) -> None:
    with pytest.raises(ScenarioRefused):
        resolve_scenario(ref, folder)


def test_refuses_absolute_paths_even_inside(folder: Path) -> None:
    with pytest.raises(ScenarioRefused):
        resolve_scenario(str(folder.parent / "outside.toml"), folder)
    with pytest.raises(ScenarioRefused):
        resolve_scenario(str(folder / "a.toml"), folder)  # the page takes names only
    # the command line may spell a path inside the folder absolutely
    assert resolve_scenario(str(folder / "a.toml"), folder,
                            allow_outside_spelling=True) == (folder / "a.toml").resolve()
    with pytest.raises(ScenarioRefused):
        resolve_scenario(str(folder.parent / "outside.toml"), folder,
                         allow_outside_spelling=True)


def test_accepts_names_with_or_without_suffix(folder: Path) -> None:
    assert resolve_scenario("a.toml", folder) == (folder / "a.toml").resolve()
    assert resolve_scenario("b", folder) == (folder / "b.toml").resolve()
    assert resolve_scenario("link_in.toml", folder) == (folder / "a.toml").resolve()
    assert issubclass(ScenarioRefused, InputError)


def _govsim(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GOVSIM), "viz", *args], capture_output=True, text=True,
                          timeout=60, cwd=REPO, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("path", ["../pyproject.toml", "/etc/passwd", "pyproject.toml",
                                  "scenarios/../pyproject.toml", "scenarios/nope.toml"])
def test_cli_refuses_a_path_outside_scenarios_with_exit_2(path: str) -> None:
    done = _govsim(path, "--no-browser", "--port", "0")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("govsim:"), done.stderr
    assert done.stdout == ""


def test_cli_refuses_a_symlink_leading_out(folder: Path) -> None:
    done = _govsim("link_out.toml", "--no-browser", env={"GOVSIM_SCENARIOS_DIR": str(folder)})
    assert done.returncode == 2
    assert "outside the scenarios folder" in done.stderr


def test_cli_refuses_a_busy_port() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        done = _govsim("--no-browser", "--port", str(port))
    assert done.returncode == 2
    assert "already in use" in done.stderr
    assert _govsim("--port", "70000").returncode == 2


def test_cli_arguments_checked_before_serving() -> None:
    parser = argparse.ArgumentParser()
    viz_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["viz", "scenarios/staffing_22_per_10k.toml", "--port", "0"])
    name, port = viz_cli.check_args(args)
    assert name == "staffing_22_per_10k.toml"
    assert 0 < port < 65536
    assert args.host == "127.0.0.1"
    assert args.handler is viz_cli.run_viz


def test_the_page_limit_is_street_scale() -> None:
    street = SCALE_PRESETS["street"]
    communities = (street["districts"] * street["streets_per_district"]
                   * street["communities_per_street"])
    assert communities == MAX_PAGE_COMMUNITIES


@pytest.mark.parametrize(("layout", "listed"), [
    ('scale = "community"', True),
    ('scale = "street"', True),
    ('scale = "district"', False),
    ('scale = "city"', False),
    # a preset's name is not enough: the number of communities decides
    ('scale = "street"\ncommunities_per_street = 13', False),
    ('scale = "community"\ndistricts = 2\ncommunities_per_street = 7', False),
])
def test_files_above_street_scale_are_not_offered_nor_opened(tmp_path: Path, layout: str,
                                                            listed: bool) -> None:
    root = tmp_path / "scenarios"
    root.mkdir()
    (root / "big.toml").write_text(f"[layout]\n{layout}\n", encoding="utf-8")
    (root / "broken.toml").write_text("[burden]\nledgers = -1\n", encoding="utf-8")
    # a broken file stays in the list: picked, the page shows its one-line error
    assert list_scenarios(root) == (["big.toml", "broken.toml"] if listed else ["broken.toml"])
    assert resolve_scenario("big.toml", root)  # the path itself is fine
    if listed:
        assert load_for_page("big.toml", root)[1].layout.communities <= 12
    else:
        with pytest.raises(ScenarioTooLarge, match=r"^big\.toml: layout\.scale = .*"
                           r"community or street scale .*govsim run or govsim batch"):
            load_for_page("big.toml", root)
        assert issubclass(ScenarioTooLarge, ScenarioRefused)


def test_the_address_cannot_open_a_city_scale_file() -> None:
    from sim.viz.app import startup

    start = startup("?scenario=pilot_f35.toml&compare=pilot_f35.toml", {})
    assert start.scenario == "nanjing_baseline.toml" and start.baseline is None
    assert start.too_large == "pilot_f35.toml, pilot_f35.toml" and start.refused is None
    with pytest.raises(ScenarioTooLarge):
        __import__("sim.viz.app", fromlist=["load_picked"]).load_picked("pilot_f35.toml")


def test_cli_refuses_a_city_scale_file_before_serving() -> None:
    done = _govsim("scenarios/pilot_f35.toml", "--no-browser", "--port", "0")
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("govsim: scenarios/pilot_f35.toml: layout.scale = \"city\"")
    assert "community or street scale" in lines[0] and "govsim run" in lines[0]
