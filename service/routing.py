"""URL path segments shared by the API and the pages.

Ids are bounded by the converter so a huge number is a 404, never a database overflow
(the id columns are 32-bit on PostgreSQL).
"""

from __future__ import annotations

MAX_ID = 2_147_483_647


def id_segment(name: str) -> str:
    """The Flask rule segment of a database id path parameter called `name`."""
    return f"<int(max={MAX_ID}):{name}>"
