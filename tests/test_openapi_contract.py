"""schemathesis drives every operation of /openapi.json against the app: no 5xx, every status code is
declared, every response body matches its declared schema."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import business_body, individual_body

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _run_all(app, headers: dict[str, str], examples: int) -> tuple[int, list[str]]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def run(case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # gather every operation's failure before failing
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    return operations, failures


def test_every_operation_honours_the_contract(app, api, auth_headers):
    api.post("/v2/customers/individual", json=individual_body(), headers=auth_headers)
    api.post("/v2/customers/business", json=business_body(), headers=auth_headers)
    operations, failures = _run_all(app, auth_headers, examples=30)
    assert operations >= 5
    assert not failures, "\n\n".join(failures)


def test_every_operation_honours_the_contract_without_credentials(app):
    operations, failures = _run_all(app, {}, examples=5)
    assert operations >= 5
    assert not failures, "\n\n".join(failures)
