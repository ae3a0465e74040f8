"""The bulk path of ``tollgate seed --bulk``, for benchmark databases of a million customers.

The service path spends about 8 ms of CPU per customer (two dozen statements: sequence, insert, outbox,
transitions, audit), about 120 customers a second on a free core. The bulk path keeps what makes a customer
valid and the numbering right, and batches the writing:

- the same bodies (``sandbox.data``), the same validation: the create schemas and the create rules
  (``customers.service.individual_rule_errors``, ``customers.business_rules.check``), run in worker processes;
- the same sequence numbers: ``customers.repository.next_seq`` reserves a block per batch from the same
  per-client counter (docs/adr/0003), so lists and totals behave exactly as after single creates;
- the rows the services would leave: customers and parties as ``customers.service`` builds them, the target
  status with the audit rows and events of each transition of the path to it (``sandbox.seed.drive``),
  rejection reasons and RFIs built by ``verification.service``'s own ``Rejection`` and ``rfi.field``;
  events carry the outbox's snapshot and envelope. Rows are inserted many per statement.

It refuses a client with enabled webhook endpoints: those events would need deliveries (use the service
path, which creates them). Event snapshots carry the parties as they end, not as they were in between.
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tollgate.customers import business_rules, repository, search
from tollgate.customers.business_schemas import BusinessCustomerCreate, Role
from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.enums import PartyStatus as P
from tollgate.customers.models import AssociatedParty, Customer, IdentifierDigest
from tollgate.customers.schemas import IndividualCustomerCreate
from tollgate.customers.service import individual_rule_errors
from tollgate.db import unit_of_work
from tollgate.errors import ValidationFailed
from tollgate.kit.crypto import keyring_of
from tollgate.kit.ids import new_uuid
from tollgate.kit.timefmt import fractional_z
from tollgate.runtime import Runtime
from tollgate.sandbox.data import Generator
from tollgate.sandbox.seed import BUSINESS_MIX, INDIVIDUAL_MIX, SPREAD, Progress, _interleave, _pick
from tollgate.verification import rfi as rfis
from tollgate.verification.models import AuditEntry, Rfi
from tollgate.verification.service import Rejection
from tollgate.webhooks.models import Event, WebhookEndpoint
from tollgate.webhooks.outbox import customer_snapshot, encode, next_number
from tollgate.webhooks.schemas import EventType

ACTOR = ("sandbox", "seed")
# The transitions each target goes through from INCOMPLETE, as ``seed.drive`` makes them.
PATHS: dict[S, tuple[S, ...]] = {
    S.INCOMPLETE: (),
    S.APPROVED: (S.PROCESSING, S.APPROVED),
    S.REVIEWING: (S.PROCESSING, S.REVIEWING),
    S.ASSOCIATED_PARTIES_REMAINING: (S.PROCESSING, S.REVIEWING, S.ASSOCIATED_PARTIES_REMAINING),
    S.ACTION_REQUIRED: (S.PROCESSING, S.ACTION_REQUIRED),
    S.REJECTED: (S.PROCESSING, S.REJECTED),
    S.IN_COMPLIANCE: (S.PROCESSING, S.IN_COMPLIANCE),
}
PARTY_AFTER: dict[S, P] = {
    S.APPROVED: P.APPROVED,
    S.REVIEWING: P.REVIEWING,
    S.ASSOCIATED_PARTIES_REMAINING: P.REVIEWING,
    S.ACTION_REQUIRED: P.APPROVED,
    S.REJECTED: P.REJECTED,
}


@dataclass(frozen=True)
class Planned:
    kind: str
    target: S
    created_at: datetime


@dataclass
class Valid:
    """One generated body, validated: what the services would have stored."""

    kind: str
    target: S
    created_at: datetime
    payload: dict[str, Any]


_generators: dict[int, Generator] = {}


def _validate(chunk: tuple[int, int, list[Planned]]) -> list[Valid]:
    """Generate and validate one chunk (runs in a worker process). Each chunk draws from its own seed, so
    the data does not depend on how many workers there are."""
    random_seed, first, planned = chunk
    generator = _generators.get(random_seed)
    if generator is None:
        generator = _generators[random_seed] = Generator(random_seed)
    generator.rng.seed(random_seed * 1_000_003 + first)
    out = []
    for offset, plan in enumerate(planned):
        n, today = first + offset, plan.created_at.date()
        if plan.kind == "INDIVIDUAL":
            raw = generator.individual(n, today)
            body: IndividualCustomerCreate | BusinessCustomerCreate = IndividualCustomerCreate.model_validate(
                raw
            )
            assert isinstance(body, IndividualCustomerCreate)
            errors = individual_rule_errors(body, today)
        else:
            raw = generator.business(n, today)
            body = BusinessCustomerCreate.model_validate(raw)
            errors = business_rules.check(body, today)
        if errors:
            raise ValidationFailed(errors)
        out.append(
            Valid(plan.kind, plan.target, plan.created_at, body.model_dump(mode="json", exclude_unset=True))
        )
    return out


@dataclass
class Rows:
    customers: list[dict[str, Any]] = field(default_factory=list)
    parties: list[dict[str, Any]] = field(default_factory=list)
    rfis: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    digests: list[dict[str, Any]] = field(default_factory=list)
    sandbox: bool = True


def _columns(row: Customer | AssociatedParty) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__mapper__.column_attrs}


def _customer(client_pk: uuid.UUID, valid: Valid, seq: int) -> Customer:
    """The customer ``customers.service`` creates for this body (INCOMPLETE, parties INITIATED)."""
    info, now = valid.payload["basic_info"], valid.created_at
    business = valid.kind == "BUSINESS"
    customer = Customer(
        id=new_uuid(),
        client_pk=client_pk,
        type=valid.kind,
        seq=seq,
        api_version=2,
        verification_type=valid.payload.get("verification_type", "STANDARD"),
        status=S.INCOMPLETE.value,
        email=info["email"],
        phone=info["phone"],
        country=info["country_of_incorporation" if business else "country_of_residence"],
        first_name=None if business else info["first_name"],
        last_name=None if business else info["last_name"],
        business_name=info["legal_name"] if business else None,
        tos_policies_value=str(new_uuid()),
        payload=valid.payload,
        meta_data=valid.payload.get("meta_data"),
        created_at=now,
        updated_at=now,
        last_status_updated_at=now,
    )
    customer.parties = [
        AssociatedParty(
            id=new_uuid(),
            customer_id=customer.id,
            position=position,
            type="INDIVIDUAL",
            email=party["basic_info"]["email"],
            first_name=party["basic_info"]["first_name"],
            last_name=party["basic_info"]["last_name"],
            ref=party.get("ref"),
            roles=[Role(r).value for r in party["roles"]],
            ownership_percent=(party.get("ownership_info") or {}).get("percentage_of_ownership"),
            payload=party,
            verification_status=P.INITIATED.value,
            verification_updated_at=now,
            created_at=now,
        )
        for position, party in enumerate(valid.payload.get("associated_parties") or [])
    ]
    return customer


def _event(
    rows: Rows, customer: Customer, kind: EventType, data: dict[str, Any], at: datetime, n: int
) -> None:
    """An event as the outbox writes it (envelope, body), numbered ``n`` for its customer."""
    event_id = new_uuid()
    envelope = {
        "id": str(event_id),
        "event_reference_id": str(customer.id),
        "type": kind.value,
        "created_at": fractional_z(at),
        "sandbox_mode": rows.sandbox,
    }
    rows.events.append(
        {
            "id": event_id,
            "client_pk": customer.client_pk,
            "type": kind.value,
            "event_reference_id": customer.id,
            "customer_id": customer.id,
            "sequence": n,
            "created_at": at,
            "sandbox_mode": rows.sandbox,
            "body": encode({"event": envelope, "data": data}),
        }
    )


def _lifecycle(rows: Rows, customer: Customer, target: S, base_url: str) -> None:
    """Take the new customer to ``target`` as ``seed.drive`` does, writing the rows it would leave."""
    created = customer.created_at
    _event(rows, customer, EventType.CUSTOMER_CREATED, customer_snapshot(customer, base_url), created, 1)
    path = PATHS[target]
    if not path:
        return
    later = created + timedelta(minutes=7)
    customer.tos_accepted_at = created
    business = customer.type == "BUSINESS"
    party_status = PARTY_AFTER.get(target)
    if party_status is not None:
        for party in customer.parties:
            party.verification_status = party_status.value
            party.verification_updated_at = later
    if target in (S.APPROVED, S.ASSOCIATED_PARTIES_REMAINING):
        customer.company_approved_at = later + (
            timedelta(hours=2) if target is not S.APPROVED else timedelta(0)
        )
    entries: list[dict[str, Any]] = []
    if target is S.ACTION_REQUIRED:
        section = "supporting_documents" if business else "address_documents"
        doc_type = "PROOF_OF_ADDRESS" if business else "UTILITY_BILL"
        categories = [{"document_type": doc_type, "fields": [rfis.field("files", "URI", "MISSING")]}]
        customer.rejection_reason = Rejection(labels=["DOCUMENT_MISSING"]).wire(customer)
        rows.rfis.append(
            {
                "id": new_uuid(),
                "customer_id": customer.id,
                "party_id": None,
                "position": 0,
                "scope": "CUSTOMER",
                "section": section,
                "categories": categories,
                "status": rfis.OPEN,
                "raised_by": ":".join(ACTOR),
                "raised_at": later,
            }
        )
        entries = [{"section": section, "categories": categories}]
    elif target is S.REJECTED:
        rejection = Rejection(
            labels=["PROBLEMATIC_APPLICANT_DATA"], comment="We could not verify your details."
        )
        customer.rejection_reason = rejection.wire(customer)
    previous = S.INCOMPLETE
    number = 1
    for step, status in enumerate(path):
        at = created if step == 0 else later + timedelta(hours=2 * (step - 1))
        customer.status = status.value
        customer.updated_at = customer.last_status_updated_at = at
        rows.audit.append(
            {
                "id": new_uuid(),
                "customer_id": customer.id,
                "party_id": None,
                "actor_type": ACTOR[0],
                "actor_id": ACTOR[1],
                "action": "status",
                "from_status": previous.value,
                "to_status": status.value,
                "reason": "seeded",
                "details": None,
                "created_at": at,
            }
        )
        number += 1
        _event(rows, customer, EventType.CUSTOMER_STATUS, customer_snapshot(customer, base_url), at, number)
        previous = status
    if entries:
        number += 1
        data = {"customer_id": str(customer.id), "request_for_information": entries}
        _event(rows, customer, EventType.CUSTOMER_RFI, data, customer.updated_at, number)


def _write(session: Session, client_pk: uuid.UUID, batch: list[Valid], base_url: str, sandbox: bool) -> None:
    rows = Rows(sandbox=sandbox)
    for kind in ("INDIVIDUAL", "BUSINESS"):
        mine = [v for v in batch if v.kind == kind]
        if not mine:
            continue
        last = repository.next_seq(session, client_pk, kind, count=len(mine))
        for seq, valid in enumerate(mine, start=last - len(mine) + 1):
            customer = _customer(client_pk, valid, seq)
            _lifecycle(rows, customer, valid.target, base_url)
            rows.customers.append(_columns(customer))
            rows.parties.extend(_columns(p) for p in customer.parties)
            # The ORM's flush hook writes these for single creates; a bulk insert bypasses it.
            rows.digests.extend(search.customer_digests(keyring_of(session.get_bind().dialect), customer))
    if rows.events:
        # Numbered in the order written, as the outbox numbers them (webhooks.outbox.next_number).
        last = next_number(session, client_pk, count=len(rows.events))
        for number, event in enumerate(rows.events, start=last - len(rows.events) + 1):
            event["number"] = number
    for model, values in (
        (Customer, rows.customers),
        (AssociatedParty, rows.parties),
        (IdentifierDigest, rows.digests),
        (Rfi, rows.rfis),
        (AuditEntry, rows.audit),
        (Event, rows.events),
    ):
        if values:
            session.execute(insert(model), values)


def _chunks(
    plans: list[Planned], size: int, random_seed: int, start: int
) -> Iterator[tuple[int, int, list[Planned]]]:
    for i in range(0, len(plans), size):
        yield random_seed, start + i, plans[i : i + size]


def _in_order(
    pool: ProcessPoolExecutor, tasks: Iterator[tuple[int, int, list[Planned]]], *, window: int
) -> Iterator[list[Valid]]:
    """``pool.map`` with at most ``window`` chunks ahead of the writer, so memory stays flat however many
    customers are asked for (``map`` would queue them all)."""
    ahead: deque[Future[list[Valid]]] = deque()
    for task in tasks:
        ahead.append(pool.submit(_validate, task))
        if len(ahead) >= window:
            yield ahead.popleft().result()
    while ahead:
        yield ahead.popleft().result()


def seed(
    runtime: Runtime,
    client_pk: uuid.UUID,
    *,
    individuals: int,
    businesses: int,
    batch_size: int = 5000,
    random_seed: int = 0,
    workers: int = 1,
    on_batch: Callable[[Progress], None] | None = None,
) -> Progress:
    """Create the customers in bulk (see the module's docstring), committing every ``batch_size``."""
    total = individuals + businesses
    base_url = runtime.settings.public_base_url
    with unit_of_work(runtime.read_sessions) as session:
        endpoint = session.scalar(
            select(WebhookEndpoint.id)
            .where(WebhookEndpoint.client_pk == client_pk, WebhookEndpoint.enabled.is_(True))
            .limit(1)
        )
        if endpoint is not None:
            raise ValueError(
                "the client has webhook endpoints: seed it without --bulk, which delivers events"
            )
        end = runtime.now_for(client_pk, session)
    rng = random.Random(random_seed + 1)  # noqa: S311 - test data
    start, step = end - SPREAD, SPREAD / max(total, 1)
    plans = []
    for n, kind in enumerate(_interleave(individuals, businesses)):
        target = _pick(rng, INDIVIDUAL_MIX if kind == "INDIVIDUAL" else BUSINESS_MIX)
        plans.append(Planned(kind, target, start + step * n))
    progress = Progress()
    chunk = max(1, min(1000, batch_size))
    pending: list[Valid] = []

    def flush() -> None:
        with unit_of_work(runtime.write_sessions) as session:
            _write(session, client_pk, pending, base_url, runtime.settings.sandbox)
        for valid in pending:
            progress.by_status[valid.target.value] = progress.by_status.get(valid.target.value, 0) + 1
        progress.created += len(pending)
        pending.clear()
        if on_batch is not None:
            on_batch(progress)

    def consume(results: Iterator[list[Valid]]) -> None:
        for validated in results:
            pending.extend(validated)
            if len(pending) >= batch_size:
                flush()
        if pending:
            flush()

    tasks = _chunks(plans, chunk, random_seed, 0)
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            consume(_in_order(pool, tasks, window=workers * 4))
    else:
        consume(map(_validate, tasks))
    return progress
