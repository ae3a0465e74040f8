"""schemathesis drives every operation of /openapi.json against the app: no 5xx, every status code is
declared, every response body matches its declared schema."""

from __future__ import annotations

import json
import re

import httpx
import jsonschema
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests import journeys
from tests.factories import business_body, individual_body
from tollgate.db import unit_of_work
from tollgate.verification import operators

OPERATOR_PASSWORD = "correct horse battery staple"

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _run_all(app, headers: dict[str, str], examples: int) -> tuple[int, list[str]]:
    operations, _, failures = _run_counted(app, headers, examples)
    return operations, failures


def _run_counted(app, headers: dict[str, str], examples: int) -> tuple[int, int, list[str]]:
    """(operations, cases run, failures) of schemathesis over every operation of /openapi.json."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    cases = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def run(case) -> None:
            nonlocal cases
            cases += 1
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # gather every operation's failure before failing
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    return operations, cases, failures


def test_every_operation_honours_the_contract(app, api, auth_headers, runtime):
    """At least 5,000 cases over every operation, as an API client and as an operator: no 5xx, every
    status declared, every body as declared."""
    api.post("/v2/customers/individual", json=individual_body(), headers=auth_headers)
    api.post("/v2/customers/business", json=business_body(), headers=auth_headers)
    with unit_of_work(runtime.write_sessions) as session:
        operators.create_operator(session, runtime.now(), username="fuzz", password=OPERATOR_PASSWORD)
    token = api.post("/ops/v1/token", json={"username": "fuzz", "password": OPERATOR_PASSWORD}).json()
    operator_headers = {"Authorization": f"Bearer {token['access_token']}"}
    operations, client_cases, failures = _run_counted(app, auth_headers, examples=70)
    _, operator_cases, operator_failures = _run_counted(app, operator_headers, examples=15)
    assert operations >= 60
    assert not failures + operator_failures, "\n\n".join(failures + operator_failures)
    assert client_cases + operator_cases >= 5000, (client_cases, operator_cases)


def test_every_operation_honours_the_contract_without_credentials(app):
    operations, failures = _run_all(app, {}, examples=5)
    assert operations >= 5
    assert not failures, "\n\n".join(failures)


# ---------------------------------------------------------------- what /openapi.json declares is what is sent


def _declared(doc: dict, method: str, path: str, status: str) -> dict:
    content = doc["paths"][path][method]["responses"][status]["content"]["application/json"]
    return {"components": doc["components"], **content["schema"]}


def test_no_operation_declares_fastapis_default_422(api):
    doc = api.get("/openapi.json").json()
    assert "HTTPValidationError" not in json.dumps(doc)
    business = doc["paths"]["/v2/customers/business"]["post"]["responses"]
    # The business create answers field errors with Fin's field-map 400 and never with a 422.
    assert "422" not in business and "400" in business
    # Tollgate's own endpoints declare the 422 body errors.py really renders.
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if "422" in op.get("responses", {}):
                schema = op["responses"]["422"]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ValidationErrorBody"}, (method, path)


ATTACHES = {
    ("post", "/v1/customers/upload"),
    ("post", "/v2/customers/{customer_id}/individual/attach"),
    ("post", "/v2/customers/{customer_id}/business/attach"),
    ("post", "/v2/customers/{customer_id}/associated-parties/individual/attach"),
}


def test_upload_and_attach_answers_match_their_declared_200(api, auth_headers):
    doc = api.get("/openapi.json").json()
    seen: list[httpx.Response] = []

    def record(response: httpx.Response) -> None:
        response.read()
        seen.append(response)

    api.event_hooks = {"request": [], "response": [record]}
    for business in (False, True):
        cid, tos = journeys.create(api, auth_headers, business=business)
        journeys.attach(api, auth_headers, cid, tos, business=business)
    api.event_hooks = {"request": [], "response": []}

    checked = set()
    for response in seen:
        path = re.sub(r"/v2/customers/[0-9a-f-]{36}/", "/v2/customers/{customer_id}/", response.url.path)
        key = (response.request.method.lower(), path)
        if key not in ATTACHES:
            continue
        assert response.status_code == 200, response.text
        schema = _declared(doc, *key, "200")
        assert schema.keys() - {"components"}, f"{key}: empty 200 schema"
        jsonschema.Draft202012Validator(schema).validate(response.json())
        checked.add(key)
    assert checked == ATTACHES
