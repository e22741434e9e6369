"""Property: any value of any type in any scenario key gives a clean answer, never a
traceback: ``govsim validate`` (the same checks as ``run``) exits 0 or 2, and on 2 prints
one line naming the file and the key, without Python class names."""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bad_inputs import LEAKS

from sim.cli import main
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "nanjing_baseline.toml"
KEYS = sorted(load_scenario(BASELINE).flat())


def toml_literal(value: object) -> str:
    """A value written as TOML (the file) would hold it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if value != value else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON's escapes are TOML's (no surrogates are drawn)
    if isinstance(value, list):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_literal(v)}" for k, v in value.items()) + " }"
    return value.isoformat()  # datetime, date, time


scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=-10, max_value=10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-2.0, max_value=2.0),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.booleans(),
    st.datetimes(),
    st.dates(),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.sampled_from(["a", "grid", "scale", "x"]), scalars, max_size=2),
)
keys = st.one_of(st.sampled_from(KEYS), st.sampled_from(KEYS).map(lambda k: k + ".extra"),
                 st.sampled_from(["nope", "layout.nope", "categories.nope.rate"]))


def _validate(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, err.getvalue()


def _check(code: int, err: str, must_name: str) -> None:
    assert code in (0, 2), err  # 1 would be an unexpected failure with its traceback
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert must_name in lines[0], lines[0]
        # The user's own strings are echoed back on purpose, quoted ('got "Scenario"'):
        # only what the program adds may not leak, so quoted text is masked first.
        said = re.sub(r'"(?:[^"\\]|\\.)*"?', '"<typed>"', lines[0])
        leak = LEAKS.search(said)
        assert leak is None, f"{leak.group(0)!r} in: {lines[0]}"


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(keys, values), min_size=1, max_size=3,
                unique_by=lambda kv: kv[0]))
def test_any_value_in_a_scenario_file_is_refused_cleanly(tmp_path_factory, pairs) -> None:
    path = tmp_path_factory.mktemp("prop") / "s.toml"
    text = f'extends = "{BASELINE.as_posix()}"\n'
    text += "".join(f"{k} = {toml_literal(v)}\n" for k, v in pairs)
    path.write_text(text, encoding="utf-8")
    code, err = _validate(["validate", str(path)])
    _check(code, err, str(path))


@settings(max_examples=300, deadline=None, database=None)
@given(keys, values)
def test_any_value_given_with_set_is_refused_cleanly(key: str, value: object) -> None:
    code, err = _validate(["validate", str(BASELINE), "--set", f"{key}={toml_literal(value)}"])
    _check(code, err, str(BASELINE))
    if code == 2:  # the key's section at least (a cross-key rule names its sibling)
        assert key.split(".")[0] in err, err
