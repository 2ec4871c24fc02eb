"""Signatures on an evaluation sheet, with a digest that proves later what was signed.

The rater signs the evaluation they gave and the evaluated employee acknowledges receiving
it (agreeing is not implied: disagreement is an objection). Each signature keeps the
evaluation's version and the SHA-256 digest of the sheet's content at that moment
(`sheet_digest`: the evaluation's ratings, predikat, rater and feedback, the SKP of its
year with every RHK and indicator, and the realisations inside the evaluated period).
Reading the signatures recomputes the digest: a signature is `intact` while the sheet
still holds what was signed. Realisations of an evaluated period are refused and evaluations
change only through the rater's correction or an upheld objection (which move the version),
so a signature stops being intact when the evaluation was revised (sign the new version
again) or when the records were altered behind the application's back, which is what
peers.md 8.8 asks a system to show: evidence frozen at signature, and proof later that it
was not altered.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from service.db.models import BEHAVIOR_COLUMNS
from service.db.models import EvaluationSignature
from service.db.repositories import evaluation_sheet as sheet_repo
from service.db.repositories import evaluation_signatures as repo
from service.domain.audit import Actor
from service.domain.audit import AuditAction
from service.domain.audit import record
from service.domain.errors import Conflict
from service.domain.errors import Forbidden
from service.domain.evaluation_sheet import EvaluationSheet
from service.domain.evaluation_sheet import evaluation_sheet
from service.domain.signature_terms import SignerRole

RESOURCE = "evaluation_signature"
DIGEST = "sha256"
_EVALUATION_FIELDS = (
    "id", "employee_id", "period", "kind", "work_result_rating", "behavior_rating",
    *BEHAVIOR_COLUMNS.values(), "predikat", "predikat_source", "rater_id", "feedback", "version",
)  # fmt: skip


@dataclass(frozen=True)
class SignatureView:
    signature: EvaluationSignature
    signer_name: str
    intact: bool  # the sheet still holds what was signed


@dataclass(frozen=True)
class Signatures:
    evaluation_id: int
    evaluation_version: int
    digest: str  # of the sheet as it stands
    items: list[SignatureView]
    can_sign: SignerRole | None  # the role in which the caller may sign now, if any


def sign_evaluation(session: Session, actor: Actor, evaluation_id: int) -> SignatureView:
    """Sign the evaluation's current version as its rater or as the evaluated employee
    (403 for anyone else; 409 when already signed in that role for this version)."""
    sheet = evaluation_sheet(session, actor, evaluation_id)
    role = signer_role(actor, sheet)
    if role is None:
        raise Forbidden("only the evaluation's rater or the evaluated employee signs it")
    version = int(sheet.evaluation.version)
    if any(
        s.role is role and s.evaluation_version == version
        for s in repo.signatures_of(session, evaluation_id)
    ):
        raise Conflict(f"version {version} of evaluation {evaluation_id} is signed already")
    signature = repo.add_signature(
        session,
        EvaluationSignature(
            evaluation_id=evaluation_id,
            role=role,
            signer_id=actor.employee_id,
            evaluation_version=version,
            digest=sheet_digest(sheet),
        ),
    )
    record(
        session, actor, AuditAction.CREATE, RESOURCE,
        employee_id=sheet.evaluation.employee_id, resource_id=signature.id,
    )  # fmt: skip
    return SignatureView(signature, _name(session, signature.signer_id), intact=True)


def evaluation_signatures(session: Session, actor: Actor, evaluation_id: int) -> Signatures:
    """The evaluation's signatures, each checked against the sheet as it stands now, for
    whoever may read the evaluation (the read is audited as the evaluation read is)."""
    return sheet_signatures(session, actor, evaluation_sheet(session, actor, evaluation_id))


def signer_role(actor: Actor, sheet: EvaluationSheet) -> SignerRole | None:
    """The role in which `actor` signs this sheet: its rater, or the evaluated employee."""
    if actor.employee_id is None:
        return None
    if actor.employee_id == sheet.evaluation.employee_id:
        return SignerRole.EMPLOYEE
    if actor.employee_id == sheet.evaluation.rater_id:
        return SignerRole.RATER
    return None


def sheet_digest(sheet: EvaluationSheet) -> str:
    """SHA-256 (hex) of the sheet's content in a canonical JSON form (sorted keys, no
    spaces): what a signature vouches for. Names and the unit's distribution are left out:
    they describe people and a unit, not this evaluation, and may change without it."""
    content = json.dumps(sheet_content(sheet), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def sheet_content(sheet: EvaluationSheet) -> dict[str, Any]:
    evaluation = {name: _plain(getattr(sheet.evaluation, name)) for name in _EVALUATION_FIELDS}
    plan = None
    if sheet.plan is not None:
        plan = {
            "id": sheet.plan.id,
            "year": sheet.plan.year,
            "position_id": sheet.plan.position_id,
            "rhks": [
                {
                    "id": item.rhk.id,
                    "kind": _plain(item.rhk.kind),
                    "description": item.rhk.description,
                    "indicators": [_indicator(line) for line in item.indicators],
                }
                for item in sheet.lines
            ],
        }
    return {"digest": DIGEST, "evaluation": evaluation, "plan": plan}


def _indicator(line: Any) -> dict[str, Any]:
    i = line.indicator
    return {
        "id": i.id,
        "aspect": _plain(i.aspect),
        "description": i.description,
        "target": [i.target_value, i.target_unit, i.target_text],
        "realised": [[period, value] for period, value in line.realised],
    }


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def sheet_signatures(session: Session, actor: Actor, sheet: EvaluationSheet) -> Signatures:
    """The signatures of a sheet already read, each checked against it."""
    digest = sheet_digest(sheet)
    version = int(sheet.evaluation.version)
    found = repo.signatures_of(session, sheet.evaluation.id)
    items = [SignatureView(s, _name(session, s.signer_id), s.digest == digest) for s in found]
    role = signer_role(actor, sheet)
    signed = any(s.role is role and s.evaluation_version == version for s in found)
    return Signatures(sheet.evaluation.id, version, digest, items, None if signed else role)


def _name(session: Session, employee_id: int) -> str:
    row = sheet_repo.signatory_row(session, employee_id)
    return row.name if row is not None else ""
