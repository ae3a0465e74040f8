"""Every transition of the table is tried from a customer brought to its status as users bring it there:
the allowed ones change the status, stamp the times, move the version and write an audit row; every other
pair is refused and changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.journeys import reach
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
# A party in each status: INITIATED after creation, REVIEWING after checks sent to review, APPROVED after
# auto-approval, REJECTED after the sandbox's party rejection.
PARTY_REACH = {P.INITIATED: "INCOMPLETE", P.REVIEWING: "REVIEWING", P.APPROVED: "APPROVED"}


def _audit(runtime, customer_id):
    with runtime.read_sessions() as session:
        return session.scalars(
            select(AuditEntry).where(AuditEntry.customer_id == customer_id).order_by(AuditEntry.created_at)
        ).all()


@pytest.mark.parametrize("current, target", ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_customer_transition(api, auth_headers, runtime, clock, current, target):
    business = current is S.ASSOCIATED_PARTIES_REMAINING
    cid = uuid.UUID(reach(api, auth_headers, runtime, current.value, business=business))
    trail_before = len(_audit(runtime, cid))
    clock.offset = timedelta(minutes=5)
    allowed = target in CUSTOMER_TRANSITIONS[current]
    with unit_of_work(runtime.write_sessions) as session:
        customer = session.get(Customer, cid)
        before = (customer.last_status_updated_at, customer.version)
        uow = runtime.work(session, Actor("reviewer", "alice"), customer.client_pk)
        if allowed:
            transition(uow, customer, target, reason="because")
        else:
            with pytest.raises(TransitionRefused):
                transition(uow, customer, target)
    trail = _audit(runtime, cid)
    with runtime.read_sessions() as session:
        customer = session.get(Customer, cid)
        if allowed:
            assert customer.status == target.value
            assert customer.last_status_updated_at > before[0]
            assert customer.updated_at == customer.last_status_updated_at
            assert customer.version == before[1] + 1
            [row] = trail[trail_before:]
            assert (row.actor_type, row.actor_id, row.from_status, row.to_status, row.reason) == (
                "reviewer",
                "alice",
                current.value,
                target.value,
                "because",
            )
            assert row.customer_version == customer.version
        else:
            assert customer.status == current.value
            assert (customer.last_status_updated_at, customer.version) == before
            assert len(trail) == trail_before


@pytest.mark.parametrize("current, target", PARTY_PAIRS, ids=[f"{a}->{b}" for a, b in PARTY_PAIRS])
def test_party_transition(api, auth_headers, runtime, current, target):
    if current is P.REJECTED:
        cid = reach(api, auth_headers, runtime, "REVIEWING", business=True)
        first = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]["associated_parties"][0]
        r = api.post(
            f"/sandbox/customers/{cid}/associated-parties/{first['id']}/reject",
            json={"reject_labels": ["FORGERY"]},
            headers=auth_headers,
        )
        assert r.status_code == 200, r.text
    else:
        cid = reach(api, auth_headers, runtime, PARTY_REACH[current], business=True)
    allowed = target in PARTY_TRANSITIONS[current]
    with unit_of_work(runtime.write_sessions) as session:
        customer = session.get(Customer, uuid.UUID(cid))
        party = customer.parties[0]
        assert party.verification_status == current.value
        uow = runtime.work(session, Actor("system"), customer.client_pk)
        if allowed:
            transition_party(uow, customer, party, target, for_developer="why")
        else:
            with pytest.raises(TransitionRefused):
                transition_party(uow, customer, party, target)
    with runtime.read_sessions() as session:
        party = session.get(Customer, uuid.UUID(cid)).parties[0]
        assert party.verification_status == (target if allowed else current).value
        if allowed:
            assert party.reason_for_developer == "why"


def test_rejected_is_final():
    assert CUSTOMER_TRANSITIONS[S.REJECTED] == frozenset()
