"""Sessions for maintainers: `nox` runs lint, validate and tests; others on request."""

from __future__ import annotations

import nox

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "validate", "tests"]
nox.options.reuse_venv = "yes"

PYPROJECT = nox.project.load_toml("pyproject.toml")


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
    """Run the test suite (pass pytest options, e.g. --sources=DIR or -m 'not wheel')."""
    _install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session(venv_backend="none")
def stamp(session: nox.Session) -> None:
    """Record each table's size and SHA-256 in datapackage.json after editing data."""
    session.run("python", "src/validate/stamp.py", "datapackage.json", *session.posargs)
