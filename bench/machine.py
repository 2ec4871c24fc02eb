"""Describe the machine a benchmark ran on, so its figures can be read (and compared) later.

CPU model and cores, memory, operating system, Python, SQLite, the versions of the packages
that shape the figures, wrk's version, and the load average: the machine is often shared, and
a figure measured at load 8 on 2 cores is not the figure of a quiet machine.

    python bench/machine.py        # prints one JSON line
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import time
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version
from pathlib import Path
from typing import Any

PACKAGES = (
    "flask", "werkzeug", "gunicorn", "sqlalchemy", "psycopg", "pydantic", "spectree",
    "numpy", "pandas", "scikit-learn", "skops", "mlflow", "uvicorn", "fastapi",
)  # fmt: skip


def cpu_model() -> str:
    """The `model name` of the first processor in /proc/cpuinfo (else platform's guess)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float | None:
    """Total memory from /proc/meminfo, in GiB."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def operating_system() -> str:
    """PRETTY_NAME of /etc/os-release and the kernel release."""
    name = platform.system()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return f"{name}, kernel {platform.release()}"


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed versions of `names` ("absent" for those not installed)."""
    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found


def tool_version(command: list[str]) -> str:
    """The first output line of a tool's version command ("absent" when it cannot run)."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "absent"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].split(" Copyright")[0] if lines else "unknown"


def load() -> dict[str, Any]:
    """The 1, 5 and 15 minute load averages and when they were read."""
    one, five, fifteen = os.getloadavg()
    return {
        "load_1m": round(one, 2),
        "load_5m": round(five, 2),
        "load_15m": round(fifteen, 2),
        "at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def describe() -> dict[str, Any]:
    """Everything above, as one document."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "os": operating_system(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "packages": package_versions(),
        "wrk": tool_version(["wrk", "--version"]),
        "load": load(),
    }


if __name__ == "__main__":
    print(json.dumps(describe()))
