"""Languages of the pages: Bahasa Indonesia by default, English by a switch kept in a cookie.

Texts are Flask-Babel (gettext) messages written in English in the code and the templates;
`translations/id/LC_MESSAGES/messages.po` holds the Indonesian. The `.po` file is the source;
the compiled `.mo` is committed beside it (so a read-only install has it), and
`compile_catalogs` rebuilds a missing or stale one when the app starts (atomically, so
pre-fork workers never read half a file). Texts that the domain already gives in both
languages (risk drivers `label`/`label_en`, recommendation `reason`/`reason_en`, coaching
texts, competency names) are picked by `localized`, so there is one source for each text.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask import request
from flask_babel import Babel
from flask_babel import format_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from service.domain.competency import JpmCategory
from service.domain.entities import BerakhlakValue
from service.domain.entities import OrganisationGrade
from service.domain.entities import Predikat
from service.domain.entities import Rating
from service.domain.entities import Role
from service.domain.entities import SkpStatus
from service.domain.objection_terms import ObjectionStatus

log = logging.getLogger(__name__)
LANGUAGES: dict[str, str] = {"id": "Bahasa Indonesia", "en": "English"}
DEFAULT_LANGUAGE = "id"
LANGUAGE_COOKIE = "kinerja_lang"
TRANSLATIONS_DIR = Path(__file__).parent / "translations"

PREDIKAT_LABELS: Mapping[Predikat, Any] = {
    Predikat.SANGAT_BAIK: _l("Excellent"),
    Predikat.BAIK: _l("Good"),
    Predikat.BUTUH_PERBAIKAN: _l("Needs improvement"),
    Predikat.KURANG: _l("Poor/Misconduct"),
    Predikat.SANGAT_KURANG: _l("Very poor"),
}
RATING_LABELS: Mapping[Rating, Any] = {
    Rating.DI_ATAS_EKSPEKTASI: _l("Above expectations"),
    Rating.SESUAI_EKSPEKTASI: _l("Meets expectations"),
    Rating.DI_BAWAH_EKSPEKTASI: _l("Below expectations"),
}
VALUE_LABELS: Mapping[BerakhlakValue, Any] = {
    BerakhlakValue.BERORIENTASI_PELAYANAN: _l("Service-oriented"),
    BerakhlakValue.AKUNTABEL: _l("Accountable"),
    BerakhlakValue.KOMPETEN: _l("Competent"),
    BerakhlakValue.HARMONIS: _l("Harmonious"),
    BerakhlakValue.LOYAL: _l("Loyal"),
    BerakhlakValue.ADAPTIF: _l("Adaptive"),
    BerakhlakValue.KOLABORATIF: _l("Collaborative"),
}

#: The other organisation grades share their names (and values) with the predikat.
GRADE_LABELS: Mapping[OrganisationGrade, Any] = {OrganisationGrade.ISTIMEWA: _l("Outstanding")}
JPM_LABELS: Mapping[JpmCategory, Any] = {
    JpmCategory.OPTIMAL: _l("optimal"),
    JpmCategory.CUKUP_OPTIMAL: _l("fairly optimal"),
    JpmCategory.KURANG_OPTIMAL: _l("less than optimal"),
}
#: Status of a retrain job (`db.models.JOB_STATUSES`).
JOB_LABELS: Mapping[str, Any] = {
    "queued": _l("queued"),
    "running": _l("running"),
    "succeeded": _l("succeeded"),
    "failed": _l("failed"),
}
SKP_STATUS_LABELS: Mapping[SkpStatus, Any] = {
    SkpStatus.DRAFT: _l("draft"),
    SkpStatus.DIAJUKAN: _l("submitted"),
    SkpStatus.DITETAPKAN: _l("approved"),
    SkpStatus.DIBATALKAN: _l("cancelled"),
}
OBJECTION_LABELS: Mapping[ObjectionStatus, Any] = {
    ObjectionStatus.PENDING: _l("pending"),
    ObjectionStatus.UPHELD: _l("upheld"),
    ObjectionStatus.REJECTED: _l("rejected"),
    ObjectionStatus.WITHDRAWN: _l("withdrawn"),
}
ROLE_LABELS: Mapping[Role, Any] = {
    Role.ADMIN: _l("administrator"),
    Role.HR: _l("HR development"),
    Role.SUPERVISOR: _l("supervisor"),
    Role.EMPLOYEE: _l("employee"),
    Role.DATA: _l("data team"),
}

_LABEL_TABLES = (
    PREDIKAT_LABELS,
    GRADE_LABELS,
    RATING_LABELS,
    VALUE_LABELS,
    JPM_LABELS,
    ROLE_LABELS,
    SKP_STATUS_LABELS,
    OBJECTION_LABELS,
)


def select_language() -> str:
    """Return the language of this request: the cookie's choice, else Indonesian."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def current_language() -> str:
    """Return the code of this request's language (`id` or `en`)."""
    return str(get_locale() or DEFAULT_LANGUAGE)


def is_english() -> bool:
    """Whether this request's pages are in English."""
    return current_language() == "en"


def localized(item: Any, key: str) -> Any:
    """Return `item[key]`, or `item[key + "_en"]` in English when the domain gives one.

    Works on mappings (JSON answers) and on objects (dataclasses) alike.
    """
    english_key = f"{key}_en"
    if isinstance(item, Mapping):
        english, native = item.get(english_key), item.get(key)
    else:
        english, native = getattr(item, english_key, None), getattr(item, key, None)
    return english if is_english() and english else native


def label(value: Any) -> str:
    """Return the translated label of a predikat, grade, rating, value, JPM category, role,
    SKP status or objection status."""
    for labels in _LABEL_TABLES:
        if value in labels:
            return str(labels[value])
    return "" if value is None else str(value)


def number(value: float | None, digits: int = 2) -> str:
    """Format a number in this language (decimal comma in Indonesian); '' for None."""
    if value is None:
        return ""
    return str(format_decimal(value, format="#,##0." + "#" * digits))


def tick(value: float) -> str:
    """A chart's tick as the language writes numbers: whole ones bare, others with one
    decimal (0,2 in Indonesian), like the tables beside the charts."""
    return number(value, 1)


def compile_catalogs(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile every `.po` under `directory` whose `.mo` is missing or older; return those."""
    built = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            _write_mo(po_path, mo_path)
        except OSError as exc:  # a read-only install: keep the shipped .mo (or English)
            log.warning("cannot compile %s (%s); using the catalogue as installed", po_path, exc)
            continue
        built.append(mo_path)
    return built


def _write_mo(po_path: Path, mo_path: Path) -> None:
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=po_path.parents[1].name)
    descriptor, staged = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
    with os.fdopen(descriptor, "wb") as handle:
        write_mo(handle, catalog)
    os.chmod(staged, 0o644)  # readable by the service's user whoever compiled it
    os.replace(staged, mo_path)


def init_app(app: Flask) -> None:
    """Set up Flask-Babel with the cookie's language, compiling the catalogues first."""
    compile_catalogs()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")
    Babel(
        app,
        locale_selector=select_language,
        default_translation_directories=str(TRANSLATIONS_DIR),
    )
    app.jinja_env.filters["number"] = number
    app.jinja_env.globals.update(
        label=label,
        role_label=label,
        localized=localized,
        current_lang=current_language,
        LANGUAGES=LANGUAGES,
    )
