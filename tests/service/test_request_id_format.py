"""New request ids are uuid4 hex strings, as `uuid.uuid4().hex` writes them."""

from __future__ import annotations

import uuid

from service.ops.request_id import new_request_id
from service.ops.request_id import request_id_from


def test_new_ids_are_random_uuid4_hex() -> None:
    ids = [new_request_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for value in ids:
        parsed = uuid.UUID(hex=value)
        assert parsed.hex == value
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    # every other bit varies: 122 random bits, as uuid4's
    ored = 0
    anded = (1 << 128) - 1
    for value in ids:
        ored |= int(value, 16)
        anded &= int(value, 16)
    fixed = (0xF000 << 64) | (0xC000 << 48)
    assert ored | fixed == (1 << 128) - 1
    assert anded & ~fixed == 0


def test_an_insane_or_missing_id_gets_a_new_one() -> None:
    for given in (None, "", "a b", "x" * 65):
        assert uuid.UUID(hex=request_id_from(given)).version == 4
    assert request_id_from("abc-1.2_3") == "abc-1.2_3"
