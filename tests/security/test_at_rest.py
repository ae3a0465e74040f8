"""Personal data and server secrets at rest: a copy of the database alone gives none of them away."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.documents import samples
from tests.factories import business_body, individual_body
from tests.journeys import individual_attach_body, tos_value, upload
from tests.security.dump import database_bytes
from tollgate.customers import search
from tollgate.db import unit_of_work
from tollgate.jobs.worker import drain
from tollgate.kit.crypto import normalise_identifier

TAX_ID = "523-45-6781"
DOB = "1961-07-23"
PHONE = "+14155550199"
PARTY_TAX_ID = "524-12-3456"
PARTY_DOB = "1977-11-05"
PARTY_PHONE = "+14155550142"
DOCUMENT_NUMBER = "ZX9876543"
EMAIL = "plain.address@example.com"


def _individual(api, headers) -> tuple[str, str]:
    body = individual_body()
    body["basic_info"].update(dob=DOB, phone=PHONE, email=EMAIL)
    body["basic_info"]["tax_info"][0]["document_id"] = TAX_ID
    r = api.post("/v2/customers/individual", json=body, headers=headers)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    return data["customer_id"], tos_value(data["tos_policies_url"])


def _business(api, headers) -> str:
    body = business_body()
    party = body["associated_parties"][0]["basic_info"]
    party.update(dob=PARTY_DOB, phone=PARTY_PHONE)
    party["tax_info"][0]["document_id"] = PARTY_TAX_ID
    r = api.post("/v2/customers/business", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["customer_id"]


def _attach_passport(api, headers, cid: str, tos: str) -> None:
    files = {"passport": ("p.png", samples.png_bytes()), "poa": ("b.pdf", samples.pdf_bytes())}
    body = individual_attach_body(upload(api, headers, files, cid), tos)
    body["identifying_documents"][0]["number"] = DOCUMENT_NUMBER
    r = api.post(f"/v2/customers/{cid}/individual/attach", json=body, headers=headers)
    assert r.status_code == 200, r.text


def test_a_database_dump_holds_no_personal_data_nor_server_secrets(api, auth_headers, runtime):
    cid, tos = _individual(api, auth_headers)
    bid = _business(api, auth_headers)
    _attach_passport(api, auth_headers, cid, tos)
    drain(runtime)  # the checks run, events are recorded

    dump = database_bytes(runtime)

    # The dump is a real one: what is not sealed by design (emails, names) is there in the clear.
    assert EMAIL.encode() in dump
    for secret in (TAX_ID, DOB, PHONE, PARTY_TAX_ID, PARTY_DOB, PARTY_PHONE, DOCUMENT_NUMBER):
        assert secret.encode() not in dump, secret
        assert normalise_identifier(secret).encode() not in dump, secret
    assert runtime.keys.signing_key not in dump
    assert runtime.keys.pepper not in dump
    # Yet every read shows what it always showed.
    detail = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]
    assert detail["phone"] == PHONE
    listed = api.get("/v2/customers", params={"type": "INDIVIDUAL"}, headers=auth_headers).json()["data"][
        "customers"
    ]
    assert PHONE in {c["phone"] for c in listed}
    assert api.get(f"/v2/customers/{bid}", headers=auth_headers).status_code == 200
    events = api.get("/v2/events", headers=auth_headers).json()
    assert PHONE in str(events)


def test_exact_search_by_tax_id_and_document_number_goes_through_the_blind_index(
    api, auth_headers, make_client, login, runtime
):
    cid, tos = _individual(api, auth_headers)
    bid = _business(api, auth_headers)
    _attach_passport(api, auth_headers, cid, tos)
    other = login(make_client("other"))
    theirs, _ = _individual(api, other)

    with unit_of_work(runtime.read_sessions) as session:
        by_tax = search.find_customers(session, runtime.keyring, search.TAX_ID, TAX_ID)
        typed_loosely = search.find_customers(session, runtime.keyring, search.TAX_ID, " 523 45 6781 ")
        by_party = search.find_customers(session, runtime.keyring, search.TAX_ID, PARTY_TAX_ID)
        by_number = search.find_customers(
            session, runtime.keyring, search.DOCUMENT_NUMBER, DOCUMENT_NUMBER.lower()
        )
        nothing = search.find_customers(session, runtime.keyring, search.TAX_ID, "523-45-6782")
        mine_only = search.find_customers(
            session, runtime.keyring, search.TAX_ID, TAX_ID, client_pks=[_client_pk(session, cid)]
        )

    assert sorted(by_tax) == sorted(_uuid(x) for x in (cid, theirs))
    assert typed_loosely == by_tax
    assert by_party == [_uuid(bid)]
    assert by_number == [_uuid(cid)]
    assert nothing == []
    assert mine_only == [_uuid(cid)]


def test_customers_find_command(api, auth_headers, settings):
    cid, _ = _individual(api, auth_headers)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_") or k == "TOLLGATE_HOME"},
        "TOLLGATE_DATABASE_URL": settings.database_url,
        "TOLLGATE_KEYS": settings.keys,
    }
    r = subprocess.run(
        [sys.executable, "-m", "tollgate.cli.main", "customers", "find", "--tax-id", TAX_ID],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert cid in r.stdout and "INDIVIDUAL" in r.stdout


def _uuid(value: str):
    import uuid

    return uuid.UUID(value)


def _client_pk(session, cid: str):
    from tollgate.customers.models import Customer

    return session.get(Customer, _uuid(cid)).client_pk


def test_a_value_sealed_for_one_column_does_not_open_in_another(runtime):
    sealed = runtime.keyring.seal_text(PHONE, "customer.phone")
    import pytest

    from tollgate.kit.crypto import SealError

    assert runtime.keyring.open_text(sealed, "customer.phone") == PHONE
    with pytest.raises(SealError):
        runtime.keyring.open_text(sealed, "event.body")
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SealError):
        runtime.keyring.open_text(tampered, "customer.phone")
