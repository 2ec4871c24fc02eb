"""The served training recommender: the champion's gain model, or the rule when none is served.

The model provider holds a `ModelSource` for `kinerja-recommender` beside the risk model's, so
both are loaded the same way (checksum, allow-list, hot swap) and both show in `/readyz`.
"""

from __future__ import annotations

from typing import Any

from service.domain.ranking import GainModel
from service.domain.recommendations import RULE_MODEL
from service.domain.recommendations import ModelRef

RECOMMENDER_MODEL_NAME = "kinerja-recommender"
#: app.extensions key of a recommender source that replaces the provider's (tests use it).
SOURCE_KEY = "recommender_source"


def gains_of(source: Any) -> tuple[GainModel | None, ModelRef]:
    """The gains and reference of what `source` serves now, or (None, the rule's reference)."""
    loaded = source.current()
    if loaded is None:
        return None, RULE_MODEL
    return loaded.pipeline, ModelRef(loaded.name, str(loaded.version), False)
