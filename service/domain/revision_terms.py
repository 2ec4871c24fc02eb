"""Terms of an evaluation's revisions (the versions a change replaced), shared by the model
and the rules."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

#: The day revisions were first kept (migration 0023): an evaluation changed before it has
#: no revision of those changes, so its first-given values are not known.
KEPT_SINCE = date(2026, 12, 7)


class RevisionCause(StrEnum):
    """What replaced a version of an evaluation: the rater's correction, or the decision
    upholding an objection (*keberatan*). The file import only adds evaluations."""

    CORRECTION = "correction"
    OBJECTION = "objection"
