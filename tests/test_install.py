"""The README's install section, run as written in fresh virtual environments: from a clone and from
the wheel, then the commands that follow (a DataFrame, each export, a Datasette page).

Offline: each environment sees this test environment's packages (pandas, pyarrow, sqlite-utils,
datasette, hatchling) through a path file, and pip runs with --no-index, so `pip install` resolves
the dependencies the README asks for without the network. `nox -s build` is replaced by the build
it runs (`python -m build --no-isolation`), since nox would download its own environments. pip
sees the lent datasette as installed and writes no `datasette` script, so that one command comes
from this environment (last on PATH); `desertion-data` and the module must come from the new one.
"""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

import desertion_data as dd
from conftest import ROOT

pytestmark = pytest.mark.wheel


def readme_blocks() -> list[list[str]]:
    """The sh blocks of the README's install section, each a list of commands without comments."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- install:start -->", 1)[1].split("<!-- install:end -->", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [[re.sub(r"\s+#.*$", "", line).strip() for line in b.splitlines() if line.strip()] for b in blocks]


def fresh_env(where: Path) -> Path:
    """A virtual environment with pip that also sees this environment's packages."""
    venv.create(where, with_pip=True)
    python = where / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    lent = [p for p in site.getsitepackages() if Path(p).is_dir()]
    Path(purelib, "lent.pth").write_text("\n".join(lent) + "\n", encoding="utf-8")
    return where


def clone(to: Path) -> Path:
    """The tracked files of this checkout, as a fresh clone would hold them."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file() and not src.is_symlink():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, to / name)
    return to


def sh(command: str, env_dir: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "DESERTION_DATA_ROOT")
    }
    clean.update(
        # the lent environment's scripts last: pip sees datasette as installed and writes no script of its own
        PATH=os.pathsep.join([str(env_dir / "bin"), clean.get("PATH", ""), str(Path(sys.executable).parent)]),
        VIRTUAL_ENV=str(env_dir),
        PIP_NO_INDEX="1",
        PIP_NO_BUILD_ISOLATION="0",  # pip reads this negative option inverted: 0 turns isolation off
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=600,
    )


def use_it(env_dir: Path, cwd: Path, then: list[str]) -> None:
    """The README's 'Then' block: each command succeeds; Datasette answers one request and exits."""
    for command in then:
        if command.startswith("datasette "):
            command += " --get /desertion/figures.json"
        result = sh(command, env_dir, cwd)
        assert result.returncode == 0, f"{command}\n{result.stderr}"
        assert "Traceback" not in result.stderr
        if command.startswith("python3 -c"):
            assert "figure_id" in result.stdout
        if command.startswith("datasette "):
            assert '"rows"' in result.stdout or '"figure_id"' in result.stdout
    for fmt in ("csv", "parquet"):
        assert sorted(p.name for p in (cwd / fmt).iterdir()) == sorted(f"{n}.{fmt}" for n in dd.names())
    for name in ("desertion.xlsx", "desertion.db", "desertion.metadata.json"):
        assert (cwd / name).is_file(), name


def where_loaded(env_dir: Path, cwd: Path) -> str:
    """Where the installed module and command come from."""
    code = "python3 -c 'import desertion_data as d; print(d.path(\"figures\"))'; command -v desertion-data"
    return sh(code, env_dir, cwd).stdout


def test_readme_install_from_a_clone(tmp_path):
    clone_block, _, published, then = readme_blocks()
    assert published == ['python3 -m pip install "desertion-data[export,explore]"']
    repo = clone(tmp_path / "repo")
    env_dir = fresh_env(tmp_path / "venv")
    for command in clone_block:
        result = sh(command, env_dir, repo)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    work = tmp_path / "work"
    work.mkdir()
    module, command = where_loaded(env_dir, work).split()
    assert module.startswith(str(env_dir)) and command.startswith(str(env_dir)), "not the installed package"
    use_it(env_dir, work, then)


def test_readme_install_from_the_wheel(tmp_path):
    _, wheel_block, _, then = readme_blocks()
    assert wheel_block[0] == "nox -s build"
    repo = clone(tmp_path / "repo")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(repo / "dist"),
            str(repo),
        ],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    env_dir = fresh_env(tmp_path / "venv")
    for command in wheel_block[1:]:
        result = sh(command, env_dir, repo)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    work = tmp_path / "work"
    work.mkdir()
    module, command = where_loaded(env_dir, work).split()
    assert module.startswith(str(env_dir)) and command.startswith(str(env_dir)), "not the installed wheel"
    use_it(env_dir, work, then)
