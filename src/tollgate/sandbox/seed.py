"""Demo and benchmark data: realistic customers created through the services, in a mix of statuses (the
reference pages' customers are in ``reference``, the bulk path in ``bulk``).

Every customer goes through ``customers.service.create_individual`` / ``create_business`` (the schemas, every
rule, the per-client sequence, the ``customer.created`` event) and every status through
``verification.service`` (the transition table, audit rows, ``customer.status`` / ``customer.rfi`` events).
Work is committed in batches; the rate is reported (docs/sandbox.md).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from tollgate.auth.models import ApiClient
from tollgate.auth.service import Caller
from tollgate.customers import service as customers
from tollgate.customers.business_schemas import BusinessCustomerCreate
from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.enums import PartyStatus as P
from tollgate.customers.models import Customer
from tollgate.customers.schemas import IndividualCustomerCreate
from tollgate.db import unit_of_work
from tollgate.runtime import Runtime
from tollgate.sandbox.data import Generator
from tollgate.uow import UnitOfWork
from tollgate.verification import rfi as rfis
from tollgate.verification import service as decisions
from tollgate.verification.service import Rejection, RfiRequest
from tollgate.verification.transitions import Actor, transition, transition_party

SEED_ACTOR = Actor("sandbox", "seed")
# Created over this span before now, oldest first, so lists and timestamps look lived in.
SPREAD = timedelta(days=90)
# ``drive`` decides a customer this long after it was submitted, and a business's company approval comes
# later still: every change it stamps falls within DRIVE_SPAN of its start, which is never less than that
# far before now, so nothing is stamped in the future (nor are webhooks held until then).
DECIDED_AFTER = timedelta(minutes=7)
COMPANY_APPROVED_AFTER = timedelta(hours=2)
DRIVE_SPAN = DECIDED_AFTER + COMPANY_APPROVED_AFTER

# Target status -> weight. INCOMPLETE customers were only created; the others were submitted and decided.
INDIVIDUAL_MIX: dict[S, int] = {
    S.INCOMPLETE: 40,
    S.APPROVED: 30,
    S.REVIEWING: 10,
    S.ACTION_REQUIRED: 10,
    S.REJECTED: 5,
    S.IN_COMPLIANCE: 5,
}
BUSINESS_MIX: dict[S, int] = {
    S.INCOMPLETE: 30,
    S.APPROVED: 30,
    S.ASSOCIATED_PARTIES_REMAINING: 10,
    S.REVIEWING: 10,
    S.ACTION_REQUIRED: 10,
    S.REJECTED: 5,
    S.IN_COMPLIANCE: 5,
}


def caller_of(client: ApiClient) -> Caller:
    return Caller(client.id, client.client_id, client.name, client.reliance_enabled, client.auto_approve)


@dataclass
class Progress:
    created: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        return self.created / max(self.seconds, 1e-9)


def _interleave(individuals: int, businesses: int) -> Iterator[str]:
    """Businesses spread evenly among individuals."""
    total = individuals + businesses
    made_b = 0
    for n in range(total):
        owed = (n + 1) * businesses // max(total, 1)
        if made_b < owed:
            made_b += 1
            yield "BUSINESS"
        else:
            yield "INDIVIDUAL"


def _pick(rng: random.Random, mix: dict[S, int]) -> S:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def drive(work: UnitOfWork, customer: Customer, target: S) -> None:
    """Take a new customer to ``target`` the way the lifecycle does: submitted (terms accepted, PROCESSING),
    then decided through ``verification.service``, with the times ``work`` is pinned at."""
    if target is S.INCOMPLETE:
        return
    now = work.now()
    customer.tos_accepted_at = now
    transition(work, customer, S.PROCESSING, reason="submitted")
    later = work.at(now + DECIDED_AFTER)
    business = customer.type == "BUSINESS"
    if target is S.APPROVED:
        for party in customer.parties:
            transition_party(later, customer, party, P.APPROVED)
        decisions.approve(later, customer, note="seeded")
    elif target in (S.REVIEWING, S.ASSOCIATED_PARTIES_REMAINING):
        decisions.start_review(later, customer)
        if target is S.ASSOCIATED_PARTIES_REMAINING:
            decisions.approve(
                later.at(later.now() + COMPANY_APPROVED_AFTER), customer, note="company approved"
            )
    elif target is S.ACTION_REQUIRED:
        section = "supporting_documents" if business else "address_documents"
        doc_type = "PROOF_OF_ADDRESS" if business else "UTILITY_BILL"
        for party in customer.parties:
            transition_party(later, customer, party, P.APPROVED)
        request = RfiRequest(
            section=section,
            categories=[{"document_type": doc_type, "fields": [rfis.field("files", "URI", "MISSING")]}],
        )
        rejection = Rejection(labels=["DOCUMENT_MISSING"])
        decisions.request_information(later, customer, [request], rejection=rejection)
    elif target is S.REJECTED:
        for party in customer.parties:
            transition_party(later, customer, party, P.REJECTED)
        rejection = Rejection(
            labels=["PROBLEMATIC_APPLICANT_DATA"], comment="We could not verify your details."
        )
        decisions.reject(later, customer, rejection=rejection, final=True)
    elif target is S.IN_COMPLIANCE:
        decisions.hold(later, customer, reason="seeded: enhanced due diligence")


def seed(
    runtime: Runtime,
    client_pk: uuid.UUID,
    *,
    individuals: int,
    businesses: int,
    batch_size: int = 1000,
    random_seed: int = 0,
    on_batch: Callable[[Progress], None] | None = None,
    on_customer: Callable[[Progress], None] | None = None,
) -> Progress:
    """Create ``individuals`` + ``businesses`` customers for the client, committing every ``batch_size``;
    ``on_customer`` hears of each customer made (not yet committed), ``on_batch`` of each commit."""
    generator = Generator(random_seed)
    rng = random.Random(random_seed + 1)  # noqa: S311 - test data
    progress = Progress()
    total = individuals + businesses
    kinds = _interleave(individuals, businesses)
    with unit_of_work(runtime.read_sessions) as session:
        client = session.get(ApiClient, client_pk)
        if client is None:
            raise LookupError(f"no API client {client_pk}")
        caller = caller_of(client)
    base = None
    while progress.created < total:
        with unit_of_work(runtime.write_sessions) as session:
            work = runtime.work(session, SEED_ACTOR, client_pk)
            end = work.now()
            base = base or end - SPREAD
            step = (SPREAD - DRIVE_SPAN) / max(total, 1)
            for _ in range(min(batch_size, total - progress.created)):
                kind = next(kinds)
                now = base + step * progress.created
                n = progress.created
                if kind == "INDIVIDUAL":
                    body = IndividualCustomerCreate.model_validate(generator.individual(n, now.date()))
                    raw = body.model_dump(mode="json", exclude_unset=True)  # as the API stores it
                    customer = customers.create_individual(work.at(now), caller, body, raw)
                    target = _pick(rng, INDIVIDUAL_MIX)
                else:
                    bbody = BusinessCustomerCreate.model_validate(generator.business(n, now.date()))
                    braw = bbody.model_dump(mode="json", exclude_unset=True)
                    customer = customers.create_business(work.at(now), caller, bbody, braw)
                    target = _pick(rng, BUSINESS_MIX)
                drive(work.at(now), customer, target)
                progress.created += 1
                progress.by_status[target.value] = progress.by_status.get(target.value, 0) + 1
                if on_customer is not None:
                    on_customer(progress)
        if on_batch is not None:
            on_batch(progress)
    return progress
