"""`kinerja serve --worker-connections N`: no worker holds more than N connections."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main
from service.server import spread_connections

WORKERS = 2
CAP = spread_connections(4, WORKERS)  # 4 clients: 2 per worker + its 2 threads = 4


@pytest.fixture
def capped_server(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[int, int]]:
    """`kinerja serve --workers 2 --worker-connections 4`; yields its port and arbiter pid."""
    shutil.copyfile(sqlite_template, tmp_path / "kinerja.db")
    env = {
        **os.environ,
        "KINERJA_ENV": "demo",
        "KINERJA_HOME": str(tmp_path / "home"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kinerja.db'}",
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    port = _free_port()
    command = [
        str(Path(sys.executable).with_name("kinerja")), "serve", "--port", str(port),
        "--workers", str(WORKERS), "--worker-connections", str(CAP),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", process)
        yield port, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_no_worker_accepts_more_than_its_worker_connections(
    capped_server: tuple[int, int],
) -> None:
    port, arbiter = capped_server
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(2 * CAP)]
    try:  # accepted connections stay a worker's for 5 s while it waits for their request
        counts = _held_by_workers(arbiter, port, held, expected=2 * CAP)
        assert counts == [CAP, CAP]

        held.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(0.3)
        assert _held_by_workers(arbiter, port, held) == [CAP, CAP]  # it waits in the backlog
        held.pop(0).close()  # a place comes free: the waiting connection is accepted
        assert _held_by_workers(arbiter, port, held, expected=2 * CAP) == [CAP, CAP]
    finally:
        for connection in held:
            connection.close()


def test_a_cap_that_leaves_no_keep_alive_is_refused(tmp_path: Path, sqlite_template: Path) -> None:
    shutil.copyfile(sqlite_template, tmp_path / "kinerja.db")
    env = {
        "KINERJA_ENV": "demo",
        "KINERJA_HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kinerja.db'}",
    }
    result = CliRunner().invoke(main, ["serve", "--worker-connections", "2"], env=env)
    assert result.exit_code == 1
    assert "must exceed the 2 threads per worker" in result.output


def _held_by_workers(
    arbiter: int, port: int, clients: list[socket.socket], expected: int = 0
) -> list[int]:
    """The clients' connections each worker holds, most first; waits (3 s at most) until
    they hold `expected` in all (a worker may still be booting)."""
    deadline = time.monotonic() + 3
    while True:
        owners = _connection_owners(arbiter, port, [c.getsockname()[1] for c in clients])
        if sum(owners.values()) >= expected or time.monotonic() > deadline:
            return sorted(owners.values(), reverse=True)
        time.sleep(0.02)


def _connection_owners(arbiter: int, port: int, client_ports: list[int]) -> dict[int, int]:
    """How many of the clients' connections each worker (child of `arbiter`) holds, by pid."""
    inodes = _server_side_inodes(port, set(client_ports))
    owners = {}
    for worker in _children(arbiter):
        fds = Path(f"/proc/{worker}/fd")
        links = {os.readlink(fd) for fd in fds.iterdir() if fd.is_symlink()}
        owners[worker] = len({f"socket:[{inode}]" for inode in inodes} & links)
    return owners


def _server_side_inodes(port: int, client_ports: set[int]) -> set[str]:
    """Socket inodes of the server's ends of the clients' connections (/proc/net/tcp)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(address.rsplit(":", 1)[1], 16) for address in fields[1:3])
        if local == port and remote in client_ports:
            inodes.add(fields[9])
    return inodes


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    return [int(c) for t in tasks.iterdir() for c in (t / "children").read_text().split()]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "kinerja serve exited"
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")
