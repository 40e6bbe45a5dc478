"""Bad input gets one clear message naming file, line or key, and field, a non-zero exit code, and
never a traceback; the validator never writes to the data."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import desertion_data as dd
from conftest import fig, part
from validate.__main__ import main as validate_main

FIGURES = "data/figures.csv"


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """`python -m validate ARGS` in a process of its own (2-3 s each, most of it imports)."""
    return subprocess.run(
        [sys.executable, "-m", "validate", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def main(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """What `cli` gives, from validate's main() in this process: its exit code and what it printed.

    A traceback here is an exception that fails the test; `test_bad_input_in_a_process_of_its_own`
    (slow) runs the same cases through `cli`.
    """
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = validate_main([str(a) for a in args])
        except SystemExit as stop:
            code = stop.code
    return subprocess.CompletedProcess(["validate", *map(str, args)], code, out.getvalue(), err.getvalue())


def snapshot(base: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def rewrite(path: Path, change) -> None:
    """Change figures.csv's bytes after the descriptor was stamped."""
    file = path.parent / FIGURES
    file.write_bytes(change(file.read_bytes()))


CASES = {
    # name: (change to figures.csv bytes, exit code, words the message must contain)
    "missing file": (None, 2, ["figures.csv", "file not found"]),
    "empty file": (lambda b: b"", 2, ["figures.csv", "empty file"]),
    "bad utf-8": (
        lambda b: b.replace(b"They counted", b"They \xff counted", 1),
        2,
        ["figures.csv", "line 2", "not valid UTF-8"],
    ),
    "byte-order mark": (lambda b: b"\xef\xbb\xbf" + b, 1, ["figures.csv", "line 1", "byte-order mark"]),
    "crlf": (lambda b: b.replace(b"\n", b"\r\n"), 1, ["figures.csv", "line 1", "CRLF"]),
    "too many cells": (
        lambda b: b.rstrip(b"\n") + b",extra\n",
        1,
        ["figures.csv", "line 2", f"{len(dd.schema('figures')['fields']) + 1} cells", "s1-f01"],
    ),
    "too few cells": (
        lambda b: b.rstrip(b"\n") + b"\ns1-f09,s1\n",
        1,
        ["figures.csv", "line 3", "2 cells", "s1-f09"],
    ),
    "unknown column": (
        lambda b: b.replace(b",notes\n", b",notes,colour\n", 1).replace(b"\n", b"\n", 1),
        1,
        ["figures.csv", "colour", "unknown column"],
    ),
    "non-numeric number": (
        lambda b: b.replace(b",10,10,", b",ten,10,", 1),
        1,
        ["figures.csv", "s1-f01", "value", "'ten' is not a valid number"],
    ),
    "impossible date": (
        lambda b: b.replace(b",2022,2023,", b",2025-13-01,2023,", 1),
        1,
        ["figures.csv", "s1-f01", "period_start", "2025-13-01"],
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_is_reported_cleanly(case, make_package):
    check_case(case, make_package, main)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_in_a_process_of_its_own(case, make_package):
    """The same, through `python -m validate` in a process of its own."""
    check_case(case, make_package, cli)


def check_case(case, make_package, run) -> None:
    change, code, words = CASES[case]
    path = make_package()
    if change is None:
        (path.parent / FIGURES).unlink()
    else:
        rewrite(path, change)
    before = snapshot(path.parent)
    result = run(path, "--format", "json")
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == code, result.stderr + result.stdout
    shown = result.stdout + result.stderr
    for word in words:
        assert word in shown, (word, shown)
    if code == 1:  # the violations are a JSON array of objects with exactly the report's keys
        rows = json.loads(result.stdout)
        assert rows and all(
            list(r) == ["severity", "rule", "resource", "key", "fields", "message"] for r in rows
        )
    assert snapshot(path.parent) == before, "validation wrote to the package"


def test_missing_descriptor_exits_2(tmp_path):
    result = main(tmp_path / "nothing.json")
    assert result.returncode == 2
    assert "nothing.json: no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_descriptor_exits_2(tmp_path):
    (tmp_path / "datapackage.json").write_text('{"resources": [', encoding="utf-8")
    result = main(tmp_path / "datapackage.json")
    assert result.returncode == 2
    assert "datapackage.json: line 1" in result.stderr


def test_wrong_option_exits_2(make_package):
    result = main(make_package(), "--format", "yaml")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_text_report_has_summary_line_and_exit_1(make_package):
    path = make_package(figures=[fig("s1-f01", 100), part("s1-f02", 150, "s1-f01")])
    result = cli(path)
    assert result.returncode == 1
    assert "subset_within_total" in result.stdout
    assert "1 error(s), 0 warning(s)" in result.stdout


def test_warnings_alone_exit_0(make_package):
    path = make_package(
        figures=[
            fig("s1-f01", 100),
            part("s1-f02", 95, "s1-f01", qualifier="approximately"),
        ]
    )
    result = main(path)
    assert result.returncode == 0, result.stdout
    assert "0 error(s), 1 warning(s)" in result.stdout
