"""The built wheel, installed into a fresh environment and used from outside the repository."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

import desertion_data as dd
from conftest import ROOT

pytestmark = pytest.mark.wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from this checkout (offline: hatchling comes from the test environment)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    (found,) = out.glob("desertion_data-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with only the wheel installed; pandas and pyarrow are lent from this environment."""
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # a plain path line: the lent folder's own .pth files (an editable desertion_data) are not run
    Path(purelib, "lent.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return env


def run(env: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, env=clean, timeout=300)


def test_wheel_contains_the_package_data_and_not_validate(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in dd.names():
        assert f"desertion_data/package/data/{name}.csv" in names
        assert f"desertion_data/package/schemas/{name}.schema.json" in names
    assert "desertion_data/package/datapackage.json" in names
    assert "desertion_data/py.typed" in names
    assert not any(n.startswith("validate/") for n in names), (
        "the wheel must not install a top-level validate"
    )
    assert not any(n.startswith(("tests/", "src/")) for n in names)


def test_installed_wheel_loads_every_table_typed(installed, tmp_path):
    code = (
        "import json, desertion_data as dd; out = {}\n"
        "for n in dd.names():\n"
        "    f = dd.load(n); out[n] = [len(f), {c: str(t) for c, t in f.dtypes.items()}]\n"
        "print(json.dumps({'where': str(dd.path('figures')), 'tables': out, 'version': dd.__version__}))"
    )
    result = run(installed, str(installed / "bin" / "python"), "-c", code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert str(installed) in got["where"], "loaded from the checkout, not the wheel"
    assert got["version"] == dd.__version__
    types = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}
    for name in dd.names():
        rows, dtypes = got["tables"][name]
        assert rows == len(dd.load(name))
        for field in dd.schema(name)["fields"]:
            assert dtypes[field["name"]] == types[field["type"]]


def test_installed_wheel_has_no_validate_module(installed, tmp_path):
    result = run(installed, str(installed / "bin" / "python"), "-c", "import validate", cwd=tmp_path)
    assert result.returncode != 0 and "ModuleNotFoundError" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["show", "figures", "--limit", "3"],
        ["cite"],
        ["cite", "--format", "cff"],
        ["cite", "--figure", "the-spark-2025-09-15-f05"],
        ["info"],
        ["verify"],
        ["export", "--format", "csv", "--out", "out"],
        ["export", "--format", "sqlite", "--out", "out.db"],
        ["series", "--country", "UA", "--freq", "year"],
        ["plot", "ua-funnel", "--out", "funnel.svg"],
    ],
    ids=" ".join,
)
def test_installed_cli_commands(installed, tmp_path, args):
    result = run(installed, str(installed / "bin" / "desertion-data"), *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "Traceback" not in result.stderr


def test_verify_reports_a_changed_file(installed, tmp_path):
    python = str(installed / "bin" / "python")
    where = run(
        installed, python, "-c", "import desertion_data as dd; print(dd.path('quotes'))", cwd=tmp_path
    )
    quotes = Path(where.stdout.strip())
    original = quotes.read_bytes()
    try:
        quotes.write_bytes(original.replace(b"zero training", b"some training"))
        result = run(installed, str(installed / "bin" / "desertion-data"), "verify", cwd=tmp_path)
        assert result.returncode == 1
        assert "quotes.csv" in result.stdout and "sha256" in result.stdout
        assert "Traceback" not in result.stderr
    finally:
        quotes.write_bytes(original)
    assert run(installed, str(installed / "bin" / "desertion-data"), "verify", cwd=tmp_path).returncode == 0
