"""The import's Arrow columns come from the C library's allocator (`import_arrow`).

pyarrow's default mimalloc maps huge pages that the kernel zeroes on first touch and gives
freed memory back 10 ms later, which cost a 100k-row import a quarter of its CPU. A fresh
interpreter shows what loading the import modules does to the process's default pool.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = (
    "import pyarrow as pa, service.domain.imports, pyarrow.csv as c, io; "
    "c.read_csv(io.BytesIO(b'a\\n1\\n')); "
    "print(pa.default_memory_pool().backend_name, pa.system_memory_pool().max_memory() > 0)"
)


def pool_after_loading(env: dict[str, str]) -> str:
    """What a fresh interpreter that loaded the import modules allocates from."""
    clean = {name: value for name, value in os.environ.items() if not name.startswith("ARROW_")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_import_modules_make_arrow_allocate_from_the_system_allocator() -> None:
    assert pool_after_loading({}) == "system True"


def test_a_pool_named_in_the_environment_is_kept() -> None:
    assert pool_after_loading({"ARROW_DEFAULT_MEMORY_POOL": "jemalloc"}) == "jemalloc False"
