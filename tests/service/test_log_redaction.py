"""Log lines carry no row values from database errors (NIP, names), on both databases."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db import make_engine
from service.ops.logging import JsonFormatter
from tests.factories import make_employee
from tests.factories import make_unit

NAME = "Ratna Kusumawardani"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _duplicate_nip(engine: Engine) -> tuple[IntegrityError, str]:
    """A real unique violation: a second employee with the first one's NIP."""
    with Session(engine) as session:
        unit = make_unit(session)
        first = make_employee(session, unit_id=unit.id)
        session.commit()
        nip = first.nip
        with pytest.raises(IntegrityError) as raised:
            make_employee(session, unit_id=unit.id, nip=nip, name=NAME)
        session.rollback()
    return raised.value, nip


def _line(record: logging.LogRecord) -> str:
    return JsonFormatter().format(record)


def test_a_logged_integrity_error_holds_no_row_values(engine: Engine) -> None:
    """As the API's 409 handler logs `exc.orig` and its 500 handler the whole exception:
    PostgreSQL's DETAIL line names the key's value (`Key (nip)=(...)`), and SQLAlchemy's
    message lists the statement's parameters (the row's name, NIP, dates)."""
    error, nip = _duplicate_nip(engine)
    logger = logging.getLogger("kinerja.test")
    as_message = logger.makeRecord(
        logger.name, logging.INFO, __file__, 1, "integrity error: %s", (error.orig,), None
    )
    as_exception = logger.makeRecord(
        logger.name, logging.ERROR, __file__, 1, "unhandled", (), (type(error), error, None)
    )

    lines = [_line(as_message), _line(as_exception)]

    for line in lines:
        assert nip not in line and NAME not in line, line
    entry = json.loads(lines[1])
    assert "IntegrityError" in entry["exception"]  # the error itself is still there
    assert "[parameters hidden]" in entry["exception"]


def test_ordinary_messages_are_left_alone() -> None:
    record = logging.LogRecord("kinerja.x", logging.INFO, __file__, 1, "DETAILS: %s", ("x",), None)

    assert json.loads(_line(record))["message"] == "DETAILS: x"
