"""Every transition of the table is tried: the allowed ones change the status, stamp the times and write an
audit row; every other pair is refused and changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import business_body, individual_body
from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.enums import PartyStatus as P
from tollgate.customers.models import Customer
from tollgate.db import unit_of_work
from tollgate.verification.models import AuditEntry
from tollgate.verification.transitions import (
    CUSTOMER_TRANSITIONS,
    PARTY_TRANSITIONS,
    Actor,
    TransitionRefused,
    transition,
    transition_party,
)

ALL_PAIRS = [(a, b) for a in S for b in S if a is not b]
PARTY_PAIRS = [(a, b) for a in P for b in P if a is not b]


@pytest.fixture
def individual_id(api, auth_headers) -> uuid.UUID:
    r = api.post("/v2/customers/individual", json=individual_body(), headers=auth_headers)
    return uuid.UUID(r.json()["data"]["customer_id"])


@pytest.fixture
def business_id(api, auth_headers) -> uuid.UUID:
    r = api.post("/v2/customers/business", json=business_body(), headers=auth_headers)
    return uuid.UUID(r.json()["customer_id"])


def _force(runtime, customer_id, status: S) -> None:
    with unit_of_work(runtime.write_sessions) as session:
        session.get(Customer, customer_id).status = status.value


@pytest.mark.parametrize("current, target", ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_customer_transition(runtime, clock, individual_id, current, target):
    _force(runtime, individual_id, current)
    clock.offset = timedelta(minutes=5)
    allowed = target in CUSTOMER_TRANSITIONS[current]
    with unit_of_work(runtime.write_sessions) as session:
        customer = session.get(Customer, individual_id)
        before = customer.last_status_updated_at
        if allowed:
            transition(session, customer, target, Actor("reviewer", "alice"), runtime.now(), reason="because")
        else:
            with pytest.raises(TransitionRefused):
                transition(session, customer, target, Actor("reviewer", "alice"), runtime.now())
    with runtime.read_sessions() as session:
        customer = session.get(Customer, individual_id)
        audit = session.scalars(select(AuditEntry).where(AuditEntry.customer_id == individual_id)).all()
        if allowed:
            assert customer.status == target.value
            assert customer.last_status_updated_at > before
            assert customer.updated_at == customer.last_status_updated_at
            [row] = audit
            assert (row.actor_type, row.actor_id, row.from_status, row.to_status, row.reason) == (
                "reviewer",
                "alice",
                current.value,
                target.value,
                "because",
            )
        else:
            assert customer.status == current.value
            assert audit == []


@pytest.mark.parametrize("current, target", PARTY_PAIRS, ids=[f"{a}->{b}" for a, b in PARTY_PAIRS])
def test_party_transition(runtime, business_id, current, target):
    with unit_of_work(runtime.write_sessions) as session:
        session.get(Customer, business_id).parties[0].verification_status = current.value
    allowed = target in PARTY_TRANSITIONS[current]
    with unit_of_work(runtime.write_sessions) as session:
        customer = session.get(Customer, business_id)
        party = customer.parties[0]
        if allowed:
            transition_party(
                session, customer, party, target, Actor("system"), runtime.now(), for_developer="why"
            )
        else:
            with pytest.raises(TransitionRefused):
                transition_party(session, customer, party, target, Actor("system"), runtime.now())
    with runtime.read_sessions() as session:
        party = session.get(Customer, business_id).parties[0]
        assert party.verification_status == (target if allowed else current).value
        if allowed:
            assert party.reason_for_developer == "why"


def test_rejected_is_final():
    assert CUSTOMER_TRANSITIONS[S.REJECTED] == frozenset()
