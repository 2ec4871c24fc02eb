"""Timestamps as stored: always UTC, though SQLite hands them back without their zone."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime


def as_utc(moment: datetime) -> datetime:
    """`moment` with its zone: a naive stored timestamp is UTC (SQLite drops the offset)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
