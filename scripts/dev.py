#!/usr/bin/env python3
"""Set up everything from the project's own files, then run the demo or the tests.

Usage (needs only Python 3.11+ and pip):
    python3 scripts/dev.py demo [kinerja demo options]   # database, data, models, server
    python3 scripts/dev.py test [pytest options]         # tests (SQLite, + PostgreSQL)

The virtual environment lives in .venv (override with KINERJA_VENV). It is created when
missing and the project is (re)installed in editable mode with the dev extra whenever
pyproject.toml is newer than the last install, so the two commands work on a fresh clone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("KINERJA_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".kinerja-installed"


def ensure_environment() -> None:
    """Create the venv and install the project when missing or out of date."""
    if sys.version_info < (3, 11):  # noqa: UP036 (this script may run on an older python3)
        sys.exit(f"Kinerja needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print(f"Creating virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pyproject = ROOT / "pyproject.toml"
    if STAMP.exists() and STAMP.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    print("Installing Kinerja and its dependencies (a few minutes the first time) ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True, cwd=ROOT)
    STAMP.touch()


def compile_bytecode() -> None:
    """Compile our own modules to bytecode, as pip does for an installed wheel.

    An editable install leaves that to the first import, which skips writing it where
    PYTHONDONTWRITEBYTECODE is set: each start of the server would then compile our modules
    again (0.3-0.4 s of CPU). Up-to-date files are skipped, so this is cheap after the first.
    """
    python = str(BIN / "python")
    command = [python, "-m", "compileall", "-q", "service", "training"]
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test"}:
        print(__doc__)
        return 2
    ensure_environment()
    compile_bytecode()
    os.chdir(ROOT)
    if argv[0] == "demo":
        return subprocess.call([str(BIN / "kinerja"), "demo", *argv[1:]])
    workers = [] if any(a == "-n" or a.startswith("-n") for a in argv[1:]) else ["-n", "2"]
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *workers, *argv[1:]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
