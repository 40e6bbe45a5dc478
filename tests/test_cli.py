"""The command line under bad input: one line naming the file and field, the documented exit code
(2 usage, 1 otherwise, 141 for a closed pipe), never a traceback, control characters escaped."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import fig
from desertion_data.cli import main

COMMANDS = [
    ["--version"],
    ["list"],
    ["show", "figures"],
    ["export", "--format", "csv", "--out", "OUT"],
    ["codebook"],
    ["cite"],
    ["cite", "--figure", "s1-f01"],
    ["verify"],
    ["info"],
]


def run(args: list[str], tmp_path: Path, capsys) -> tuple[int, str, str]:
    args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def edit_descriptor(desc_file: Path, change) -> None:
    desc = json.loads(desc_file.read_text(encoding="utf-8"))
    change(desc)
    desc_file.write_text(json.dumps(desc), encoding="utf-8")


BAD_DESCRIPTORS = {
    # name: (change to the descriptor's text or dict, file named, words in the message)
    "not json": (lambda p: p.write_text("{nope", encoding="utf-8"), "datapackage.json", "not valid JSON"),
    "a list": (lambda p: p.write_text("[]", encoding="utf-8"), "datapackage.json", "JSON object"),
    "no version": (lambda p: edit_descriptor(p, lambda d: d.pop("version")), "datapackage.json", "'version'"),
    "no resources": (
        lambda p: edit_descriptor(p, lambda d: d.pop("resources")),
        "datapackage.json",
        "'resources'",
    ),
    "resource 42": (
        lambda p: edit_descriptor(p, lambda d: d.update(resources=[42])),
        "datapackage.json",
        "resources[0]",
    ),
    "inline empty schema": (
        lambda p: edit_descriptor(p, lambda d: d["resources"][2].update(schema={})),
        "datapackage.json",
        "resources[2].schema",
    ),
    "schema outside": (
        lambda p: edit_descriptor(p, lambda d: d["resources"][0].update(schema="/etc/passwd")),
        "datapackage.json",
        "resources[0].schema",
    ),
    "path climbs out": (
        lambda p: edit_descriptor(p, lambda d: d["resources"][0].update(path="../../x.csv")),
        "datapackage.json",
        "resources[0].path",
    ),
    "schema not json": (
        lambda p: (p.parent / "schemas" / "figures.schema.json").write_text("{", encoding="utf-8"),
        "figures.schema.json",
        "not valid JSON",
    ),
    "unknown type": (
        lambda p: (p.parent / "schemas" / "quotes.schema.json").write_text(
            json.dumps({"fields": [{"name": "quote_id", "type": "uuid"}]}), encoding="utf-8"
        ),
        "quotes.schema.json",
        "fields[0].type",
    ),
}


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("case", BAD_DESCRIPTORS)
def test_every_command_on_a_bad_descriptor_is_one_line(make_package, use_root, tmp_path, capsys, case, args):
    change, file, words = BAD_DESCRIPTORS[case]
    desc_file = make_package()
    change(desc_file)
    use_root(desc_file.parent)
    code, out, err = run(args, tmp_path, capsys)
    assert code == 1, err
    assert err.startswith("desertion-data: error: ") and len(err.strip().splitlines()) == 1, err
    assert file in err and words in err, err
    assert "root:x:0" not in err + out and not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_every_command_with_a_root_without_a_package(use_root, tmp_path, capsys, args):
    use_root(tmp_path / "nowhere")
    code, _, err = run(args, tmp_path, capsys)
    assert code == 1 and "DESERTION_DATA_ROOT=" in err and "datapackage.json" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("case", ["not json", "resource 42"])
def test_help_needs_no_package(make_package, use_root, tmp_path, capsys, case):
    """--help describes the command, not the data: it works whatever DESERTION_DATA_ROOT holds."""
    desc_file = make_package()
    BAD_DESCRIPTORS[case][0](desc_file)
    use_root(desc_file.parent)
    code, out, err = run(["--help"], tmp_path, capsys)
    assert code == 0 and "usage: desertion-data" in out and "export" in out and not err


def test_show_limit_must_not_be_negative(capsys, tmp_path):
    code, out, err = run(["show", "figures", "--limit", "-1"], tmp_path, capsys)
    assert code == 2 and "--limit: -1 is negative" in err and not out
    code, out, _ = run(["show", "figures", "--limit", "0"], tmp_path, capsys)
    assert code == 0 and out.strip().endswith("rows)") and "(0 of" in out


def test_a_closed_pipe_ends_quietly():
    """`desertion-data show figures | head -1`: no 'Broken pipe', no traceback, exit 141 (the output,
    hundreds of kilobytes, is more than a pipe holds)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "desertion_data", "show", "figures", "--limit", "500"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert err == ""


def drop_column(file: Path, column: str) -> None:
    with file.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cols = [c for c in rows[0] if c != column]
    with file.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, cols, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def test_info_on_a_missing_column_names_file_and_column(make_package, use_root, tmp_path, capsys):
    desc_file = make_package()
    drop_column(desc_file.parent / "data" / "figures.csv", "notes")
    use_root(desc_file.parent)
    for args in (["info"], ["show", "figures"], ["export", "--format", "sqlite", "--out", "OUT"]):
        code, _, err = run(args, tmp_path, capsys)
        assert code == 1 and len(err.strip().splitlines()) == 1, err
        assert "figures.csv" in err and "'notes'" in err and "missing" in err


def test_cite_a_figure_whose_source_is_missing(make_package, use_root, tmp_path, capsys):
    desc_file = make_package(figures=[fig("s1-f01", source_id="gone")])
    use_root(desc_file.parent)
    code, _, err = run(["cite", "--figure", "s1-f01"], tmp_path, capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "sources.csv" in err and "'gone'" in err and "'source_id'" in err and "s1-f01" in err


def test_show_and_cite_escape_control_characters(make_package, use_root, tmp_path, capsys):
    evil = "\x1b[2J\x1b]0;owned\x07 \u202eevil\u202c \x9b31m"
    desc_file = make_package(figures=[fig("s1-f01", notes=evil, excerpt="They counted 10 cases.\x1b[5m")])
    use_root(desc_file.parent)
    code, out, _ = run(["show", "figures"], tmp_path, capsys)
    assert code == 0 and "\\x1b[2J\\x1b]0;owned\\x07 \\u202eevil\\u202c \\x9b31m" in out
    code, out2, _ = run(["cite", "--figure", "s1-f01"], tmp_path, capsys)
    assert code == 0 and "cases.\\x1b[5m" in out2
    for text in (out, out2):
        assert not any(ch in text for ch in "\x1b\x07\x9b\u202e")
