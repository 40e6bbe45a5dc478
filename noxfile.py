"""Sessions for maintainers: `nox` runs lint, validate and tests; others on request."""

from __future__ import annotations

import glob
import os
import shutil

import nox

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "validate", "tests"]
nox.options.reuse_venv = "yes"

PYPROJECT = nox.project.load_toml("pyproject.toml")
# uv installs no bytecode by default, so every run would compile pandas, pandera and polars afresh
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")


def _install(session: nox.Session, *groups: str, project: bool = True) -> None:
    """Install dependency groups from pyproject.toml, and the project in editable mode."""
    session.install(*nox.project.dependency_groups(PYPROJECT, *groups))
    if project:
        session.install("-e", ".", "--no-deps")


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and common bugs with ruff."""
    _install(session, "lint", project=False)
    session.run("ruff", "check", *session.posargs)
    session.run("ruff", "format", "--check")


@nox.session
def validate(session: nox.Session) -> None:
    """Run every consistency rule on the package (pass --sources DIR to check excerpts)."""
    _install(session, "validate")
    session.run("python", "-m", "validate", "datapackage.json", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the fast tests (pass pytest options: --sources=DIR; slow tier: -m 'slow or wheel or browser')."""
    _install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session(venv_backend="none")
def stamp(session: nox.Session) -> None:
    """Record each table's size and SHA-256 in datapackage.json after editing data."""
    # run without an environment of its own: the package's modules come from src/
    session.run(
        "python", "src/validate/stamp.py", "datapackage.json", *session.posargs, env={"PYTHONPATH": "src"}
    )


@nox.session
def series(session: nox.Session) -> None:
    """Rebuild data/series.csv from the claims (validate.series) and stamp the descriptor."""
    _install(session, "validate")
    session.run("python", "-m", "validate.series", "datapackage.json")
    session.run("python", "src/validate/stamp.py", "datapackage.json")


@nox.session
def diff(session: nox.Session) -> None:
    """Rows added, removed and changed since a release (default: the latest) and the bump they need."""
    _install(session, "validate")
    session.run("python", "-m", "validate.release", "diff", *session.posargs)


@nox.session
def release(session: nox.Session) -> None:
    """Release X.Y.Z: refuse a dirty tree, failing validate, no changelog or a small bump; then build."""
    if not session.posargs:
        session.error("usage: nox -s release -- X.Y.Z [YYYY-MM-DD] [SOURCES_DIR]")
    _install(session, "validate", "release")
    session.run("python", "-m", "validate.release", "make", *session.posargs)
    _build(session)


@nox.session
def build(session: nox.Session) -> None:
    """Write sdist, wheel, the data package zip and SHA256SUMS to dist/, byte-identical per commit."""
    _install(session, "validate", "release")
    _build(session)


def _build(session: nox.Session) -> None:
    epoch = session.run("git", "log", "-1", "--format=%ct", silent=True, external=True).strip()
    shutil.rmtree("dist", ignore_errors=True)
    env = {"SOURCE_DATE_EPOCH": epoch}
    session.run("python", "-m", "build", "--no-isolation", "--outdir", "dist", ".", env=env)
    session.run("python", "-m", "validate.release", "zip", env=env)
    session.run("twine", "check", "--strict", *glob.glob("dist/*.whl"), *glob.glob("dist/*.tar.gz"))


@nox.session
def docs(session: nox.Session) -> None:
    """Regenerate docs/codebook.md and the README's answers (a test fails when either is stale)."""
    session.install("-e", ".")
    session.run("desertion-data", "codebook", "--format", "md", "--out", "docs/codebook.md", "--force")
    session.run("python", "-m", "desertion_data._questions", "README.md")


@nox.session
def figures(session: nox.Session) -> None:
    """Draw the pictures to docs/figures/ as SVG and PNG, with manifest.json of the data they show."""
    session.install("-e", ".[plot]")
    session.run("python", "-m", "desertion_data._plot", "docs/figures")


@nox.session
def explore(session: nox.Session) -> None:
    """Export the package to SQLite and serve it with Datasette on 127.0.0.1 (pass --port N)."""
    session.install("-e", ".[explore]")
    out = os.path.join(session.create_tmp(), "desertion-data.db")
    session.run("desertion-data", "export", "--format", "sqlite", "--out", out, "--force")
    meta = out.removesuffix(".db") + ".metadata.json"
    session.run("datasette", "serve", out, "--metadata", meta, "--host", "127.0.0.1", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Time the validator at 10k/100k/1M figures, the loader and the import; write benchmarks/RESULTS.md."""
    _install(session, "validate")
    session.install("nox")
    session.run("python", "benchmarks/run.py", *session.posargs)
