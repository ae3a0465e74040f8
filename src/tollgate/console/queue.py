"""The review queue: cases waiting for a person, filtered, searched, longest waiting first, in keyset pages.

Each status is read on its own through ``ix_customer_status_waiting`` (status, last_status_updated_at, id),
at most one page per status, and the pages are merged: no query sorts more rows than one page, whatever
the table's size. Tax ids and document numbers are found through their blind index (customers.search),
never by reading sealed bodies.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, and_, exists, func, or_, select, true, tuple_
from sqlalchemy.orm import Session

from tollgate.auth.models import ApiClient
from tollgate.console.models import CaseAssignment
from tollgate.customers import search
from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.models import Customer
from tollgate.kit.crypto import Keyring
from tollgate.verification.models import Operator
from tollgate.verification.operators import OperatorIdentity

# Statuses in which a case waits for a person; "waiting" is the queue's default.
WAITING = (S.REVIEWING.value, S.IN_COMPLIANCE.value, S.ASSOCIATED_PARTIES_REMAINING.value)
ALL_STATUSES = tuple(s.value for s in S)
ASSIGNEES = ("anyone", "me", "nobody")
PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueFilter:
    status: str = "waiting"  # "waiting", "all" or one status
    type: str | None = None  # INDIVIDUAL | BUSINESS
    client_pk: uuid.UUID | None = None
    assignee: str = "anyone"
    min_age_hours: float | None = None
    q: str = ""
    after: str | None = None  # the cursor of the last row of the previous page
    limit: int = PAGE_SIZE

    def statuses(self) -> tuple[str, ...]:
        if self.status == "waiting":
            return WAITING
        if self.status == "all":
            return ALL_STATUSES
        return (self.status,) if self.status in ALL_STATUSES else WAITING


@dataclass(frozen=True)
class QueueRow:
    id: uuid.UUID
    name: str
    type: str
    email: str
    status: str
    client_name: str
    waiting_since: datetime
    age: timedelta
    overdue: bool
    assignee: str | None


@dataclass
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)
    searched: str | None = None  # how the search matched: "id", "email", "tax id or document number", "name"


def encode_cursor(at: datetime, customer_id: uuid.UUID) -> str:
    raw = f"{at.astimezone(UTC).isoformat()}|{customer_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, cid = raw.split("|", 1)
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            return None
        return when, uuid.UUID(cid)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def display_name(c: Customer) -> str:
    if c.business_name:
        return c.business_name
    return " ".join(p for p in (c.first_name, c.last_name) if p) or c.email


def _tenant(stmt: Select[tuple[Customer]], op: OperatorIdentity) -> Select[tuple[Customer]]:
    if op.client_pks is None:
        return stmt
    return stmt.where(Customer.client_pk.in_(list(op.client_pks)))


def _search(session: Session, keyring: Keyring, op: OperatorIdentity, q: str) -> tuple[str, object] | None:
    """How ``q`` is matched: a condition on ``customer`` and the words for it."""
    q = q.strip()
    if not q:
        return None
    try:
        return "id", Customer.id == uuid.UUID(q)
    except ValueError:
        pass
    if "@" in q:
        return "email", func.lower(Customer.email) == q.lower()
    clients = None if op.client_pks is None else list(op.client_pks)
    ids: list[uuid.UUID] = []
    for kind in search.KINDS:
        ids.extend(search.find_customers(session, keyring, kind, q, clients))
    if any(ch.isdigit() for ch in q):
        # Names have no digits: a document number or tax id is found through its blind index alone.
        return "tax id or document number", Customer.id.in_(ids)
    name_terms = []
    for word in q.split()[:4]:
        prefix = word.lower()
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        # A range on the lower-cased name reads the name's index (a LIKE on an expression cannot, on
        # SQLite); the LIKE keeps the match exact whatever the database's collation.
        last = ord(prefix[-1])
        after = prefix[:-1] + chr(last + 1) if last < 0x10FFFF else None
        name_terms.append(
            or_(
                *(
                    and_(
                        func.lower(column) >= prefix,
                        func.lower(column) < after if after is not None else true(),
                        func.lower(column).like(pattern, escape="\\"),
                    )
                    for column in (Customer.first_name, Customer.last_name, Customer.business_name)
                )
            )
        )
    by_name = and_(*name_terms)
    if ids:
        return "tax id, document number or name", or_(Customer.id.in_(ids), by_name)
    return "name", by_name


def load(
    session: Session,
    keyring: Keyring,
    op: OperatorIdentity,
    f: QueueFilter,
    now: datetime,
    sla: timedelta,
) -> QueuePage:
    conditions: list[object] = []
    if f.type in ("INDIVIDUAL", "BUSINESS"):
        conditions.append(Customer.type == f.type)
    if f.client_pk is not None:
        conditions.append(Customer.client_pk == f.client_pk)
    if f.min_age_hours:
        conditions.append(Customer.last_status_updated_at <= now - timedelta(hours=f.min_age_hours))
    assigned = exists().where(CaseAssignment.customer_id == Customer.id)
    if f.assignee == "me":
        conditions.append(
            exists().where(CaseAssignment.customer_id == Customer.id, CaseAssignment.operator_id == op.id)
        )
    elif f.assignee == "nobody":
        conditions.append(~assigned)
    searched = _search(session, keyring, op, f.q)
    if searched is not None:
        conditions.append(searched[1])
    cursor = decode_cursor(f.after) if f.after else None
    if cursor is not None:
        at, cid = cursor
        # A row-value comparison: both databases read it as a range of the (status, time, id) index.
        conditions.append(tuple_(Customer.last_status_updated_at, Customer.id) > tuple_(at, cid))

    found: list[Customer] = []
    # A search reads its matches through their own index (id, email, blind index) or scans (names): one
    # query for every status then, not one per status.
    groups = [f.statuses()] if searched is not None else [(s,) for s in f.statuses()]
    for statuses in groups:
        stmt = _tenant(select(Customer).where(Customer.status.in_(statuses), *conditions), op)  # type: ignore[arg-type]
        stmt = stmt.order_by(Customer.last_status_updated_at, Customer.id).limit(f.limit + 1)
        found.extend(session.scalars(stmt))
    found.sort(key=lambda c: (c.last_status_updated_at, c.id))
    more = len(found) > f.limit
    found = found[: f.limit]

    ids = [c.id for c in found]
    assignees = (
        dict(
            session.execute(
                select(CaseAssignment.customer_id, Operator.username)
                .join(Operator, Operator.id == CaseAssignment.operator_id)
                .where(CaseAssignment.customer_id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    client_names = (
        dict(
            session.execute(
                select(ApiClient.id, ApiClient.name).where(ApiClient.id.in_({c.client_pk for c in found}))
            ).all()
        )
        if found
        else {}
    )
    rows = []
    for c in found:
        age = now - c.last_status_updated_at
        rows.append(
            QueueRow(
                id=c.id,
                name=display_name(c),
                type=c.type,
                email=c.email,
                status=c.status,
                client_name=client_names.get(c.client_pk, ""),
                waiting_since=c.last_status_updated_at,
                age=age,
                overdue=c.status in WAITING and age > sla,
                assignee=assignees.get(c.id),
            )
        )
    next_cursor = encode_cursor(found[-1].last_status_updated_at, found[-1].id) if more and found else None
    return QueuePage(rows, next_cursor, searched=searched[0] if searched else None)


def counts(session: Session, op: OperatorIdentity) -> dict[str, int]:
    """How many customers are in each status (of the operator's API clients)."""
    stmt = select(Customer.status, func.count()).group_by(Customer.status)
    if op.client_pks is not None:
        stmt = stmt.where(Customer.client_pk.in_(list(op.client_pks)))
    got = {status: int(n) for status, n in session.execute(stmt).all()}
    return {s: got.get(s, 0) for s in ALL_STATUSES}


def clients(session: Session, op: OperatorIdentity) -> list[tuple[uuid.UUID, str]]:
    stmt = select(ApiClient.id, ApiClient.name).order_by(ApiClient.name)
    if op.client_pks is not None:
        stmt = stmt.where(ApiClient.id.in_(list(op.client_pks)))
    return [(pk, name) for pk, name in session.execute(stmt).all()]


def age_label(age: timedelta) -> str:
    minutes = max(0, int(age.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"
