"""The validator's two ways of reading a table agree: the one-pass read taken for well-formed files
gives exactly the cells of the streamed strict read, and steps aside (so the strict read can locate
the problem) whenever that read would report a row; typing is shared, so the tables are equal."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validate import package

SCHEMA = {
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "n", "type": "integer"},
        {"name": "x", "type": "number"},
        {"name": "b", "type": "boolean"},
        {"name": "s", "type": "string"},
    ],
    "primaryKey": ["id"],
}
# cells chosen to sit on the edges of the two parsers: signs, exponents, spaces, separators,
# spellings of booleans and of special numbers, quotes, commas and newlines inside cells
TRICKY = [
    "",
    "0",
    "7",
    "-3",
    "+5",
    "007",
    "1.5",
    "1e3",
    "1E-2",
    ".5",
    "5.",
    " 1",
    "1 ",
    "1,000",
    "1_000",
    "0x10",
    "inf",
    "-inf",
    "NaN",
    "nan",
    "true",
    "True",
    "TRUE",
    "false",
    "FALSE",
    "yes",
    "1",
    "NA",
    "null",
    "a,b",
    'say "hi"',
    "two\nlines",
    "é",
]
ODD = st.sampled_from(TRICKY) | st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=6)
INTEGER = st.integers(-(10**12), 10**12).map(str)
NUMBER = st.floats(allow_nan=False, allow_infinity=False).map(repr) | INTEGER
BOOLEAN = st.sampled_from([*package.TRUE, *package.FALSE])
# mostly cells of the column's type, so that whole files are often well formed, now and then an odd one
ROW = st.tuples(
    st.one_of(INTEGER, INTEGER, ODD),
    st.one_of(NUMBER, NUMBER, ODD),
    st.one_of(BOOLEAN, BOOLEAN, ODD),
    ODD,
)


def write(rows: list[tuple[str, ...]], folder: Path) -> Path:
    buf = io.StringIO(newline="")
    out = csv.writer(buf, lineterminator="\n")
    out.writerow([f["name"] for f in SCHEMA["fields"]])
    out.writerows((f"r{i}", *row) for i, row in enumerate(rows))
    file = folder / "t.csv"
    file.write_bytes(buf.getvalue().encode("utf-8"))
    return file


def strict(file: Path):
    header = [f["name"] for f in SCHEMA["fields"]]
    return package._read_strict("t", "t.csv", file, SCHEMA, header, bom=False, found=package.scan(file))


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=1, max_size=4))
def test_fast_read_equals_strict_read_or_steps_aside(rows):
    with tempfile.TemporaryDirectory() as tmp:
        file = write(rows, Path(tmp))
        fast = package._read_fast(file, SCHEMA)
        text, problems = strict(file)
        table, found = package.read_table("t", "t.csv", file, SCHEMA)
        seen = package.scan(file)
    frame, type_problems, keys = package._typed("t", "t.csv", text, SCHEMA)
    assert table.frame.equals(frame, null_equal=True) and table.frame.schema == frame.schema
    assert table.keys.to_list() == keys.to_list()
    assert found == problems + type_problems
    if fast is not None and not seen.nul:  # a NUL byte is found by the scan, which takes the strict read
        assert problems == [], "the fast read accepted a row the strict read reports"
        assert fast.equals(text, null_equal=True), (fast.rows(), text.rows())


def test_a_cell_is_typed_the_same_whichever_read_is_taken(tmp_path):
    # pyarrow would read '0x10' as the integer 16, polars ' 1' as 1.0 and 'TRUE' as true; the one
    # dialect shared with the loader (desertion_data._read.typed) refuses all three
    file = write([("0x10", " 1", "true", "ok"), ("3", "2.5", "TRUE", "ok")], tmp_path)
    assert package._read_fast(file, SCHEMA) is not None
    table, found = package.read_table("t", "t.csv", file, SCHEMA)
    assert [(v.key, v.fields) for v in found] == [("r0", "n"), ("r0", "x"), ("r1", "b")]
    assert table.frame["x"].to_list() == [None, 2.5]


def test_fast_read_steps_aside_for_a_ragged_row(tmp_path):
    file = tmp_path / "t.csv"
    file.write_bytes(b"id,n,x,b,s\nr0,1,2.5,true\nr1,1,2.5,true,ok\n")
    assert package._read_fast(file, SCHEMA) is None
    table, problems = package.read_table("t", "t.csv", file, SCHEMA)
    assert [(v.rule, v.key) for v in problems] == [(package.READ_RULE, "r0")]
    assert "line 2" in problems[0].message and "t.csv" in problems[0].message
    assert table.keys.to_list() == ["r1"]


def test_strict_read_is_taken_for_a_header_out_of_order(tmp_path):
    file = tmp_path / "t.csv"
    file.write_bytes(b"n,id,x,b,s\n1,r0,2.5,true,ok\n")
    table, problems = package.read_table("t", "t.csv", file, SCHEMA)
    assert [v.rule for v in problems] == [package.READ_RULE]
    assert "order" in problems[0].message
    assert table.frame.columns == [f["name"] for f in SCHEMA["fields"]]
    assert table.frame.row(0) == ("r0", 1, 2.5, True, "ok")
    assert table.frame.schema["n"] == pl.Int64
