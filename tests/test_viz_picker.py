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
from sim.viz import cli as viz_cli
from sim.viz.picker import ScenarioRefused, list_scenarios, resolve_scenario, scenarios_dir

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


def test_repository_scenarios_are_listed() -> None:
    names = list_scenarios()
    assert names == sorted(p.name for p in (REPO / "scenarios").glob("*.toml"))
    assert "nanjing_baseline.toml" in names
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
