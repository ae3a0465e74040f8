"""A bounded conformance pass (the ``conformance`` package, ``make conformance`` in full): every operation of
Fin's OpenAPI description against a live server, no finding other than the deliberate differences."""

from __future__ import annotations

from conformance.run import run

from tests.factories import business_body, individual_body
from tests.live import live_server

EXAMPLES = 4


def test_every_fin_operation_conforms_but_for_the_deliberate_differences(api, auth_headers, runtime):
    ids = [
        api.post("/v2/customers/individual", json=individual_body(), headers=auth_headers).json()["data"][
            "customer_id"
        ],
        api.post("/v2/customers/business", json=business_body(), headers=auth_headers).json()["customer_id"],
    ]
    with live_server(runtime) as (base, _):
        results = run(base, auth_headers, max_examples=EXAMPLES, customer_ids=ids)
    assert len(results) == 26
    assert all(r.cases >= EXAMPLES for r in results)
    assert not any(code >= 500 for r in results for code in r.statuses)
    unexpected = [f"{r.label}: {f.kind} ({f.status}) {f.title}" for r in results for f in r.unexpected]
    assert not unexpected, "\n".join(unexpected)
