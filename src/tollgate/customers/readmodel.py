"""The read model of customers: each customer's V2 detail body and list item, rendered once when the
customer changes and served as the stored bytes (docs/adr/0014).

Writing. Every transaction that changes a customer, one of its parties or one of its RFIs renders that
customer's bodies just before it commits, through two Session events and nothing else:

- ``before_flush`` and ``do_orm_execute`` note which customers the transaction touches (ORM objects new,
  changed or deleted; rows inserted many per statement by the bulk paths);
- ``before_commit`` flushes, renders the noted customers with ``customers.present`` (the renderer the
  ``customer.*`` webhooks use too) and upserts their ``customer_view`` rows in the same transaction.

So no write path can forget the read model: a path does not call it, the commit does. An ORM-enabled
UPDATE or DELETE of parties or RFIs, or an UPDATE of customers, cannot say which customers it changed and
is refused (a DELETE of customers takes their views with it: ON DELETE CASCADE).

Reading. A detail is one primary-key look-up (scoped to the caller); a list page is one range of
``(client_pk, type, seq)``. Neither loads an ORM object. The stored bodies are sealed (they carry names,
phones, emails); the public base URL is spliced in at a stored offset, so changing it needs no rewrite.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import orjson
from sqlalchemy import Table, Text, Uuid, bindparam, delete, event, select, type_coerce
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction, selectinload
from sqlalchemy.orm.util import identity_key

from tollgate.customers import present
from tollgate.customers.models import AssociatedParty, Customer, CustomerView
from tollgate.kit.crypto import keyring_of
from tollgate.verification import rfi
from tollgate.verification.models import Rfi

DETAIL_PURPOSE = "customer_view.detail"
ITEM_PURPOSE = "customer_view.item"
# Where the base URL goes: right after this key's opening quote. An unescaped quote only ever bounds a
# string in JSON, so these bytes cannot occur inside a value and the first match is the key.
_URL_KEY = b'"tos_policies_url":"'
_CHANGED = "tollgate.readmodel.changed"
# Customers created in this transaction whose RFIs it has not written: they have none, no query needed.
_FRESH = "tollgate.readmodel.fresh"
_RFIS_WRITTEN = "tollgate.readmodel.rfis_written"
# The changed Customer objects themselves: the identity map keeps clean objects only weakly, and one
# that the code changing it has let go of would have to be loaded again at commit.
_HELD = "tollgate.readmodel.held"
_BATCH = 500


class ReadModelBypassed(RuntimeError):
    """A bulk statement changed customers' parties or RFIs without saying which customers."""


# ---------------------------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Rendered:
    detail: bytes
    detail_splice: int
    item: bytes
    item_splice: int


def _splice_at(body: bytes) -> int:
    return body.index(_URL_KEY) + len(_URL_KEY)


def render(customer: Customer, open_rfis: Iterable[Rfi]) -> Rendered:
    """The customer's bodies as ``GET /v2/customers/{id}`` and a list page show them, without a base URL."""
    detail = orjson.dumps({"data": present.detail(customer, "", rfi.render_all(open_rfis))})
    item = orjson.dumps(present.list_item(customer, ""))
    return Rendered(detail, _splice_at(detail), item, _splice_at(item))


@lru_cache(maxsize=8)
def _base(base_url: str) -> bytes:
    # As present.tos_url writes it, escaped as a JSON string's inside.
    return orjson.dumps(base_url.rstrip("/"))[1:-1]


def splice(body: bytes, at: int, base_url: str) -> bytes:
    return body[:at] + _base(base_url) + body[at:]


def _load(session: Session, ids: Sequence[uuid.UUID]) -> list[Customer]:
    """The customers of ``ids`` that exist: those this session holds as they are now, the others loaded
    (with their parties) in one query."""
    found: list[Customer] = []
    missing: list[uuid.UUID] = []
    kept: dict[uuid.UUID, Customer] = session.info.get(_HELD, {})
    for customer_id in ids:
        held = kept.get(customer_id) or session.identity_map.get(identity_key(Customer, customer_id))
        if isinstance(held, Customer) and held in session:
            found.append(held)
        else:
            missing.append(customer_id)
    if missing:
        query = select(Customer).where(Customer.id.in_(missing)).options(selectinload(Customer.parties))
        found.extend(session.scalars(query))
    return found


_UPSERT_COLUMNS = ("detail", "detail_splice", "item", "item_splice")


_VIEW = cast(Table, CustomerView.__table__)


def _upsert(dialect: str) -> Any:
    # On the table, run on the session's connection: Core's executemany, not the ORM's bulk machinery.
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(_VIEW)
    return stmt.on_conflict_do_update(
        index_elements=[_VIEW.c.customer_id], set_={c: stmt.excluded[c] for c in _UPSERT_COLUMNS}
    )


_UPSERTS = {name: _upsert(name) for name in ("postgresql", "sqlite")}


def write(
    session: Session, customer_ids: Iterable[uuid.UUID], *, without_rfis: frozenset[uuid.UUID] = frozenset()
) -> int:
    """Render and store the bodies of ``customer_ids`` (in batches); returns how many were written. Ids of
    customers that no longer exist lose their views; ``without_rfis`` are known to have no RFI."""
    written = 0
    ids = iter(customer_ids)
    upsert = _UPSERTS[session.get_bind().dialect.name]
    while batch := list(itertools.islice(ids, _BATCH)):
        customers = _load(session, batch)
        open_rfis = rfi.open_rfis_for(session, (c.id for c in customers if c.id not in without_rfis))
        rows = []
        for customer in customers:
            bodies = render(customer, open_rfis.get(customer.id, ()))
            rows.append(
                {
                    "customer_id": customer.id,
                    "client_pk": customer.client_pk,
                    "type": customer.type,
                    "seq": customer.seq,
                    "detail": bodies.detail.decode(),
                    "detail_splice": bodies.detail_splice,
                    "item": bodies.item.decode(),
                    "item_splice": bodies.item_splice,
                }
            )
        gone = set(batch) - {c.id for c in customers}
        if gone:
            session.connection().execute(delete(_VIEW).where(_VIEW.c.customer_id.in_(gone)))
        if rows:
            session.connection().execute(upsert, rows)
        written += len(rows)
    return written


def rebuild(session: Session, *, progress: Callable[[int], None] | None = None) -> int:
    """Render every customer again (``tollgate customers rebuild-views``, the migration that made the
    table); returns how many. Batches are keyset ranges of ids; the session forgets each batch's objects."""
    total = 0
    last: uuid.UUID | None = None
    while True:
        query = select(Customer.id).order_by(Customer.id).limit(_BATCH)
        if last is not None:
            query = query.where(Customer.id > last)
        ids = list(session.scalars(query))
        if not ids:
            return total
        total += write(session, ids)
        session.expunge_all()
        last = ids[-1]
        if progress is not None:
            progress(total)


# ---------------------------------------------------------------------------------------------- the hook


def _noted(session: Session) -> set[uuid.UUID]:
    # The session's own record of what it changed, kept beside its identity map until the transaction
    # ends; not context for services (they get the unit of work).
    noted: set[uuid.UUID] = session.info.setdefault(_CHANGED, set())
    return noted


def _owner(obj: object) -> uuid.UUID | None:
    if isinstance(obj, Customer):
        return obj.id
    if isinstance(obj, AssociatedParty):
        # A party appended to a new customer has no customer_id until the flush, but knows its customer.
        return obj.customer_id or (obj.customer.id if obj.customer is not None else None)
    if isinstance(obj, Rfi):
        return obj.customer_id
    return None


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    owners: set[uuid.UUID] = set()
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        owner = _owner(obj)
        if owner is None:
            continue
        owners.add(owner)
        if isinstance(obj, Customer):
            session.info.setdefault(_HELD, {})[owner] = obj
            if obj in session.new:
                session.info.setdefault(_FRESH, set()).add(owner)
        elif isinstance(obj, Rfi):
            session.info.setdefault(_RFIS_WRITTEN, set()).add(owner)
    if owners:
        _noted(session).update(owners)


_OWNER_KEY: dict[type, str] = {Customer: "id", AssociatedParty: "customer_id", Rfi: "customer_id"}


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    key = _OWNER_KEY.get(mapper.class_) if mapper is not None else None
    if key is None:
        return
    if state.is_delete and mapper is not None and mapper.class_ is Customer:
        return
    params = state.parameters
    rows: Sequence[Mapping[str, Any]] = params if isinstance(params, Sequence) else [params] if params else []
    owners = [row[key] for row in rows if key in row] if state.is_insert else []
    if not owners or len(owners) != len(rows):
        raise ReadModelBypassed(
            f"a bulk {'INSERT' if state.is_insert else 'UPDATE or DELETE'} of {mapper.class_.__name__}"  # type: ignore[union-attr]
            f" rows must name each row's {key} (customers.readmodel renders those customers at commit);"
            " change existing rows through ORM objects"
        )
    _noted(state.session).update(owners)
    if mapper is not None and mapper.class_ is Rfi:
        state.session.info.setdefault(_RFIS_WRITTEN, set()).update(owners)


def _before_commit(session: Session) -> None:
    if not (session.info.get(_CHANGED) or session.new or session.dirty or session.deleted):
        return
    session.flush()
    noted = session.info.pop(_CHANGED, None)
    fresh = session.info.pop(_FRESH, set()) - session.info.pop(_RFIS_WRITTEN, set())
    if noted:
        write(session, sorted(noted), without_rfis=frozenset(fresh))


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        for key in (_CHANGED, _FRESH, _RFIS_WRITTEN, _HELD):
            session.info.pop(key, None)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "do_orm_execute", _on_execute)
event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_transaction_end", _after_transaction_end)


# ---------------------------------------------------------------------------------------------- reading

# Core statements on the table, run on the session's connection: no ORM compile or loading step.
_DETAIL = select(type_coerce(_VIEW.c.detail, Text()), _VIEW.c.detail_splice).where(
    _VIEW.c.customer_id == bindparam("customer_id", type_=Uuid),
    _VIEW.c.client_pk == bindparam("client_pk", type_=Uuid),
)
_PAGE = (
    select(type_coerce(_VIEW.c.item, Text()), _VIEW.c.item_splice)
    .where(
        _VIEW.c.client_pk == bindparam("client_pk", type_=Uuid),
        _VIEW.c.type == bindparam("kind"),
        _VIEW.c.seq <= bindparam("hi"),
        _VIEW.c.seq >= bindparam("lo"),
    )
    .order_by(_VIEW.c.seq.desc())
)


def detail(session: Session, client_pk: uuid.UUID, customer_id: uuid.UUID, base_url: str) -> bytes | None:
    """``{"data": <detail>}`` of the caller's customer, as stored; None: no such customer of theirs."""
    row = session.connection().execute(_DETAIL, {"customer_id": customer_id, "client_pk": client_pk}).first()
    if row is None:
        return None
    body = keyring_of(session.get_bind().dialect).open(row[0], DETAIL_PURPOSE)
    return splice(body, row[1], base_url)


def items(
    session: Session, client_pk: uuid.UUID, kind: str, *, hi: int, lo: int, base_url: str
) -> list[bytes]:
    """The list items of customers with ``lo <= seq <= hi``, newest first, as stored."""
    keyring = keyring_of(session.get_bind().dialect)
    rows = session.connection().execute(_PAGE, {"client_pk": client_pk, "kind": kind, "hi": hi, "lo": lo})
    return [splice(keyring.open(token, ITEM_PURPOSE), at, base_url) for token, at in rows]


def list_body(pagination: dict[str, Any], stored_items: Sequence[bytes]) -> bytes:
    """A list page's body around stored items: ``{"data": {"pagination": ..., "customers": [...]}}``."""
    return b"".join(
        (
            b'{"data":{"pagination":',
            orjson.dumps(pagination),
            b',"customers":[',
            b",".join(stored_items),
            b"]}}",
        )
    )
