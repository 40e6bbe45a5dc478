"""Shared fixtures: the sources folder option, and small packages built from the real schemas."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

import desertion_data as dd
import validate
from validate.rules import TEXT_COLUMNS
from validate.stamp import dump, stamp_resource

# no per-example time limit: speed is measured by `nox -s bench`, not by tests, and a loaded CI
# machine (two test workers) made Hypothesis' default 200 ms deadline fail a correct example
settings.register_profile("desertion-data", deadline=None)
settings.load_profile("desertion-data")

ROOT = Path(__file__).resolve().parents[1]
SOURCE_TEXT = (
    "A test source. They counted 10 cases. "
    "There were 10 cases, including 4 desertions, and 5 alone. Nearly 20 more."
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--sources",
        default=os.environ.get("DESERTION_SOURCES"),
        help="folder of source texts (found by SHA-256); default $DESERTION_SOURCES",
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A marker expression that selects no test is said loudly, not failed on (pytest's exit 5):
    CI runs each tier by marker, and a tier may be empty in a trimmed checkout."""
    markexpr = session.config.getoption("markexpr", "")
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and markexpr:
        session.config.get_terminal_writer().line(
            f"NO TESTS selected by -m {markexpr!r}", yellow=True, bold=True
        )
        session.exitstatus = pytest.ExitCode.OK


@pytest.fixture(scope="session")
def sources_dir(request: pytest.FixtureRequest) -> Path:
    """The real source texts; tests that need them are skipped, with a count, without them."""
    folder = request.config.getoption("--sources")
    if not folder or not Path(folder).is_dir():
        rows = sum(len(dd.load(t)) for t in TEXT_COLUMNS)
        pytest.skip(
            f"no sources folder (--sources DIR or $DESERTION_SOURCES): {rows} excerpts and quotes unchecked"
        )
    return Path(folder)


def found(path, rule: str, severity: str = "error", sources=None) -> set[tuple[str, str]]:
    """The (rule, key) pairs of one rule and severity in the report on the package at path."""
    report = validate.run(path, sources)
    return {(v.rule, v.key) for v in report.violations if v.rule == rule and v.severity == severity}


def row(table: str, **values: object) -> dict[str, str]:
    """A row of a table with every schema column, empty unless given."""
    cols = [f["name"] for f in dd.schema(table)["fields"]]
    unknown = set(values) - set(cols)
    assert not unknown, f"not columns of {table}: {unknown}"
    return {c: "" if values.get(c) is None else str(values.get(c)) for c in cols}


def source(source_id: str, **kw: object) -> dict[str, str]:
    """A valid sources row: an English news article at example.org, its file named after it."""
    defaults = dict(
        url=f"https://example.org/{source_id}",
        language="en",
        origin="core-article",
        source_type="news",
        file=f"{source_id}.txt",
    )
    return row("sources", source_id=source_id, **{**defaults, **kw})


def fig(figure_id: str, value: float | str = 10, **kw: object) -> dict[str, str]:
    """A valid figure row: UA AWOL cases, exact, 2022..2023 as stated, its excerpt stating the value."""
    text = kw.pop("value_text", None) or (f"{value:g}" if isinstance(value, float) else str(value))
    basis = kw.get("parent_basis") or ""
    defaults = dict(
        source_id="s1",
        country="UA",
        measure="awol_cases",
        unit="cases",
        qualifier="exact",
        period_start="2022",
        period_end="2023",
        period_end_stated="true",
        split_into_parts="false",
        disputed="false",
        excerpt=f"They counted {text} cases {basis}".strip() + ".",
    )
    return row("figures", figure_id=figure_id, value=value, value_text=text, **{**defaults, **kw})


def part(figure_id: str, value: float | str, parent: str, **kw: object) -> dict[str, str]:
    """A valid figure that its excerpt states is part ('including') of the figure `parent`."""
    return fig(figure_id, value, parent_figure_id=parent, parent_basis="including", **kw)


def measure(name: str, broader: str = "", unit: str = "cases") -> dict[str, str]:
    return row("measures", measure=name, label=name, definition=f"{name} (test)", unit=unit, broader=broader)


MEASURES = [
    measure("absence_cases"),
    measure("awol_cases", "absence_cases"),
    measure("desertion_cases", "absence_cases"),
    measure("territory_occupied", unit="km2"),
]


def write_csv(path: Path, table: str, rows: list[dict[str, str]]) -> None:
    cols = [f["name"] for f in dd.schema(table)["fields"]]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, cols, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def build_package(tmp: Path, **tables: list[dict[str, str]]) -> Path:
    """Build a package in tmp/'pkg' from the real schemas and given rows; returns datapackage.json.

    Unlisted tables get minimal valid rows. The source 's1' has the text SOURCE_TEXT, stored in
    tmp/'sources' (the folder to pass as --sources).
    """
    base = tmp / "pkg"
    shutil.rmtree(base, ignore_errors=True)
    (base / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "schemas", base / "schemas")
    texts = tmp / "sources"
    texts.mkdir(exist_ok=True)
    (texts / "s1.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    sha = hashlib.sha256(SOURCE_TEXT.encode()).hexdigest()
    defaults = {
        "sources": [
            row(
                "sources",
                source_id="s1",
                url="https://example.org/s1",
                language="en",
                origin="core-article",
                source_type="news",
                file="s1.txt",
                sha256=sha,
                published="2025-09-15",
            )
        ],
        "measures": MEASURES,
        "reporting_bodies": [
            row("reporting_bodies", body_id="ua-prosecutor-general", name="OGP", kind="prosecutor")
        ],
        "figures": [fig("s1-f01")],
        "penalties": [],
        "quotes": [],
        "events": [],
        "discrepancies": [],
        "series": [],
    }
    desc = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    for res in desc["resources"]:
        write_csv(base / res["path"], res["name"], tables.get(res["name"], defaults[res["name"]]))
    desc["resources"] = [stamp_resource(base, res) for res in desc["resources"]]
    (base / "datapackage.json").write_text(dump(desc), encoding="utf-8")
    if "series" not in tables:  # the series a fresh build gives, as `nox -s series` would write it
        from validate.series import build, tables_of

        try:
            rows = build(tables_of(base / "datapackage.json"))
        except Exception:  # a fixture that cannot be read at all: its test is about that
            rows = []
        write_csv(base / "data" / "series.csv", "series", rows)
        desc["resources"] = [stamp_resource(base, res) for res in desc["resources"]]
        (base / "datapackage.json").write_text(dump(desc), encoding="utf-8")
    return base / "datapackage.json"


@pytest.fixture
def make_package(tmp_path: Path):
    """build_package in this test's tmp_path."""
    return lambda **tables: build_package(tmp_path, **tables)


@pytest.fixture
def use_root(monkeypatch):
    """Point the loader at another package folder (DESERTION_DATA_ROOT), with its caches cleared."""
    from desertion_data import _package

    def point(folder: Path) -> None:
        monkeypatch.setenv("DESERTION_DATA_ROOT", str(folder))
        _package.root.cache_clear()
        _package.descriptor.cache_clear()

    yield point
    monkeypatch.delenv("DESERTION_DATA_ROOT", raising=False)
    _package.root.cache_clear()
    _package.descriptor.cache_clear()
