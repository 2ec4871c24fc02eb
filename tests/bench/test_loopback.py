"""bench/loopback.py: a server that fails to start says why in the benchmark's error."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import loopback  # noqa: E402


def test_a_server_that_exits_is_reported_with_the_end_of_its_output(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    command = [sys.executable, "-c", "print('address already in use', flush=True); exit(3)"]
    with loopback.running(command, loopback.environment(), log) as process:
        process.wait(timeout=30)
        with pytest.raises(RuntimeError, match="exited with code 3") as failure:
            loopback.wait_until_answers("http://127.0.0.1:9/readyz", process, log=log)
    assert "address already in use" in str(failure.value)


def test_a_server_that_never_answers_times_out_with_its_output(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    command = [sys.executable, "-c", "import time; print('loading', flush=True); time.sleep(60)"]
    with loopback.running(command, loopback.environment(), log) as process:
        while "loading" not in log.read_text():  # the interpreter has started
            time.sleep(0.05)
        with pytest.raises(RuntimeError, match="did not answer within") as failure:
            loopback.wait_until_answers(
                f"http://127.0.0.1:{loopback.free_port()}/readyz", process, timeout=1.0, log=log
            )
    assert "loading" in str(failure.value)
