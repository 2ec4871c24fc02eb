"""WAL checkpoints off the request path, for the server's SQLite workers.

By default SQLite checkpoints inside the COMMIT that pushes the write-ahead log past 1,000
pages: that one request copies the log into the database file and fsyncs it (with
`synchronous=NORMAL`, the checkpoint is where the fsync happens), while it still holds the
writer queue (`sqlite_writers`), so every writer of every worker waits behind a disk flush.
Under a burst of evaluation writes that is several times a second.

`start_checkpointer` turns the automatic checkpoint off on the engine's connections and runs
a PASSIVE checkpoint from a daemon thread instead, every `interval` seconds while the log has
grown. A PASSIVE checkpoint takes no writer lock and waits for no reader, so requests never
wait for it. Committed transactions are in the log either way: moving the checkpoint changes
when pages reach the database file, not what a commit guarantees (see `service.db`).
Only `kinerja serve` starts it (after fork, in each worker); the CLI and the tests keep
SQLite's default.

A PASSIVE checkpoint cannot copy frames newer than the oldest reader's snapshot, and the log
only starts again from its beginning when a writer finds it copied completely. Under a
steady stream of audited reads (a write each, readers always in flight) that never happens:
the log grew 17 MB/s, without bound. So once the log holds more than `wal_limit` bytes of
frames, the thread runs a second PASSIVE checkpoint (copying what was written during the
first, 10-40 ms of writes), then takes the writer queue (our writers then wait there, not in
SQLite's sleeping busy handler) and runs a RESTART checkpoint: it copies and syncs the few
frames written since, waits up to `RESTART_WAIT_MS` for the readers still on the log, and the
next writer starts the log again from its beginning, overwriting the file in place.

Not TRUNCATE, which also cuts the file to nothing while it holds the queue: cutting 64-128 MB
of log took 18-30 ms of its 26-50 ms (strace of the checkpointer under bench/serving.py's
audited reads), each writer of both workers waited behind it, every second or two, and the
log then grew its file anew block by block. The file now stays at about `wal_limit` plus one
interval's writes.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import event

from service.db.sqlite_writers import WriterLock
from service.db.sqlite_writers import lock_path

INTERVAL_S = 1.0
#: The log's content beyond which it starts again (SQLite's own threshold: 1,000 pages, 4 MB).
WAL_LIMIT_BYTES = 64 * 1024 * 1024
#: How long a RESTART checkpoint waits for readers (ours take about a millisecond).
RESTART_WAIT_MS = 500
#: A log frame's header, before its page (SQLite's file format).
_FRAME_HEADER = 24
_LOG = logging.getLogger(__name__)


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def start_checkpointer(
    engine: Engine, interval: float = INTERVAL_S, wal_limit: int = WAL_LIMIT_BYTES
) -> threading.Thread | None:
    """Checkpoint `engine`'s SQLite file from a background thread; None for other databases."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        return None
    event.listen(engine, "connect", _no_autocheckpoint)
    engine.dispose()  # connections opened before (none, normally) keep the default
    thread = threading.Thread(
        target=_run, args=(path, interval, wal_limit), name="kinerja-wal-checkpoint", daemon=True
    )
    thread.start()
    return thread


def _run(path: str, interval: float, wal_limit: int) -> None:
    wait = RESTART_WAIT_MS / 1000  # only RESTART waits (for readers): PASSIVE never does
    connection = sqlite3.connect(path, timeout=wait, isolation_level=None, check_same_thread=False)
    writers = WriterLock(lock_path(path), wait)
    frame_size = connection.execute("PRAGMA page_size").fetchone()[0] + _FRAME_HEADER
    last_stamp = -1
    stop = threading.Event()
    while not stop.wait(interval):
        stamp = _wal_stamp(path)
        if stamp == last_stamp:
            continue  # nothing written since the last checkpoint
        if _checkpoint(connection) * frame_size > wal_limit:
            _checkpoint(connection)  # what was written meanwhile: the queue is held for less
            _restart(connection, writers)
        last_stamp = _wal_stamp(path)


def _checkpoint(connection: sqlite3.Connection) -> int:
    """Run a PASSIVE checkpoint; return the frames the log holds (-1 if another worker
    checkpoints now: next time)."""
    try:
        _busy, frames, _copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    except sqlite3.Error as error:
        _LOG.debug("WAL checkpoint skipped: %s", error)
        return -1
    return int(frames)


def _restart(connection: sqlite3.Connection, writers: WriterLock) -> None:
    """Copy the rest of the log and have the next writer start it again, holding the writer
    queue; given up (next time) if either waits long or another worker checkpoints now."""
    try:
        writers.acquire()
    except sqlite3.OperationalError as error:
        _LOG.debug("WAL restart skipped: %s", error)
        return
    try:
        busy = connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()[0]
        if busy:
            _LOG.debug("WAL restart waited too long for readers: next time")
    except sqlite3.Error as error:
        _LOG.debug("WAL restart skipped: %s", error)
    finally:
        writers.release()


def _wal_stamp(path: str) -> int:
    """The log's modification time: it changes with every commit."""
    try:
        return os.stat(f"{path}-wal").st_mtime_ns
    except OSError:
        return 0
