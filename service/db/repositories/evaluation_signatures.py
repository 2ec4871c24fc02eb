"""Signatures of evaluation sheets: stored once, never changed."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import EvaluationSignature


def signatures_of(session: Session, evaluation_id: int) -> Sequence[EvaluationSignature]:
    """The evaluation's signatures, oldest first."""
    query = (
        select(EvaluationSignature)
        .where(EvaluationSignature.evaluation_id == evaluation_id)
        .order_by(EvaluationSignature.id)
    )
    return session.scalars(query).all()


def add_signature(session: Session, signature: EvaluationSignature) -> EvaluationSignature:
    session.add(signature)
    session.flush()
    return signature
