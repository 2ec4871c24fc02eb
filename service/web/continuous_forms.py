"""Read the activity-log and dialogue forms of the pages into the API's inputs.

Each form is checked by the API's own schema (`ActivityIn`, `ActivityPatch`, `DialogueIn`),
so a page accepts and refuses exactly what the API does; refused fields come back as
`Invalid` with the API's field names, and `messages` words them for the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import TypeVar

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel
from pydantic import ValidationError
from werkzeug.datastructures import MultiDict

from service.api.schemas.continuous import AcknowledgeIn
from service.api.schemas.continuous import ActivityIn
from service.api.schemas.continuous import ActivityPatch
from service.api.schemas.continuous import DialogueIn
from service.domain.errors import FieldError
from service.domain.errors import Invalid
from service.web.forms import FIELD_HELP
from service.web.forms import field_messages

M = TypeVar("M", bound=BaseModel)
TEXT_MAX_CHARS = 5000
#: Rows for new agreed actions on the dialogue form.
ACTION_ROWS = 3
ACTIVITY_FIELDS = ("activity_date", "description", "rhk_id", "evidence_url")
HELP: Mapping[str, Any] = {
    "activity_date": _l("Give a day that is today or earlier."),
    "description": _l("Write what you did, in 1 to 2,000 characters."),
    "rhk_id": _l("Choose a work result (RHK) of your SKP of that year, or none."),
    "evidence_url": _l("Give a web address starting with http:// or https://, or nothing."),
    "held_on": _l("Give the day of the dialogue: today or earlier."),
    "kind": _l("Choose the kind of conversation."),
    "topics": _l("Write the topics, in 1 to 5,000 characters."),
    "follow_up_on": _l("Give a follow-up day on or after the dialogue, or nothing."),
    "coaching_action": _l("Choose a suggestion of the coaching catalogue, or none."),
    "actions": _l("Write each agreed action in 1 to 2,000 characters; a due day is optional."),
    "reviews": _l("Say for each earlier action whether it was done."),
    "comment": _l("Write a comment of at most 5,000 characters, or none."),
}


def checked(model: type[M], raw: Mapping[str, Any]) -> M:
    """Validate `raw` with the API schema `model`; Invalid names every refused field."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = [
            FieldError(".".join(str(part) for part in error["loc"]) or "form", error["msg"])
            for error in exc.errors()
        ]
        raise Invalid(errors=errors) from None


def messages(exc: Invalid) -> dict[str, str]:
    """Each refused field's message in the user's language (the API's otherwise)."""
    return field_messages(exc, {**FIELD_HELP, **HELP})


def activity_fields(form: MultiDict[str, str]) -> dict[str, Any]:
    """The new-entry form as the keyword arguments of `record_activity`."""
    raw = {k: v for k, v in _activity_raw(form).items() if v is not None}
    return checked(ActivityIn, raw).model_dump()


def acknowledgement_comment(form: MultiDict[str, str]) -> str | None:
    """The acknowledge form's optional comment, checked by the API's `AcknowledgeIn`."""
    raw = {"comment": _optional(form, "comment")}
    return checked(AcknowledgeIn, raw).comment


def activity_changes(form: MultiDict[str, str]) -> dict[str, Any]:
    """The edit form as the changes of `update_activity` (an empty field clears it)."""
    return checked(ActivityPatch, _activity_raw(form)).model_dump()


def dialogue_fields(form: MultiDict[str, str]) -> dict[str, Any]:
    """The dialogue form as the keyword arguments of `record_dialogue`."""
    actions = []
    for row in range(1, ACTION_ROWS + 1):
        description = form.get(f"action_{row}", "").strip()
        if description:
            due = form.get(f"action_{row}_due", "").strip()
            actions.append(
                {"description": description[: TEXT_MAX_CHARS + 1], "due_on": due or None}
            )
    reviews = [
        {"action_id": int(key.removeprefix("review_")), "done": value == "done"}
        for key, value in form.items()
        if key.startswith("review_")
        and key.removeprefix("review_").isdecimal()
        and len(key) < 20
        and value in ("done", "not_done")
    ]
    raw = {
        "held_on": form.get("held_on", "").strip(),
        "kind": form.get("kind", ""),
        "topics": form.get("topics", "")[: TEXT_MAX_CHARS + 1],
        "notes": _optional(form, "notes"),
        "coaching_action": _optional(form, "coaching_action"),
        "follow_up_on": _optional(form, "follow_up_on"),
        "actions": actions,
        "reviews": reviews,
    }
    return checked(DialogueIn, raw).arguments()


def _activity_raw(form: MultiDict[str, str]) -> dict[str, Any]:
    rhk = form.get("rhk_id", "").strip()
    return {
        "activity_date": form.get("activity_date", "").strip(),
        "description": form.get("description", "")[: TEXT_MAX_CHARS + 1],
        "rhk_id": (int(rhk) if rhk.isdecimal() and len(rhk) < 11 else rhk) or None,
        "evidence_url": _optional(form, "evidence_url"),
    }


def _optional(form: MultiDict[str, str], name: str) -> str | None:
    return form.get(name, "").strip()[: TEXT_MAX_CHARS + 1] or None
