"""A package made by someone else, attacked (issue 13): the validator, the loader, `verify` and the
release zip stay inside the package, print nothing of a file they should not have read, and meet
every malformed input with one line naming the file and field and the documented exit code.

Exit codes of `python -m validate`: 0 clean, 1 violations, 2 unreadable input or wrong options,
130 interrupted. The loader raises desertion_data.PackageError (a ValueError) naming file and field.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import desertion_data as dd
import validate
from conftest import fig, row
from validate.__main__ import main
from validate.release import ReleaseRefused, data_zip, parse_date, parse_version
from validate.stamp import dump, stamp

SECRET = "root:x:0:0:not-for-your-eyes"
FIGURES = "data/figures.csv"
FIGURE_SCHEMA = "schemas/figures.schema.json"


def snapshot(base: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file() and not p.is_symlink()}


def edit(path: Path, change) -> None:
    """Rewrite the descriptor at path through change(desc) (which may mutate and return None)."""
    desc = json.loads(path.read_text(encoding="utf-8"))
    desc = change(desc) or desc
    path.write_text(dump(desc), encoding="utf-8")


def edit_bytes(path: Path, rel: str, change) -> None:
    file = path.parent / rel
    file.write_bytes(change(file.read_bytes()))


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the package holding files that must never be read or shown."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.csv").write_text(f"{SECRET}\n", encoding="utf-8")
    (folder / "secret.schema.json").write_text(json.dumps({"fields": [{"name": SECRET}]}), encoding="utf-8")
    return folder


@pytest.fixture
def opened(outside: Path):
    """Paths under `outside` that Python code opened while the test ran (an audit hook)."""
    seen: list[str] = []
    active = [True]

    def hook(event, args):
        if active[0] and event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            path = os.fsdecode(args[0])
            if path.startswith(str(outside)):
                seen.append(path)

    sys.addaudithook(hook)  # cannot be removed: switched off when the test ends
    yield seen
    active[0] = False


def run_cli(capsys, *args: str | Path) -> tuple[int, str, str]:
    """python -m validate in this process (fast): exit code, stdout, stderr."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


# --- containment ---------------------------------------------------------------------------------

ESCAPES = {
    # name: (resource field, how it leaves the package, words of the message)
    "absolute path": ("path", lambda out: str(out / "secret.csv"), ["path", "not a relative path"]),
    "path climbing out": ("path", lambda out: "../outside/secret.csv", ["path", "'..'"]),
    "absolute schema": ("schema", lambda out: str(out / "secret.schema.json"), ["schema", "relative path"]),
    "schema climbing out": ("schema", lambda out: "../outside/secret.schema.json", ["schema", "'..'"]),
    "hidden file": ("path", lambda out: ".git/config", ["path", "hidden file"]),
}


@pytest.mark.parametrize("case", ESCAPES, ids=list(ESCAPES))
def test_a_path_out_of_the_package_is_refused_unread(case, make_package, outside, opened, capsys, use_root):
    prop, where, words = ESCAPES[case]
    path = make_package()
    edit(path, lambda d: d["resources"][3].update({prop: where(outside)}))
    before = snapshot(path.parent)
    code, out, err = run_cli(capsys, path, "--format", "json")
    assert code == 2
    line = one_line(err)
    assert "datapackage.json" in line and "'figures'" in line
    for word in words:
        assert word in line, line
    assert SECRET not in out + err
    use_root(path.parent)
    with pytest.raises(dd.PackageError, match=prop) as exc:
        dd.load("figures")
    assert SECRET not in str(exc.value)
    assert not dd.verify().ok
    assert opened == [], "something read a file outside the package"
    assert snapshot(path.parent) == before


@pytest.mark.parametrize("rel", [FIGURES, FIGURE_SCHEMA])
def test_a_symlink_leading_out_is_refused_unread(rel, make_package, outside, opened, capsys, use_root):
    path = make_package()
    target = outside / ("secret.csv" if rel == FIGURES else "secret.schema.json")
    (path.parent / rel).unlink()
    (path.parent / rel).symlink_to(target)
    code, out, err = run_cli(capsys, path)
    assert code == 2
    assert "leads outside the package" in one_line(err) and rel in err
    assert SECRET not in out + err
    use_root(path.parent)
    with pytest.raises(dd.PackageError, match="leads outside"):
        dd.load("figures")
    result = dd.verify()
    assert not result.ok and rel in str(result)
    assert opened == []


def test_stamp_refuses_a_path_out_of_the_package(make_package, outside, opened):
    path = make_package()
    edit(path, lambda d: d["resources"][3].update(path="../outside/secret.csv"))
    before = snapshot(path.parent)
    with pytest.raises(dd.PackageError, match="climbs out"):
        stamp(path)
    assert opened == [] and snapshot(path.parent) == before


def test_release_manifest_stays_inside_the_package(make_package, outside, opened):
    from validate.release import manifest

    path = make_package()
    edit(path, lambda d: d["resources"][3].update(schema="../outside/secret.schema.json"))
    with pytest.raises(dd.PackageError, match="climbs out") as exc:
        manifest(path.parent)
    assert SECRET not in str(exc.value) and opened == []


def test_verify_notices_an_added_file_a_symlinked_copy_and_an_edited_schema(make_package, use_root, capsys):
    path = make_package()
    base = path.parent
    use_root(path.parent)
    assert dd.verify().ok, str(dd.verify())
    # a copy inside the package, linked in place of the file: same bytes, still not ok
    (base / "data" / "copy.csv").write_bytes((base / FIGURES).read_bytes())
    (base / FIGURES).unlink()
    (base / FIGURES).symlink_to("copy.csv")
    edit_bytes(path, FIGURE_SCHEMA, lambda b: b.replace(b'"description"', b'"description" ', 1))
    (base / "schemas" / "extra.schema.json").write_text("{}", encoding="utf-8")
    text = str(dd.verify())
    assert not dd.verify().ok
    assert f"{FIGURES}: a symlink" in text
    assert "data/copy.csv: in data/ but not described" in text
    assert "schemas/extra.schema.json: in schemas/" in text
    assert f"{FIGURE_SCHEMA}: sha256 is" in text
    code, out, _ = run_cli(capsys, path, "--format", "json")
    assert code == 1
    found = {(v["rule"], v["fields"]) for v in json.loads(out)}
    assert {("files_regular", "path"), ("schemas_intact", "x-schema-hash"), ("package_intact", "")} <= found


# --- the descriptor and schemas: one line, exit 2, never a traceback -----------------------------

BROKEN = {
    # name: (change to the descriptor's text or dict, words of the message)
    "resource not an object": (lambda d: d.update(resources=[42]), ["resources[0]", "object"]),
    "inline empty schema": (lambda d: d["resources"][3].update(schema={}), ["figures", "schema", "fields"]),
    "primaryKey a number": (
        lambda d: d["resources"][3].update(schema={"fields": [{"name": "a"}], "primaryKey": 5}),
        ["primaryKey"],
    ),
    "unknown hash algorithm": (
        lambda d: d["resources"][3].update(hash="shake_128:00"),
        ["resources[3].hash", "shake_128"],
    ),
    "duplicate resource names": (
        lambda d: d["resources"][4].update(name="figures"),
        ["resources[4].name", "'figures' names two resources"],
    ),
    "NaN": ("NaN", ["NaN", "not a JSON number"]),
    "unknown field type": (
        lambda d: d["resources"][3].update(schema={"fields": [{"name": "a", "type": "text"}]}),
        ["fields[0].type", "'text'"],
    ),
    "constraints not an object": (
        lambda d: d["resources"][3].update(schema={"fields": [{"name": "a", "constraints": [1]}]}),
        ["fields[0].constraints"],
    ),
    "deeply nested": ("nested", ["nested deeper"]),
}


def _break(path: Path, change) -> None:
    if change == "NaN":
        text = path.read_text(encoding="utf-8").replace('"bytes": ', '"bytes": NaN, "x": ', 1)
        path.write_text(text, encoding="utf-8")
    elif change == "nested":
        text = path.read_text(encoding="utf-8").replace(
            '"name": ', '"deep": ' + "[" * 100_000 + "]" * 100_000 + ', "name": ', 1
        )
        path.write_text(text, encoding="utf-8")
    else:
        edit(path, change)


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_descriptor_is_one_line_and_exit_2(case, make_package, capsys, use_root):
    change, words = BROKEN[case]
    path = make_package()
    _break(path, change)
    before = snapshot(path.parent)
    code, _, err = run_cli(capsys, path)
    assert code == 2
    line = one_line(err)
    assert "datapackage.json" in line
    for word in words:
        assert word in line, line
    use_root(path.parent)
    with pytest.raises(dd.PackageError) as exc:
        dd.load("figures") if case not in ("resource not an object",) else dd.names()
    assert words[0] in str(exc.value)
    assert snapshot(path.parent) == before


def test_sources_folder_that_does_not_exist_exits_2(make_package, tmp_path, capsys):
    code, out, err = run_cli(capsys, make_package(), "--sources", tmp_path / "no-such-folder")
    assert code == 2
    assert "--sources" in one_line(err) and "no-such-folder" in err and "no such folder" in err
    assert "SKIPPED" not in out + err


def test_an_unreadable_file_is_one_line_and_exit_2(make_package, capsys, monkeypatch):
    path = make_package()
    real_open = Path.open

    def refuse(self, *args, **kwargs):
        if self.name == "figures.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    code, _, err = run_cli(capsys, path)
    assert code == 2
    assert one_line(err).endswith("data/figures.csv: cannot be read (Permission denied)")


def test_ctrl_c_exits_130_with_one_line(make_package, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(validate, "run", interrupted)
    code, out, err = run_cli(capsys, make_package())
    assert code == 130
    assert one_line(err) == "validate: interrupted" and out == ""


# --- one CSV dialect: the validator reports exactly what the loader refuses ----------------------

CELLS = {
    # column: cells, each (cell, accepted)
    "value": [
        ("10", True),
        ("2.5", True),
        ("1e3", True),
        ("-0", True),
        ("inf", False),
        ("-inf", False),
        ("nan", False),
        ("1e309", False),
        ("0x10", False),
        ("+5", False),
        (" 12", False),
        ("1,000", False),
        ("١٢", False),
    ],
    "period_end_stated": [("true", True), ("false", True), ("True", False), ("1", False), ("TRUE", False)],
    "value_high": [("", True), ("20", True), ("NaN", False), ("Infinity", False)],
}
DIALECT = [(col, cell, ok) for col, cases in CELLS.items() for cell, ok in cases]


@pytest.mark.parametrize(("col", "cell", "ok"), DIALECT, ids=[f"{c}={v!r}" for c, v, _ in DIALECT])
def test_validator_and_loader_accept_the_same_cells(col, cell, ok, tmp_path, use_root):
    from conftest import build_package

    kw = {col: cell}
    if col == "value_high" and cell:
        kw.update(qualifier="range", value_high_text=cell if ok else "20")
    path = build_package(tmp_path, figures=[fig("s1-f01", **kw)] if col != "value" else [fig("s1-f01", cell)])
    report = validate.run(path)
    typed = [v for v in report.violations if v.rule == "rows_match_schema" and v.fields == col]
    use_root(path.parent)
    if ok:
        assert typed == []
        dd.load("figures")
    else:
        assert [v.key for v in typed] == ["s1-f01"], report.violations
        with pytest.raises(dd.PackageError, match=f"{col}: '.*' is not a valid"):
            dd.load("figures")


LINES = {
    # name: (change to figures.csv bytes, words of the validator's message)
    "lone CR line ends": (lambda b: b.replace(b"\n", b"\r"), ["line 1", "lone CR"]),
    "a blank line": (lambda b: b + b"\n", ["row 2", "blank line"]),
    "a blank line between rows": (lambda b: b + b"\n" + b.split(b"\n", 1)[1], ["row 2", "blank line"]),
    "a NUL byte": (lambda b: b.replace(b"They counted", b"They\x00counted", 1), ["line 2", "NUL byte"]),
    "CR in the header line": (lambda b: b.replace(b",value,", b",value\r,", 1), ["line 1", "CR"]),
}


@pytest.mark.parametrize("case", LINES, ids=list(LINES))
def test_odd_lines_are_reported_by_both(case, make_package, capsys, use_root):
    change, words = LINES[case]
    path = make_package()
    edit_bytes(path, FIGURES, change)
    code, out, _ = run_cli(capsys, path, "--format", "json")
    assert code == 1
    messages = [v["message"] for v in json.loads(out) if v["rule"] == "csv_well_formed"]
    assert any(all(w in m for w in words) and FIGURES in m for m in messages), messages
    use_root(path.parent)
    with pytest.raises(dd.PackageError, match=r"figures\.csv"):
        dd.load("figures")


@pytest.mark.parametrize("date", ["0000", "0000-01-01", "2025-W05", "2025-00", "2025-02-30"])
def test_a_bad_date_is_a_violation_not_a_crash(date, make_package, capsys, use_root):
    path = make_package(figures=[fig("s1-f01", period_start=date)])
    code, out, _ = run_cli(capsys, path, "--format", "json")
    assert code == 1
    assert ("rows_match_schema", "s1-f01", "period_start") in {
        (v["rule"], v["key"], v["fields"]) for v in json.loads(out)
    }
    use_root(path.parent)
    assert dd.load("figures")["period_start_date"].isna().all()


@pytest.mark.parametrize(("size", "ok"), [(1 << 20, True), (3 << 20, False)])
def test_a_long_row_is_accepted_or_refused_by_both(size, ok, make_package, capsys, use_root):
    path = make_package()
    edit_bytes(path, FIGURES, lambda b: b.rstrip(b"\n") + b"x" * size + b"\n")  # a long `notes` cell
    stamp(path)
    code, _, err = run_cli(capsys, path)
    use_root(path.parent)
    if ok:
        assert code == 0, err
        assert len(dd.load("figures")) == 1
        return
    assert code == 2
    assert one_line(err).endswith(
        "data/figures.csv: cannot be parsed as CSV: a row too long (over 1 MiB; a row must fit in 2 MiB)"
    )
    with pytest.raises(dd.PackageError, match="a row too long"):
        dd.load("figures")


def test_an_undecodable_byte_in_a_ragged_row_is_one_line(make_package, capsys):
    path = make_package()
    edit_bytes(path, FIGURES, lambda b: b + b"s1-f09,\xff\xfe\n")
    code, _, err = run_cli(capsys, path)
    assert code == 2
    at = len((path.parent / FIGURES).read_bytes()) - 3  # the first of the two bad bytes
    assert one_line(err).endswith(f"data/figures.csv: line 3: not valid UTF-8 (byte {at})")


# --- claims that differ only in how they are written ---------------------------------------------


def test_claims_equal_up_to_normalisation_or_a_space_are_the_same_claim(make_package):
    composed, decomposed = "Kyïv", "Kyi\u0308v"
    path = make_package(
        figures=[
            fig("s1-f01", scope=composed),
            fig("s1-f02", scope=decomposed),
            fig("s1-f03", scope="Lviv"),
            fig("s1-f04", scope="Lviv "),
        ]
    )
    found = {(v.rule, v.key) for v in validate.run(path).violations}
    assert {("claim_unique", "s1-f02"), ("claim_unique", "s1-f04")} <= found


def test_keys_normalised_a_key_cell_with_a_space_or_not_nfc_is_an_error(make_package):
    source = row(
        "sources",
        source_id="s2 ",
        url="https://example.org/s2",
        language="en",
        origin="core-article",
        source_type="news",
        file="s2.txt",
        sha256="0" * 64,
        published="2025-09-15",
    )
    path = make_package(figures=[fig("s1-f01"), fig("s1-f02", source_id="s2 ")])
    edit_bytes(path, "data/sources.csv", lambda b: b + ",".join(source.values()).encode() + b"\n")
    stamp(path)
    found = {
        (v.resource, v.key, v.fields) for v in validate.run(path).violations if v.rule == "keys_normalised"
    }
    assert found == {("sources", "s2 ", "source_id"), ("figures", "s1-f02", "source_id")}


# --- descriptor_valid -------------------------------------------------------------------------------


def test_descriptor_valid_reports_what_the_standard_forbids(make_package, capsys, outside, opened):
    path = make_package()
    edit(path, lambda d: d.update(licenses="CC-BY-4.0", profile=str(outside / "secret.schema.json")))
    code, out, _ = run_cli(capsys, path, "--format", "json")
    assert code == 1
    messages = [v["message"] for v in json.loads(out) if v["rule"] == "descriptor_valid"]
    assert any("profile" in m and "not a standard profile" in m for m in messages), messages
    assert any("licenses" in m for m in messages), messages
    assert opened == []


def test_descriptor_valid_reports_a_bad_schema(make_package, capsys):
    path = make_package()
    edit_bytes(path, FIGURE_SCHEMA, lambda b: b.replace(b'"description": "', b'"title": 42, "x": "', 1))
    stamp(path)
    code, out, _ = run_cli(capsys, path, "--format", "json")
    assert code == 1
    assert any(
        v["rule"] == "descriptor_valid" and v["resource"] == "figures" and FIGURE_SCHEMA in v["message"]
        for v in json.loads(out)
    )


# --- the report: --output, JSON alone on stdout, a closed pipe -------------------------------------


def test_output_writes_the_report_and_keeps_stdout_empty(make_package, tmp_path, capsys):
    path = make_package(figures=[fig("s1-f01", 10), fig("s1-f02", 10)])
    target = tmp_path / "report.json"
    code, out, err = run_cli(capsys, path, "--format", "json", "--output", target)
    assert code == 1 and out == ""
    assert {v["rule"] for v in json.loads(target.read_text(encoding="utf-8"))} == {"claim_unique"}
    assert "1 error(s)" in err.splitlines()[0]


@pytest.mark.parametrize("where", ["datapackage.json", FIGURES, "data/new.json", FIGURE_SCHEMA])
def test_output_refuses_the_package_files(where, make_package, capsys):
    path = make_package()
    before = snapshot(path.parent)
    code, _, err = run_cli(capsys, path, "--output", path.parent / where)
    assert code == 2 and "--output" in one_line(err)
    assert snapshot(path.parent) == before


def test_json_on_stdout_parses_alone(make_package):
    path = make_package(figures=[fig("s1-f01", 10), fig("s1-f02", 10)])
    result = subprocess.run(
        [sys.executable, "-m", "validate", str(path), "--format", "json"], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert [v["rule"] for v in json.loads(result.stdout)] == ["claim_unique"]


def test_a_closed_pipe_ends_quietly(make_package):
    path = make_package(figures=[fig(f"s1-f{i:04d}", 10) for i in range(3000)])
    proc = subprocess.Popen(
        [sys.executable, "-m", "validate", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.close()  # the reader goes away before a byte is written, as `| head -0` would
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert err == "", err


# --- the release zip ------------------------------------------------------------------------------

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]


@pytest.mark.parametrize("text", ["١.٢.٠", "1.2.3\n", "1.2", "01.2.3", "1.2.3-rc1", "１.2.3"])
def test_a_version_is_ascii_x_y_z(text):
    with pytest.raises(ReleaseRefused, match=r"not X\.Y\.Z"):
        parse_version(text)
    assert parse_version("10.0.3") == (10, 0, 3)


@pytest.mark.parametrize(
    "text",
    [
        "2025-13-01",
        "2025-02-30",
        "2025-W05",
        "20250101",
        "0000-01-01",
        "2025-1-1",
        "٢٠٢٥-01-01",
        "2025-01-01\n",
    ],
)
def test_a_release_date_is_a_real_day(text):
    with pytest.raises(ReleaseRefused, match="date"):
        parse_date(text)
    assert parse_date("2026-01-02") == "2026-01-02"


def test_the_zip_holds_only_regular_tracked_files(make_package, outside):
    path = make_package()
    base = path.parent
    (base / ".gitignore").write_text("data/ignored.csv\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=base, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=base, check=True)
    subprocess.run([*GIT, "commit", "-qm", "start"], cwd=base, check=True)
    (base / "data" / "ignored.csv").write_text("ignored\n", encoding="utf-8")
    (base / "data" / "untracked.csv").write_text("untracked\n", encoding="utf-8")
    zipped = data_zip(base, base.parent / "dist")
    with zipfile.ZipFile(zipped) as zf:
        names = {n.split("/", 1)[1] for n in zf.namelist()}
    assert names == {"datapackage.json", *(r["path"] for r in json.loads(path.read_text())["resources"])} | {
        p.relative_to(base).as_posix() for p in (base / "schemas").iterdir()
    }
    # a committed symlink in schemas/ is refused, never followed
    (base / "schemas" / "leak.json").symlink_to(outside / "secret.schema.json")
    subprocess.run([*GIT, "add", "-A"], cwd=base, check=True)
    subprocess.run([*GIT, "commit", "-qm", "link"], cwd=base, check=True)
    with pytest.raises(ReleaseRefused, match=r"schemas/leak\.json: tracked as a symlink"):
        data_zip(base, base.parent / "dist2")


def _rules_found(path, rule: str) -> set[tuple[str, str]]:
    return {(v.resource, v.fields) for v in validate.run(path).violations if v.rule == rule}


def test_schemas_intact(make_package):
    """A schema edited after the descriptor recorded its hash is an error on that resource; none before."""
    path = make_package()
    assert _rules_found(path, "schemas_intact") == set()
    schema = path.parent / FIGURE_SCHEMA
    schema.write_bytes(schema.read_bytes().replace(b'"description"', b'"description" ', 1))
    assert _rules_found(path, "schemas_intact") == {("figures", "x-schema-hash")}


def test_files_regular(make_package):
    """A table that is a symlink, even to a copy inside the package, is an error; a regular file is not."""
    path = make_package()
    base = path.parent
    assert _rules_found(path, "files_regular") == set()
    (base / "data" / "copy.csv").write_bytes((base / FIGURES).read_bytes())
    (base / FIGURES).unlink()
    (base / FIGURES).symlink_to("copy.csv")
    assert ("figures", "path") in _rules_found(path, "files_regular")
