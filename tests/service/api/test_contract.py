"""../shared/API.md, clause by clause, against the app as a client sees it (black box).

Each test names the clause it checks. The tests share one database per backend (SQLite,
and PostgreSQL when reachable) and write only rows of their own (serial numbers from
`contract_cases.serial`), so they hold in any order. The tables are in `contract_cases.py`.
"""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook

from service.cli import main as kinerja_cli
from tests.factories import make_employee
from tests.factories import make_evaluation
from tests.factories import make_nip
from tests.service.api.contract_cases import BERAKHLAK
from tests.service.api.contract_cases import CREATES
from tests.service.api.contract_cases import ENDPOINTS
from tests.service.api.contract_cases import ENROLMENT_STATUSES
from tests.service.api.contract_cases import LISTS
from tests.service.api.contract_cases import MATRIX
from tests.service.api.contract_cases import POSITION_KINDS
from tests.service.api.contract_cases import PREDIKATS
from tests.service.api.contract_cases import RATINGS
from tests.service.api.contract_cases import assert_invalid
from tests.service.api.contract_cases import assert_problem
from tests.service.api.contract_cases import month
from tests.service.api.contract_cases import serial
from tests.service.api.world import PASSWORD
from tests.service.api.world import World

MIB = 1024 * 1024
IMPORT = "/api/v1/imports/evaluations"
PUBLIC = {"/api/v1/auth/token", "/api/v1/openapi.json", "/api/v1/docs"}


def _rule_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: `<int(max=9):employee_id>` -> `{employee_id}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _concrete(rule: str) -> str:
    """A request path for a Flask rule: every parameter filled with a plausible value."""
    filled = re.sub(r"<int[^>]*>", "1", rule)
    filled = re.sub(r"<path:[^>]+>", "x.js", filled)
    return re.sub(
        r"<(?:[^:<>]+:)?period>", "2025", re.sub(r"<(?:string[^:]*:)?code>", "X", filled)
    )


@pytest.fixture
def api(shared_client: FlaskClient, shared_world: World) -> Iterator[tuple[FlaskClient, World]]:
    yield shared_client, shared_world


def _post(client: FlaskClient, world: World, role: str, path: str, body: Any, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(path, json=body, headers=world.headers(role) | headers)


def _create(client: FlaskClient, world: World, name: str, **headers: str):  # type: ignore[no-untyped-def]
    case = CREATES[name]
    body = case.body(client, world, serial())
    return _post(client, world, case.role, case.path(world), body, **headers), body


def _total(client: FlaskClient, world: World, role: str, path: str) -> int:
    response = client.get(path, headers=world.headers(role))
    assert response.status_code == 200, response.get_data(as_text=True)
    return int(response.json["total"])


# --- Endpoints that must exist ----------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=lambda v: str(v))
def test_every_endpoint_in_the_table_exists(shared_app: Flask, method: str, path: str) -> None:
    """API.md "Endpoints that must exist": each method and path is routed."""
    wanted = "/api/v1" + path
    routed = {
        (verb, _rule_path(rule.rule))
        for rule in shared_app.url_map.iter_rules()
        for verb in rule.methods or ()
    }
    assert (method, wanted) in routed


def test_health_probes_live_outside_the_api(api: tuple[FlaskClient, World]) -> None:
    """API.md: GET /healthz (liveness) and GET /readyz (database and model status), no
    /api/v1 prefix, for anyone."""
    client, _world = api
    live = client.get("/healthz")
    assert live.status_code == 200 and live.is_json
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.is_json
    assert {"database", "models"} <= set(ready.json)
    assert ready.json["database"]["ok"] is True
    served = ready.json["models"]["models"]
    assert {"kinerja-risk", "kinerja-recommender"} <= set(served)
    for status in served.values():
        assert isinstance(status["fallback"], bool) and "version" in status


def test_openapi_document_describes_every_endpoint_in_the_table(
    api: tuple[FlaskClient, World],
) -> None:
    """API.md: `GET /api/v1/openapi.json` (anyone) is an OpenAPI 3 document describing every
    endpoint, including the table's and the health probes."""
    client, _world = api
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json
    assert doc["openapi"].startswith("3.")
    documented = {(m.upper(), p) for p, operations in doc["paths"].items() for m in operations}
    missing = [
        (method, "/api/v1" + path)
        for method, path in ENDPOINTS
        if (method, "/api/v1" + path) not in documented
    ]
    assert missing == []
    assert {("GET", "/healthz"), ("GET", "/readyz")} <= documented


# --- Auth -----------------------------------------------------------------------------


def test_token_for_username_and_password(api: tuple[FlaskClient, World]) -> None:
    """API.md Conventions: POST /auth/token -> {"access_token", "token_type": "Bearer",
    "expires_in"}; the token opens the API; bad credentials are 401."""
    client, _world = api
    answer = client.post(
        "/api/v1/auth/token", json={"username": "user-employee", "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.json
    assert body["token_type"] == "Bearer"
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    me = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/api/v1/competencies", headers=me).status_code == 200
    wrong = client.post(
        "/api/v1/auth/token", json={"username": "user-employee", "password": "wrong password"}
    )
    assert_problem(wrong, 401)


def test_every_api_route_is_401_without_a_token(
    shared_app: Flask, shared_client: FlaskClient
) -> None:
    """API.md Conventions: every /api/v1 call but the token (and the public documents)
    needs `Authorization: Bearer <token>`: 401 problem+json without, or with a bad one."""
    checked = set()
    for rule in shared_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule.startswith("/api/v1/docs"):
            continue
        if rule.rule in PUBLIC:
            continue
        path = _concrete(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for headers in ({}, {"Authorization": "Bearer not-a-token"}):
                response = shared_client.open(path, method=method, headers=headers, json={})
                assert response.status_code == 401, (method, rule.rule)
                assert_problem(response, 401)
            checked.add((method, _rule_path(rule.rule)))
    public = ("/auth/token", "/openapi.json")
    assert {(m, "/api/v1" + p) for m, p in ENDPOINTS if p not in public} <= checked


# --- Creating ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", CREATES)
def test_a_create_answers_201_with_the_object_and_its_id(
    api: tuple[FlaskClient, World], name: str
) -> None:
    """API.md Creating: a POST that creates returns 201 with the object, including its `id`
    (and the fields the table names, as sent)."""
    client, world = api
    response, body = _create(client, world, name)
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.json
    assert isinstance(created["id"], int)
    for field in CREATES[name].echoed:
        assert _same(created[field], body[field]), (field, created[field], body[field])
    assert "password" not in created


def _same(answer: Any, sent: Any) -> bool:
    """`answer` carries `sent` (numbers compared as numbers; lists and maps item by item)."""
    if isinstance(sent, dict):
        return isinstance(answer, dict) and all(_same(answer.get(k), v) for k, v in sent.items())
    if isinstance(sent, list):
        if not isinstance(answer, list) or len(answer) != len(sent):
            return False
        return all(_same(a, s) for a, s in zip(answer, sent, strict=True))
    if isinstance(sent, (int, float)) and not isinstance(sent, bool):
        return isinstance(answer, (int, float)) and answer == sent
    return bool(answer == sent)


def test_every_create_in_the_document_answers_its_id(api: tuple[FlaskClient, World]) -> None:
    """API.md Creating, for every creating POST (not only the table's): the 201 answer is the
    object with its `id` (a unit's bulk drafting of SKPs: the run kept, with its count and
    who was skipped); the imports answer their count (API.md's import row)."""
    client, world = api
    doc = client.get("/api/v1/openapi.json").json
    without = []
    for path, operations in doc["paths"].items():
        answer = operations.get("post", {}).get("responses", {}).get("201")
        if answer is None or path.startswith("/api/v1/imports/"):
            continue
        ref = answer["content"]["application/json"]["schema"]["$ref"]
        if "id" not in doc["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]:
            without.append(path)
    assert without == []
    period = str(1991 + serial() % 30)  # a unit's grade per unit and year: a unit of its own
    unit = _post(client, world, "admin", "/api/v1/units", {"name": f"Unit Nilai {period}"})
    grade = _post(client, world, "admin", f"/api/v1/units/{unit.json['id']}/grades",
                  {"period": period, "grade": "baik"})  # fmt: skip
    assert grade.status_code == 201, grade.get_data(as_text=True)
    assert isinstance(grade.json["id"], int)


@pytest.mark.parametrize("name", CREATES)
def test_idempotency_key_replays_the_first_answer_and_writes_once(
    api: tuple[FlaskClient, World], name: str
) -> None:
    """API.md Creating: a retry with the same key and body returns the first answer (same
    status and body) with no second write; the same key with another body is 422 and
    writes nothing."""
    client, world = api
    case = CREATES[name]
    key = {"Idempotency-Key": f"contract-{name}-{serial()}"}
    body = case.body(client, world, serial())
    other = case.body(client, world, serial()) if name != "retrain" else {"params": {}}
    count = (
        (lambda: _total(client, world, case.role, case.listing(world))) if case.listing else None
    )
    before = count() if count else 0
    first = _post(client, world, case.role, case.path(world), body, **key)
    assert first.status_code == 201, first.get_data(as_text=True)
    retry = _post(client, world, case.role, case.path(world), body, **key)
    assert (retry.status_code, retry.get_json()) == (first.status_code, first.get_json())
    reused = _post(client, world, case.role, case.path(world), other, **key)
    assert_invalid(reused)
    if count:
        assert count() == before + 1


@pytest.mark.parametrize("name", [n for n in CREATES if n != "retrain"])
def test_an_empty_body_is_422_naming_the_fields(api: tuple[FlaskClient, World], name: str) -> None:
    """API.md Errors: validation failures are problem+json with `errors: [{"field",
    "message"}]`; a create without its required fields is bad input (422)."""
    client, world = api
    case = CREATES[name]
    assert_invalid(_post(client, world, case.role, case.path(world), {}))


def test_retrain_needs_no_body(api: tuple[FlaskClient, World]) -> None:
    """API.md: POST /models/retrain starts a retrain; nothing in the contract asks for a body,
    so a POST without one (no Content-Type) starts it as `{}` would, and the job is readable
    at GET /models/jobs/{id}. A create without a body is 422 naming its required fields (bad
    input); a body of another type stays 415."""
    client, world = api
    started = client.post("/api/v1/models/retrain", headers=world.headers("admin"))
    assert started.status_code == 201, started.get_data(as_text=True)
    job = client.get(f"/api/v1/models/jobs/{started.json['id']}", headers=world.headers("admin"))
    assert job.status_code == 200 and job.json["id"] == started.json["id"]
    assert job.json["status"] in ("queued", "running", "succeeded", "failed")
    assert_invalid(client.post("/api/v1/units", headers=world.headers("admin")), "name")
    plain = client.post(
        "/api/v1/units", data="name=x", content_type="text/plain", headers=world.headers("admin")
    )
    assert_problem(plain, 415)


# --- Lists ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", LISTS)
def test_lists_are_items_and_total_and_take_limit_1000(
    api: tuple[FlaskClient, World], name: str
) -> None:
    """API.md Lists: `?limit=&offset=`, `{"items": [...], "total": N}`, the maximum at least
    1000."""
    client, world = api
    role, path = LISTS[name]
    headers = world.headers(role)
    plain = client.get(path(world), headers=headers)
    assert plain.status_code == 200, plain.get_data(as_text=True)
    assert isinstance(plain.json["items"], list) and isinstance(plain.json["total"], int)
    assert len(plain.json["items"]) <= plain.json["total"]
    for query in ("?limit=1000", "?limit=1000&offset=0", "?limit=1&offset=1"):
        paged = client.get(path(world) + query, headers=headers)
        assert paged.status_code == 200, (query, paged.get_data(as_text=True))
        assert paged.json["total"] == plain.json["total"]
    whole = client.get(path(world) + "?limit=1000", headers=headers).json
    assert len(whole["items"]) == min(whole["total"], 1000)


def test_every_list_in_the_document_pages_with_limit_and_offset(
    api: tuple[FlaskClient, World],
) -> None:
    """API.md Lists, for every list (not only the table's): a GET answering `{"items",
    "total"}` takes `?limit=` (default at least 50, maximum at least 1000) and `?offset=`.
    (The recommendations answer `items` without `total`: their own shape, with `k`.)"""
    client, _world = api
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    unpaged = []
    for path, operations in doc["paths"].items():
        answer = operations.get("get", {}).get("responses", {}).get("200", {})
        ref = answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
        if ref is None or not {"items", "total"} <= set(
            schemas[ref.rsplit("/", 1)[1]].get("properties", {})
        ):
            continue
        query = {p["name"]: p["schema"] for p in operations["get"].get("parameters", [])
                 if p["in"] == "query"}  # fmt: skip
        limit = query.get("limit", {})
        if not (limit.get("default", 0) >= 50 and limit.get("maximum", 0) >= 1000
                and "offset" in query):  # fmt: skip
            unpaged.append(path)
    assert unpaged == []


@pytest.mark.parametrize("name", [n for n in CREATES if n in LISTS])
def test_default_limit_is_at_least_50(api: tuple[FlaskClient, World], name: str) -> None:
    """API.md Lists: the default limit is at least 50 (checked with more than 50 rows)."""
    client, world = api
    case = CREATES[name]
    listing = case.listing(world) if case.listing else ""
    missing = 51 - _total(client, world, case.role, listing)
    for _ in range(max(missing, 0)):
        response, _body = _create(client, world, name)
        assert response.status_code == 201, response.get_data(as_text=True)
    answer = client.get(listing, headers=world.headers(case.role)).json
    assert answer["total"] > 50
    assert len(answer["items"]) >= 50


# --- Editing --------------------------------------------------------------------------

EDITS = {
    "employees": ("admin", "/api/v1/employees", {"name": "Nama Baru"}),
    "units": ("admin", "/api/v1/units", {"name": "Unit Baru"}),
    "positions": ("admin", "/api/v1/positions", {"title": "Jabatan Baru"}),
    "evaluations": ("supervisor", "/api/v1/evaluations", {"feedback": "diperbaiki"}),
}


@pytest.mark.parametrize("name", EDITS)
def test_editing_needs_if_match_and_answers_the_new_etag(
    api: tuple[FlaskClient, World], name: str
) -> None:
    """API.md Editing: every editable object's GET returns an ETag; PATCH needs If-Match
    (428 without, 412 when stale) and answers 200 with the updated object and its new ETag."""
    client, world = api
    role, base, change = EDITS[name]
    created, _body = _create(client, world, name)
    assert created.status_code == 201
    path = f"{base}/{created.json['id']}"
    headers = world.headers(role)
    read = client.get(path, headers=headers)
    assert read.status_code == 200 and read.headers.get("ETag")
    tag = read.headers["ETag"]
    assert_problem(client.patch(path, json=change, headers=headers), 428)
    changed = client.patch(path, json=change, headers=headers | {"If-Match": tag})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert _same(changed.json, change) and changed.json["id"] == created.json["id"]
    new_tag = changed.headers.get("ETag")
    assert new_tag and new_tag != tag
    assert client.get(path, headers=headers).headers["ETag"] == new_tag
    stale = client.patch(path, json=change, headers=headers | {"If-Match": tag})
    assert_problem(stale, 412)


def test_a_dialogue_action_has_a_get_with_its_etag(api: tuple[FlaskClient, World]) -> None:
    """API.md Editing, for an action agreed in a dialogue (PATCH /dialogue-actions/{id}): its
    GET, for whoever sees the employee, answers the ETag the PATCH needs."""
    client, world = api
    dialogue = _post(client, world, "supervisor",
                     f"/api/v1/employees/{world.employees['E1']}/dialogues",
                     {"held_on": "2025-03-05", "topics": "target",
                      "actions": [{"description": "laporan mingguan"}]})  # fmt: skip
    assert dialogue.status_code == 201, dialogue.get_data(as_text=True)
    path = f"/api/v1/dialogue-actions/{dialogue.json['actions'][0]['id']}"
    supervisor = world.headers("supervisor")
    read = client.get(path, headers=supervisor)
    assert read.status_code == 200, read.get_data(as_text=True)
    assert read.json["description"] == "laporan mingguan" and read.headers["ETag"]
    own = client.get(path, headers=world.headers("employee"))
    assert own.status_code == 200 and own.headers["ETag"] == read.headers["ETag"]
    assert_problem(client.patch(path, json={"done": True}, headers=supervisor), 428)
    done = client.patch(path, json={"done": True},
                        headers=supervisor | {"If-Match": read.headers["ETag"]})  # fmt: skip
    assert done.status_code == 200 and done.headers["ETag"] != read.headers["ETag"]
    assert client.get(path, headers=supervisor).headers["ETag"] == done.headers["ETag"]
    stale = client.patch(path, json={"done": False},
                         headers=supervisor | {"If-Match": read.headers["ETag"]})  # fmt: skip
    assert_problem(stale, 412)
    assert_problem(client.get("/api/v1/dialogue-actions/2147483647", headers=supervisor), 404)


def test_every_patch_route_has_a_get_and_documents_428_and_412(
    shared_app: Flask, api: tuple[FlaskClient, World]
) -> None:
    """API.md Editing, for every editable object (not only the table's): the object has a
    GET (for its ETag), and the document gives PATCH its 412 and 428 answers."""
    client, _world = api
    doc = client.get("/api/v1/openapi.json").json["paths"]
    rules: dict[str, set[str]] = {}
    for rule in shared_app.url_map.iter_rules():
        rules.setdefault(rule.rule, set()).update(rule.methods or ())
    patched = [rule for rule, methods in rules.items() if "PATCH" in methods]
    assert patched
    for rule in patched:
        assert "GET" in rules[rule], rule
        answers = doc[_rule_path(rule)]["patch"]["responses"]
        assert {"200", "412", "428"} <= set(answers), rule


def test_the_document_names_the_etag_and_if_match_headers(api: tuple[FlaskClient, World]) -> None:
    """API.md Editing and "the OpenAPI document is the complete reference": for every
    editable object, the document names the ETag its GET and PATCH answer and the If-Match
    its PATCH takes."""
    client, _world = api
    paths = client.get("/api/v1/openapi.json").json["paths"]
    missing = []
    for path, operations in paths.items():
        if "patch" not in operations:
            continue
        headers = {p["name"] for p in operations["patch"].get("parameters", [])
                   if p["in"] == "header"}  # fmt: skip
        if "If-Match" not in headers:
            missing.append(("If-Match", path))
        for method in ("get", "patch"):
            if "ETag" not in operations[method]["responses"]["200"].get("headers", {}):
                missing.append((method, path))
    assert missing == []


# --- Errors: bodies over 10 MiB -------------------------------------------------------


class _Unread(io.BytesIO):
    """A request body that records whether anyone read it."""

    def __init__(self) -> None:
        super().__init__(b"{}")
        self.reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read(size)


@pytest.mark.parametrize(
    ("path", "content_type", "role"),
    [
        ("/api/v1/units", "application/json", "admin"),
        ("/api/v1/employees/{E1}/evaluations", "application/json", "supervisor"),
        (IMPORT, "multipart/form-data; boundary=x", "admin"),
        ("/api/v1/auth/token", "application/json", None),
    ],
)
def test_a_body_over_10_mib_is_413_before_it_is_read(
    api: tuple[FlaskClient, World], path: str, content_type: str, role: str | None
) -> None:
    """API.md Errors: 413 for bodies over 10 MiB, imports included, refused before parsing:
    a declared length over the limit is answered without reading the body."""
    client, world = api
    body = _Unread()
    response = client.post(
        path.format(E1=world.employees["E1"]),
        input_stream=body,
        headers=(world.headers(role) if role else {}) | {"Content-Type": content_type},
        environ_overrides={"CONTENT_LENGTH": str(10 * MIB + 1)},
    )
    assert_problem(response, 413)
    assert body.reads == 0


def _chunked(client: FlaskClient, path: str, data: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    """POST `data` as a server passes a chunked upload: no Content-Length, the stream ends
    where the body ends (`wsgi.input_terminated`, as gunicorn sets it)."""
    return client.post(
        path,
        input_stream=io.BytesIO(data),
        headers=headers | {"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


@pytest.mark.parametrize("path", ["/api/v1/units", "/api/v1/auth/token"])
def test_a_chunked_json_body_over_10_mib_is_413(api: tuple[FlaskClient, World], path: str) -> None:
    """API.md Errors: a body over 10 MiB is 413 also when it comes without a Content-Length
    (chunked): the JSON routes read the first 10 MiB and parsed them as a truncated,
    malformed body (400)."""
    client, world = api
    big = b'{"name": "' + b"a" * (10 * MIB) + b'"}'
    headers = world.headers("admin") | {"Content-Type": "application/json"}
    assert_problem(_chunked(client, path, big, headers), 413)
    exact = b'{"name": "' + b"a" * (10 * MIB - 12) + b'"}'  # the limit itself is no error
    assert_invalid(_chunked(client, "/api/v1/units", exact, headers), "name")
    small = b'{"name": "Unit Chunked"}'
    assert _chunked(client, "/api/v1/units", small, headers).status_code == 201


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_chunked_import_over_10_mib_is_413(api: tuple[FlaskClient, World]) -> None:
    """API.md Errors: imports included. (werkzeug's form parser leaves the part it was
    spooling to the garbage collector when the limit stops it: a ResourceWarning.)"""
    client, world = api
    head = b'--x\r\nContent-Disposition: form-data; name="file"; filename="e.csv"\r\n\r\n'
    data = head + b"a" * (10 * MIB) + b"\r\n--x--\r\n"
    headers = world.headers("admin") | {"Content-Type": "multipart/form-data; boundary=x"}
    assert_problem(_chunked(client, IMPORT, data, headers), 413)
    gc.collect()  # the spooled part goes here, under this test's warning filters


# --- Import ---------------------------------------------------------------------------

IMPORT_HEADER = "nip,period,work_result_rating,behavior_rating"


def _upload(client: FlaskClient, world: World, content: bytes, name: str, **headers: str):  # type: ignore[no-untyped-def]
    data = {"file": (io.BytesIO(content), name)}
    return client.post(IMPORT, data=data, headers=world.headers("hr") | headers)


def _xlsx(lines: list[str]) -> bytes:
    workbook = Workbook()
    for line in lines:
        workbook.active.append(line.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _evaluations_of(client: FlaskClient, world: World, person: str) -> int:
    return _total(client, world, "hr", f"/api/v1/employees/{world.employees[person]}/evaluations")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_import_writes_every_row_and_answers_201_with_the_count(
    api: tuple[FlaskClient, World], kind: str
) -> None:
    """API.md POST /imports/evaluations: multipart field `file`, CSV or XLSX with a header
    row (`feedback` and one column per BerAKHLAK value optional); 201 with the count."""
    client, world = api
    header = f"{IMPORT_HEADER},feedback,{','.join(BERAKHLAK)}"
    ratings = ",".join(RATINGS[i % 3] for i in range(len(BERAKHLAK)))
    lines = [header] + [
        f"{world.nips[p]},{month()},sesuai_ekspektasi,di_atas_ekspektasi,bagus,{ratings}"
        for p in ("E1", "E2")
    ]
    before = _evaluations_of(client, world, "E2")
    content = _xlsx(lines) if kind == "xlsx" else "\n".join(lines).encode()
    response = _upload(client, world, content, f"evaluations.{kind}")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["count"] == 2
    assert _evaluations_of(client, world, "E2") == before + 1


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_import_errors_name_row_field_and_message_and_write_nothing(
    api: tuple[FlaskClient, World], kind: str
) -> None:
    """API.md: all rows or none; 422 with `errors: [{"row", "field", "message"}]`, row
    numbers as in the file, the header being row 1."""
    client, world = api
    lines = [
        IMPORT_HEADER,
        f"{world.nips['E1']},{month()},sesuai_ekspektasi,sesuai_ekspektasi",
        f"{world.nips['E2']},{month()},luar_biasa,sesuai_ekspektasi",
    ]
    before = _evaluations_of(client, world, "E1")
    content = _xlsx(lines) if kind == "xlsx" else "\n".join(lines).encode()
    response = _upload(client, world, content, f"evaluations.{kind}")
    errors = assert_problem(response, 422)["errors"]
    assert errors and all({"row", "field", "message"} <= set(error) for error in errors)
    assert [(e["row"], e["field"]) for e in errors] == [(3, "work_result_rating")]
    assert _evaluations_of(client, world, "E1") == before


def test_import_without_a_required_column_is_422(api: tuple[FlaskClient, World]) -> None:
    """API.md: `nip`, `period`, `work_result_rating`, `behavior_rating` are required."""
    client, world = api
    content = f"nip,period,work_result_rating\n{world.nips['E1']},2025,baik\n".encode()
    errors = assert_problem(_upload(client, world, content, "evaluations.csv"), 422)["errors"]
    assert any(e["field"] == "behavior_rating" and e["row"] == 1 for e in errors), errors


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "evaluations.csv"),
        (f"{IMPORT_HEADER}\n".encode(), "evaluations.csv"),
        (b"PK\x03\x04not a workbook", "evaluations.xlsx"),
    ],
    ids=["empty", "header-only", "bad-xlsx"],
)
def test_every_import_error_has_row_field_and_message(
    api: tuple[FlaskClient, World], content: bytes, name: str
) -> None:
    """API.md POST /imports/evaluations: a 422 carries `errors: [{"row", "field",
    "message"}]`, also when the problem is the file rather than one of its rows (a client
    reads every error the same way; `row` may be null there)."""
    client, world = api
    errors = assert_problem(_upload(client, world, content, name), 422)["errors"]
    assert all({"row", "field", "message"} <= set(error) for error in errors), errors


# --- Enumerations ---------------------------------------------------------------------


def _enums(doc: dict[str, Any], schema: Any, seen: frozenset[str] = frozenset()) -> set[str]:
    """Every enumerated string value reachable from `schema` in the document."""
    if isinstance(schema, list):
        return set().union(*(_enums(doc, item, seen) for item in schema))
    if not isinstance(schema, dict):
        return set()
    found = {v for v in schema.get("enum", ()) if isinstance(v, str)}
    if isinstance(schema.get("const"), str):
        found.add(schema["const"])
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref not in seen:
        target: Any = doc
        for part in ref.lstrip("#/").split("/"):
            target = target[part]
        found |= _enums(doc, target, seen | {ref})
    for key, value in schema.items():
        if key not in ("enum", "const", "$ref", "examples", "default", "example"):
            found |= _enums(doc, value, seen)
    return found


def _property(doc: dict[str, Any], path: str, method: str, field: str) -> set[str]:
    operation = doc["paths"][path][method]
    if method == "get":
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    else:
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
    ref = schema.get("$ref", "")
    body = doc
    for part in ref.lstrip("#/").split("/"):
        body = body[part]
    return _enums(doc, body["properties"][field])


def test_the_document_enumerates_the_contract_values_exactly(
    api: tuple[FlaskClient, World],
) -> None:
    """API.md Enumerations: rating, predikat, BerAKHLAK values, position kind, enrolment
    status, gender, the risk status and the roles, with exactly the values written there."""
    client, _world = api
    doc = client.get("/api/v1/openapi.json").json
    evaluations = "/api/v1/employees/{employee_id}/evaluations"
    assert _property(doc, evaluations, "post", "work_result_rating") == set(RATINGS)
    assert _property(doc, evaluations, "post", "behavior_rating") == set(RATINGS)
    assert _property(doc, evaluations, "post", "behavior_ratings") == set(RATINGS) | set(BERAKHLAK)
    assert _property(doc, "/api/v1/positions", "post", "kind") == set(POSITION_KINDS)
    enrolments = "/api/v1/employees/{employee_id}/trainings"
    assert _property(doc, enrolments, "post", "status") == set(ENROLMENT_STATUSES)
    assert _property(doc, "/api/v1/employees", "post", "gender") == {"L", "P"}
    evaluation = "/api/v1/evaluations/{evaluation_id}"
    assert _property(doc, evaluation, "get", "predikat") == set(PREDIKATS)
    risk = "/api/v1/employees/{employee_id}/risk"
    assert _property(doc, risk, "get", "status") == {"ok", "insufficient_data"}
    roles = {"admin", "hr", "supervisor", "employee", "data"}
    assert _property(doc, "/api/v1/users", "post", "role") == roles


def test_predikat_follows_the_quadrant_matrix(api: tuple[FlaskClient, World]) -> None:
    """API.md: the evaluation's answer carries the computed `predikat`, one of the five
    values, following the matrix of domain.md 3.6; a second one for the period is 409."""
    client, world = api
    path = f"/api/v1/employees/{world.employees['E1']}/evaluations"
    seen = set()
    for (work, behaviour), predikat in MATRIX.items():
        body = {"period": month(), "work_result_rating": work,
                "behavior_rating": behaviour}  # fmt: skip
        answer = _post(client, world, "supervisor", path, body)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        assert answer.json["predikat"] == predikat, (work, behaviour)
        seen.add(answer.json["predikat"])
        assert_problem(_post(client, world, "supervisor", path, body), 409)
    assert seen == set(PREDIKATS)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("work_result_rating", "baik"),
        ("behavior_rating", "Sesuai Ekspektasi"),
        ("behavior_ratings", {"jujur": "sesuai_ekspektasi"}),
        ("behavior_ratings", {"loyal": "sangat_baik"}),
        ("period", "2025-Q5"),
        ("period", "2025-13"),
    ],
)
def test_values_outside_the_enumerations_are_422(
    api: tuple[FlaskClient, World], field: str, value: Any
) -> None:
    """API.md Enumerations and Conventions (periods "2025", "2025-Q1", "2025-03")."""
    client, world = api
    path = f"/api/v1/employees/{world.employees['E1']}/evaluations"
    body = {"period": month(), "work_result_rating": "sesuai_ekspektasi",
            "behavior_rating": "sesuai_ekspektasi", field: value}  # fmt: skip
    assert_invalid(_post(client, world, "supervisor", path, body), field)


def test_every_period_form_is_accepted(api: tuple[FlaskClient, World]) -> None:
    """API.md Conventions: a year, a quarter and a month are periods."""
    client, world = api
    path = f"/api/v1/employees/{world.employees['E1']}/evaluations"
    year = 1990  # a year of its own: `month()` starts at 1991
    for period in (f"{year}", f"{year}-Q2", f"{year}-03"):
        body = {"period": period, "work_result_rating": "sesuai_ekspektasi",
                "behavior_rating": "sesuai_ekspektasi"}  # fmt: skip
        answer = _post(client, world, "supervisor", path, body)
        assert answer.status_code == 201, (period, answer.get_data(as_text=True))
        assert answer.json["period"] == period


def test_competency_dictionary(api: tuple[FlaskClient, World]) -> None:
    """API.md: GET /competencies is `{"items": [{"code", "name", "group"}], "total"}` with at
    least the 8 managerial and 1 socio-cultural competencies; levels are 1-5."""
    client, world = api
    answer = client.get("/api/v1/competencies?limit=1000", headers=world.headers("employee"))
    assert answer.status_code == 200
    items = answer.json["items"]
    assert answer.json["total"] == len(items)
    assert all({"code", "name", "group"} <= set(item) for item in items)
    groups = [item["group"] for item in items]
    assert groups.count("manajerial") >= 8 and groups.count("sosial_kultural") >= 1
    path = f"/api/v1/employees/{world.employees['E1']}/competency-assessments"
    for level in (0, 6):
        body = {"assessed_on": "2025-01-02", "method": "assessment_center",
                "levels": {"M.01": level}}  # fmt: skip
        assert_invalid(_post(client, world, "hr", path, body), "levels")
    standard = {"title": "Jabatan", "kind": "pelaksana",
                "competency_standards": [{"competency": "M.01", "required_level": 6}]}  # fmt: skip
    assert_invalid(_post(client, world, "admin", "/api/v1/positions", standard),
                   "competency_standards")  # fmt: skip


def test_employee_fields(api: tuple[FlaskClient, World]) -> None:
    """API.md /employees: `nip` (18 digits, unique), `name`, `unit_id`, `position_id`
    required; `supervisor_id`, `gender` (L or P), `birth_date`, `hire_date`, `grade` (the
    golongan, such as III/c) optional."""
    client, world = api
    n = 6_000_000 + serial()
    body = {
        "nip": make_nip(n, gender="P"),
        "name": "Pegawai Lengkap",
        "unit_id": world.units["A1"],
        "position_id": world.position_id,
        "supervisor_id": world.employees["S"],
        "gender": "P",
        "grade": "III/c",
    }
    created = _post(client, world, "admin", "/api/v1/employees", body)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert _same(created.json, body)
    assert_problem(_post(client, world, "admin", "/api/v1/employees", body), 409)
    assert_invalid(
        _post(client, world, "admin", "/api/v1/employees", body | {"nip": "12345"}), "nip"
    )
    for field in ("nip", "name", "unit_id", "position_id"):
        fresh = body | {"nip": make_nip(6_000_000 + serial(), gender="P")}
        del fresh[field]
        assert_invalid(_post(client, world, "admin", "/api/v1/employees", fresh), field)
    wrong = body | {"nip": make_nip(6_000_000 + serial(), gender="P"), "gender": "X"}
    assert_invalid(_post(client, world, "admin", "/api/v1/employees", wrong), "gender")


# --- Risk, recommendations, team, training needs, models ------------------------------

RISK_FIELDS = {"employee_id", "as_of_period", "status", "probability", "flagged", "threshold",
               "drivers", "model"}  # fmt: skip


def _assert_risk(answer: dict[str, Any], employee_id: int) -> None:
    """The risk answer of API.md: fields, status values, the insufficient_data rule."""
    assert RISK_FIELDS <= set(answer), answer
    assert answer["employee_id"] == employee_id
    assert answer["status"] in ("ok", "insufficient_data")
    assert isinstance(answer["flagged"], bool)
    assert {"name", "version", "fallback"} <= set(answer["model"])
    assert isinstance(answer["model"]["fallback"], bool)
    for driver in answer["drivers"]:
        assert {"feature", "label", "value", "contribution"} <= set(driver)
    if answer["status"] == "insufficient_data":
        assert (answer["probability"], answer["flagged"]) == (None, False)
    else:
        assert 0.0 <= answer["probability"] <= 1.0
        assert isinstance(answer["as_of_period"], str)


@pytest.fixture(scope="module")
def histories(shared_app: Flask, shared_world: World) -> dict[str, int]:
    """Two of S's direct reports: `thin` with one evaluation, `poor` with four quarters,
    the last two below expectation."""
    with shared_app.extensions["db"].sessions() as session:
        people = {
            name: make_employee(
                session,
                unit_id=shared_world.units["A1"],
                position_id=shared_world.position_id,
                supervisor_id=shared_world.employees["S"],
                name=f"Pegawai {name}",
            ).id
            for name in ("thin", "poor")
        }
        make_evaluation(session, employee_id=people["thin"], period="2025-Q2")
        for i, period in enumerate(("2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2")):
            rating = "di_bawah_ekspektasi" if i >= 2 else "sesuai_ekspektasi"
            make_evaluation(
                session, employee_id=people["poor"], period=period, work_result_rating=rating
            )
        session.commit()
    return people


def test_risk_answer_shape(api: tuple[FlaskClient, World], histories: dict[str, int]) -> None:
    """API.md GET /employees/{id}/risk: the answer's fields; with `insufficient_data` the
    probability is null and flagged false; without a model the rule answers, marked
    fallback."""
    client, world = api
    answers = {}
    for name, person in histories.items():
        response = client.get(f"/api/v1/employees/{person}/risk", headers=world.headers("hr"))
        assert response.status_code == 200, response.get_data(as_text=True)
        _assert_risk(response.json, person)
        answers[name] = response.json
    assert answers["thin"]["status"] == "insufficient_data"
    poor = answers["poor"]
    assert poor["status"] == "ok" and poor["model"]["fallback"] is True
    assert poor["as_of_period"] == "2025-Q2"


def test_team_lists_direct_reports_highest_risk_first(
    api: tuple[FlaskClient, World], histories: dict[str, int]
) -> None:
    """API.md GET /teams/me: `{"items": [{"employee_id", "name", "risk", "coaching": [{"action",
    "why"}]}], "total"}`, the caller's direct reports, highest risk first."""
    client, world = api
    answer = client.get("/api/v1/teams/me?limit=1000", headers=world.headers("supervisor"))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    items = answer.json["items"]
    assert answer.json["total"] == len(items)
    assert {item["employee_id"] for item in items} >= {world.employees["E1"], *histories.values()}
    for item in items:
        assert {"employee_id", "name", "risk", "coaching"} <= set(item)
        _assert_risk(item["risk"], item["employee_id"])
        assert all({"action", "why"} <= set(advice) for advice in item["coaching"])
    estimated = [item["risk"]["probability"] for item in items]
    known = [p for p in estimated if p is not None]
    assert known == sorted(known, reverse=True)
    assert estimated == known + [None] * (len(estimated) - len(known))


def test_recommendations_shape(api: tuple[FlaskClient, World]) -> None:
    """API.md GET /employees/{id}/recommendations?k=5: `{"gaps": [{"competency", "required",
    "current", "gap"}], "items": [{"training_code", "title", "score", "covers", "reason"}],
    "model": {...}}`."""
    client, world = api
    hr = world.headers("hr")
    position = _post(client, world, "admin", "/api/v1/positions", {
        "title": "Analis", "kind": "fungsional",
        "competency_standards": [{"competency": "M.01", "required_level": 4},
                                 {"competency": "M.02", "required_level": 3}]})  # fmt: skip
    body = CREATES["employees"].body(client, world, serial()) | {
        "position_id": position.json["id"]
    }
    person = _post(client, world, "admin", "/api/v1/employees", body).json["id"]
    assessment = {"assessed_on": "2025-01-06", "method": "assessment_center",
                  "levels": {"M.01": 2, "M.02": 2}}  # fmt: skip
    assert (
        client.post(
            f"/api/v1/employees/{person}/competency-assessments", json=assessment, headers=hr
        ).status_code
        == 201
    )
    answer = client.get(f"/api/v1/employees/{person}/recommendations?k=5", headers=hr)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    gaps = {gap["competency"]: gap for gap in answer.json["gaps"]}
    assert set(gaps) == {"M.01", "M.02"}
    assert (gaps["M.01"]["required"], gaps["M.01"]["current"], gaps["M.01"]["gap"]) == (4, 2, 2)
    items = answer.json["items"]
    assert 1 <= len(items) <= 5
    for item in items:
        assert {"training_code", "title", "score", "covers", "reason"} <= set(item)
        assert isinstance(item["covers"], list) and item["reason"]
    assert {"name", "version", "fallback"} <= set(answer.json["model"])


def test_training_needs_has_gaps_and_programs_with_participants_and_jp(
    api: tuple[FlaskClient, World],
) -> None:
    """API.md GET /units/{id}/training-needs (hr, admin): aggregated gaps and a proposed
    set of programs with participant lists and JP totals."""
    client, world = api
    answer = client.get(
        f"/api/v1/units/{world.units['A']}/training-needs", headers=world.headers("hr")
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert isinstance(answer.json["needs"], list) and isinstance(answer.json["programs"], list)
    assert "jp_total" in answer.json
    for program in answer.json["programs"]:
        assert isinstance(program["participants"], list) and "jp_total" in program
    assert_problem(
        client.get(
            f"/api/v1/units/{world.units['A']}/training-needs",
            headers=world.headers("employee"),
        ),
        403,
    )


def test_models_and_jobs(api: tuple[FlaskClient, World]) -> None:
    """API.md GET /models, POST /models/retrain, GET /models/jobs/{id} (data, admin)."""
    client, world = api
    data = world.headers("data")
    models = client.get("/api/v1/models", headers=data)
    assert models.status_code == 200
    assert isinstance(models.json["items"], list) and isinstance(models.json["total"], int)
    assert client.get("/api/v1/models?limit=1000&offset=0", headers=data).status_code == 200
    assert_invalid(client.get("/api/v1/models?limit=0", headers=data), "limit")
    started = client.post("/api/v1/models/retrain", json={}, headers=data)
    assert started.status_code == 201
    job = client.get(f"/api/v1/models/jobs/{started.json['id']}", headers=data)
    assert job.status_code == 200 and job.json["id"] == started.json["id"]
    assert_problem(client.get("/api/v1/models", headers=world.headers("employee")), 403)
    assert_problem(client.get("/api/v1/models/jobs/999999999", headers=data), 404)


# --- Command line ---------------------------------------------------------------------


def test_one_console_script_with_the_contract_commands() -> None:
    """API.md Command line: one console script, `kinerja`, with at least init-db,
    create-user, seed, train, retrain-schedule, score, import, serve and demo."""
    scripts = {point.name: point.value for point in entry_points(group="console_scripts")}
    assert scripts.get("kinerja") == "service.cli:main"
    runner = CliRunner()
    listed = runner.invoke(kinerja_cli, ["--help"])
    assert listed.exit_code == 0
    commands = set(re.findall(r"^\s{2}([a-z][a-z-]*)\s", listed.output, re.MULTILINE))
    wanted = {"init-db", "create-user", "seed", "train", "retrain-schedule", "score",
              "import", "serve", "demo"}  # fmt: skip
    assert wanted <= commands, listed.output
    options = {
        "create-user": ("--username", "--password", "--role", "--employee-id"),
        "seed": ("--employees", "--seed"),
        "serve": ("--host", "--port"),
    }
    for command, names in options.items():
        shown = runner.invoke(kinerja_cli, [command, "--help"])
        assert shown.exit_code == 0
        for name in names:
            assert name in shown.output, (command, name)


def test_an_import_without_its_file_part_names_the_field_and_a_null_row(
    api: tuple[FlaskClient, World],
) -> None:
    client, world = api
    form = {"data": {"other": "x"}, "content_type": "multipart/form-data"}
    answer = client.post(IMPORT, headers=world.headers("hr"), **form)
    errors = assert_problem(answer, 422)["errors"]
    assert [(e["field"], e["row"]) for e in errors] == [("file", None)], errors


def test_an_empty_attendance_import_names_a_null_row(api: tuple[FlaskClient, World]) -> None:
    """The attendance import answers its refusals as the evaluation import does."""
    client, world = api
    data = {"file": (io.BytesIO(b""), "attendance.csv")}
    answer = client.post("/api/v1/imports/attendance", data=data, headers=world.headers("hr"))
    errors = assert_problem(answer, 422)["errors"]
    assert errors and all(e.keys() >= {"row", "field", "message"} for e in errors), errors
