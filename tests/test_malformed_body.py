"""A body that is not JSON, or not UTF-8, gets each endpoint's own Fin answer, and only after the caller
is authenticated (errors.install, auth.deps.authenticate_request)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

# "Jürgen" in Latin-1: not UTF-8.
LATIN1 = '{"first_name": "Jürgen"}'.encode("latin-1")
BROKEN = b'{"first_name": '
NOT_UTF8 = "Malformed JSON: the body must be UTF-8"
JSON = {"Content-Type": "application/json"}
CID = str(uuid.uuid4())
RFI_DOC = Path(__file__).resolve().parents[1] / "docs" / "rfi.md"


def field_map(message: str) -> dict:
    return {"status": 400, "message": "Validation failed", "data": {"body": message}}


def standard(message: str) -> dict:
    return {"message": "Validation failed", "errors": [{"body": message}]}


def attach_individual(message: str) -> dict:
    return {"status": 400, "message": "Malformed request body"}


ENDPOINTS = [
    ("POST", "/v2/customers/individual", 422, standard),
    ("POST", "/v1/customers/individual", 422, standard),
    ("POST", "/v2/customers/business", 400, field_map),
    ("PATCH", f"/v1/customers/{CID}", 400, field_map),
    ("POST", f"/v2/customers/{CID}/individual/attach", 400, attach_individual),
    ("POST", f"/v2/customers/{CID}/business/attach", 400, field_map),
    ("POST", f"/v2/customers/{CID}/associated-parties/individual/attach", 400, field_map),
]
BODIES = [
    pytest.param(LATIN1, NOT_UTF8, id="not-utf8"),
    pytest.param(BROKEN, "Malformed JSON", id="not-json"),
]


@pytest.mark.parametrize("path", ["/v1/oauth/token", "/v1/oauth/refresh-token"])
@pytest.mark.parametrize(("content", "message"), BODIES)
def test_token_endpoints_answer_422(api, path, content, message):
    r = api.post(path, content=content, headers=JSON)
    assert r.status_code == 422, r.text
    assert r.json() == standard(message)


@pytest.mark.parametrize(("method", "path", "status", "shape"), ENDPOINTS)
@pytest.mark.parametrize(("content", "message"), BODIES)
def test_each_endpoint_answers_in_its_dialect_after_authentication(
    api, auth_headers, method, path, status, shape, content, message
):
    anonymous = api.request(method, path, content=content, headers=JSON)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json() == {"message": "Authentication failed"}

    forged = api.request(method, path, content=content, headers={**JSON, "Authorization": "Bearer not-a-jwt"})
    assert forged.status_code == 401, forged.text

    r = api.request(method, path, content=content, headers={**JSON, **auth_headers})
    assert r.status_code == status, r.text
    assert r.json() == shape(message)


def test_a_token_whose_login_was_revoked_is_refused_before_the_body_is_judged(api, auth_headers, runtime):
    from sqlalchemy import update

    from tollgate.auth.models import RefreshFamily
    from tollgate.db import unit_of_work

    with unit_of_work(runtime.write_sessions) as session:
        session.execute(update(RefreshFamily).values(revoked_at=runtime.clock.now()))
    r = api.post("/v2/customers/individual", content=LATIN1, headers={**JSON, **auth_headers})
    assert r.status_code == 401, r.text
    assert r.json() == {"message": "Authentication failed"}


@pytest.mark.parametrize(
    ("case", "content"), [("malformed JSON", BROKEN), ("a body that is not UTF-8", LATIN1)]
)
def test_rfi_doc_promises_what_the_patch_answers(api, auth_headers, case, content):
    row = next(line for line in RFI_DOC.read_text().splitlines() if line.startswith(f"| {case} |"))
    promised = re.search(r"400 `(\{.*?\})`", row)
    assert promised, row
    r = api.patch(f"/v1/customers/{CID}", content=content, headers={**JSON, **auth_headers})
    assert r.status_code == 400
    assert r.json() == json.loads(promised.group(1))
