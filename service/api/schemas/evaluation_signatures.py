"""Signatures on an evaluation's sheet, each checked against the sheet as it stands."""

from __future__ import annotations

from pydantic import Field

from service.api.schemas.common import Moment
from service.api.schemas.common import Out
from service.domain.evaluation_signatures import Signatures
from service.domain.evaluation_signatures import SignatureView
from service.domain.signature_terms import SignerRole


class SignatureOut(Out):
    id: int
    role: SignerRole
    signer_id: int
    signer_name: str
    evaluation_version: int = Field(description="the version of the evaluation signed")
    digest: str = Field(description="SHA-256 (hex) of the sheet's content when signed")
    signed_at: Moment
    intact: bool = Field(description="whether the sheet still holds what was signed")


class SignaturesOut(Out):
    evaluation_id: int
    evaluation_version: int
    digest: str = Field(description="SHA-256 (hex) of the sheet's content as it stands")
    can_sign: SignerRole | None = Field(
        description="the role in which you may sign this version now (null: you may not, "
        "or you have)"
    )
    items: list[SignatureOut]


def signatures_out(found: Signatures) -> SignaturesOut:
    return SignaturesOut(
        evaluation_id=found.evaluation_id,
        evaluation_version=found.evaluation_version,
        digest=found.digest,
        can_sign=found.can_sign,
        items=[signature_out(item) for item in found.items],
    )


def signature_out(item: SignatureView) -> SignatureOut:
    s = item.signature
    return SignatureOut(
        id=s.id,
        role=s.role,
        signer_id=s.signer_id,
        signer_name=item.signer_name,
        evaluation_version=s.evaluation_version,
        digest=s.digest,
        signed_at=s.signed_at,
        intact=item.intact,
    )
