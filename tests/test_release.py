"""Releases: one version everywhere, the diff since a release, refused releases, identical rebuilds."""

from __future__ import annotations

import csv
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import desertion_data as dd
from conftest import ROOT, fig
from validate.release import ReleaseRefused, checksums, data_zip, diff, load_manifest, make_release
from validate.series import main as series_main
from validate.stamp import stamp

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]


def git(root: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding a copy of this package with no release yet."""
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("data", "schemas"):
        shutil.copytree(ROOT / name, root / name)
    for name in ("datapackage.json", "CHANGELOG.md"):
        shutil.copy(ROOT / name, root / name)
    (root / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "codebook.md", root / "docs" / "codebook.md")
    log = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    head = log.split("\n## [", 1)[0]
    (root / "CHANGELOG.md").write_text(
        head.split("## [Unreleased]")[0] + "## [Unreleased]\n\n### Data\n- Added everything.\n",
        encoding="utf-8",
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    return root


def released(repo: Path, version: str = "1.0.0") -> Path:
    make_release(repo, version, "2026-01-02")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"release {version}")
    return repo


def edit_figures(repo: Path, change) -> None:
    """Rewrite figures.csv through change(rows) -> rows, restamp, note it in the changelog, commit."""
    path = repo / "data" / "figures.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        cols, rows = reader.fieldnames, list(reader)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, cols, lineterminator="\n")
        writer.writeheader()
        writer.writerows(change(rows))
    series_main([str(repo / "datapackage.json")])  # the series follows the figures, as `nox -s series` does
    stamp(repo / "datapackage.json")
    log = repo / "CHANGELOG.md"
    log.write_text(
        log.read_text(encoding="utf-8").replace("## [Unreleased]\n", "## [Unreleased]\n\n- edit\n", 1)
    )
    git(repo, "commit", "-qam", "edit")


def new_row() -> dict[str, str]:
    return fig(
        "jointearn-record-numbers-f09",
        176000,
        value_text="176,000",
        source_id="jointearn-record-numbers",
        period_start="2024-09",
        period_end="2025-09",
        excerpt="Between September 2024 and September 2025 alone, 176,000 AWOL cases and 25,000 desertions "
        "were registered.",
        measure="absence_cases",
    )


def test_one_version_everywhere():
    """The descriptor, wheel metadata, __version__, CITATION.cff, .zenodo.json and changelog agree."""
    desc = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    version, date = desc["version"], desc["created"][:10]
    assert importlib.metadata.version("desertion-data") == version
    assert dd.__version__ == version
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert f"\nversion: {version}\n" in cff and f"\ndate-released: {date}\n" in cff
    zenodo = json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    assert (zenodo["version"], zenodo["publication_date"]) == (version, date)
    top = re.search(
        r"^## \[(\d+\.\d+\.\d+)\] - (\S+)$", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), re.M
    )
    assert top and top.groups() == (version, date)
    assert load_manifest(ROOT, version)["version"] == version


def test_citation_cff_is_what_cite_prints():
    assert (ROOT / "CITATION.cff").read_text(encoding="utf-8") == dd.cite(style="cff")


def test_first_release_sets_version_and_writes_manifest(repo):
    make_release(repo, "1.0.0", "2026-01-02")
    desc = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    assert (desc["version"], desc["created"]) == ("1.0.0", "2026-01-02T00:00:00Z")
    man = json.loads((repo / "releases" / "1.0.0.json").read_text(encoding="utf-8"))
    assert man["version"] == "1.0.0" and man["date"] == "2026-01-02"
    assert set(man["resources"]["figures"]["rows"]) == {
        r["figure_id"] for r in csv.DictReader((repo / "data" / "figures.csv").open(encoding="utf-8"))
    }
    assert "## [Unreleased]\n\n## [1.0.0] - 2026-01-02" in (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "version: 1.0.0" in (repo / "CITATION.cff").read_text(encoding="utf-8")
    assert ", version 1.0.0. " in (repo / "docs" / "codebook.md").read_text(encoding="utf-8")


def test_diff_reports_added_removed_and_changed_rows(repo):
    released(repo)
    a, b = "the-spark-2025-09-15-f03", "the-spark-2025-09-15-f04"

    def change(rows):
        rows = [r for r in rows if r["figure_id"] != a]
        for r in rows:
            if r["figure_id"] == b:
                r["notes"] += " Corrected."
        return [*rows, new_row()]

    edit_figures(repo, change)
    d = diff(load_manifest(repo), repo)
    got = d.tables["figures"]
    assert (got.added, got.removed, got.changed) == (["jointearn-record-numbers-f09"], [a], [b])
    # the series is generated from the figures, so it may follow them; nothing else changes
    assert all(
        not (t.added or t.removed or t.changed) for n, t in d.tables.items() if n not in ("figures", "series")
    )
    assert d.required == "major"


@pytest.mark.parametrize(
    ("change", "required"),
    [
        (lambda rows: [*rows, new_row()], "minor"),
        (
            lambda rows: [
                {**r, "notes": r["notes"] + " x"} if r["figure_id"].endswith("f05") else r for r in rows
            ],
            "patch",
        ),
        (lambda rows: rows[1:], "major"),
    ],
    ids=["added", "changed", "removed"],
)
def test_diff_requires_the_smallest_bump(repo, change, required):
    released(repo)
    edit_figures(repo, change)
    assert diff(load_manifest(repo), repo).required == required


def test_release_refuses_a_dirty_tree(repo):
    (repo / "stray.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ReleaseRefused, match="not clean"):
        make_release(repo, "1.0.0", "2026-01-02")


def test_release_refuses_failing_validate(repo):
    (repo / "data" / "quotes.csv").write_bytes((repo / "data" / "quotes.csv").read_bytes() + b"\n")
    git(repo, "commit", "-qam", "break")
    with pytest.raises(ReleaseRefused, match="validate reports"):
        make_release(repo, "1.0.0", "2026-01-02")


def test_release_refuses_an_empty_changelog(repo):
    released(repo)
    edit_figures(repo, lambda rows: [*rows, new_row()])
    log = repo / "CHANGELOG.md"
    log.write_text(log.read_text(encoding="utf-8").replace("- edit\n", ""), encoding="utf-8")
    git(repo, "commit", "-qam", "no notes")
    with pytest.raises(ReleaseRefused, match="no entries under"):
        make_release(repo, "1.1.0", "2026-02-01")


def test_release_refuses_too_small_a_bump(repo):
    released(repo)
    edit_figures(repo, lambda rows: [*rows, new_row()])
    with pytest.raises(ReleaseRefused, match="patch bump, but the changes need minor"):
        make_release(repo, "1.0.1", "2026-02-01")
    with pytest.raises(ReleaseRefused, match="not after the last release"):
        make_release(repo, "0.9.0", "2026-02-01")
    make_release(repo, "1.1.0", "2026-02-01")
    assert (repo / "releases" / "1.1.0.json").is_file()


def _build(out: Path) -> dict[str, bytes]:
    env = {"SOURCE_DATE_EPOCH": "1767225600", "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        env=env,
    )
    data_zip(ROOT, out)
    checksums(out)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.mark.wheel
def test_two_builds_are_byte_identical_and_pass_twine(tmp_path):
    first, second = _build(tmp_path / "a"), _build(tmp_path / "b")
    version = dd.__version__
    assert set(first) == {
        f"desertion_data-{version}-py3-none-any.whl",
        f"desertion_data-{version}.tar.gz",
        f"desertion-data-{version}.zip",
        "SHA256SUMS",
    }
    assert first == second
    files = [str(tmp_path / "a" / n) for n in first if n.endswith((".whl", ".tar.gz"))]
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_citation_cff_is_valid_cff_1_2():
    """CITATION.cff validates against the CFF 1.2.0 schema (tests/fixtures, taken from cffconvert)."""
    import jsonschema
    import yaml

    schema = json.loads((ROOT / "tests" / "fixtures" / "cff-1.2.0.schema.json").read_text(encoding="utf-8"))
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    cff["date-released"] = str(cff["date-released"])  # YAML reads a bare date as a date object
    jsonschema.validate(cff, schema)
