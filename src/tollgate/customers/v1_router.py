"""Fin's V1 customer operations: the V1 creates, list and detail. ``GET /v1/customers``, the V1 business
create and the V1 detail of a business are deprecated by Fin: they work and say so (``Deprecation``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from tollgate.auth.deps import Principal, beside_schema
from tollgate.auth.service import Caller
from tollgate.customers import capabilities, present, readmodel, service, v1
from tollgate.customers.enums import CustomerType
from tollgate.customers.schemas import CustomerDetailV1Read, CustomerListRead, IndividualCreated
from tollgate.customers.v1_schemas import V1BusinessCreate, V1IndividualCreate
from tollgate.errors import Dialect, NotFound, checks_beside_schema, speaks
from tollgate.handler import one_thread
from tollgate.http_docs import (
    AUTH_401,
    VALIDATION_422,
    MessageBody,
    deprecated_header_doc,
    deprecation_headers,
    responses,
)
from tollgate.kit.pagination import pagination
from tollgate.kit.responses import JSONBody, StoredJSON
from tollgate.runtime import Runtime, RuntimeDep, SessionDep
from tollgate.uow import UnitOfWork
from tollgate.verification import rfi
from tollgate.verification.transitions import Actor

router = APIRouter(tags=["Customers"])

LIST_V2 = "/v2/customers"
DETAIL_V2 = "/v2/customers/{customer_id}"
BUSINESS_V2 = "/v2/customers/business"
LOCKED_423 = (423, MessageBody, "RELIANCE is not available for your client")


def _work(runtime: Runtime, session: Session, caller: Caller) -> UnitOfWork:
    return runtime.work(session, Actor("api_client", caller.client_id), caller.id)


def _ok_with_deprecation(model: type, successor: str) -> dict[int | str, dict[str, object]]:
    return {200: {"model": model, "description": "OK", "headers": deprecated_header_doc(successor)}}


@router.post(
    "/v1/customers/individual",
    response_model=IndividualCreated,
    responses=responses(AUTH_401, VALIDATION_422, LOCKED_423),
)
@speaks(Dialect.STANDARD)
@checks_beside_schema(beside_schema(v1.individual_rules_beside_schema))
@one_thread
def create_individual_v1(
    body: V1IndividualCreate, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """Create an individual customer with Fin's V1 body (``nationality``, ``tin``, ``address.street``).
    It is a V1 customer: it reads with V1 status names and takes the V1 attach."""
    raw = body.model_dump(mode="json", exclude_unset=True)
    customer = v1.create_individual(_work(runtime, session, caller), caller, body, raw)
    url = present.tos_url(runtime.settings.public_base_url, customer)
    return JSONBody({"data": {"customer_id": str(customer.id), "tos_policies_url": url}})


@router.post(
    "/v1/customers/business",
    deprecated=True,
    response_model=IndividualCreated,
    responses={
        **_ok_with_deprecation(IndividualCreated, BUSINESS_V2),
        **responses(AUTH_401, VALIDATION_422, LOCKED_423),
    },
)
@speaks(Dialect.STANDARD)
@checks_beside_schema(beside_schema(v1.business_rules_beside_schema))
@one_thread
def create_business_v1(
    body: V1BusinessCreate, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """Create a business customer with Fin's V1 body. Deprecated by Fin on 2026-05-20: use
    ``POST /v2/customers/business``."""
    raw = body.model_dump(mode="json", exclude_unset=True)
    customer = v1.create_business(_work(runtime, session, caller), caller, body, raw)
    url = present.tos_url(runtime.settings.public_base_url, customer)
    return JSONBody(
        {"data": {"customer_id": str(customer.id), "tos_policies_url": url}},
        headers=deprecation_headers(BUSINESS_V2),
    )


@router.get(
    "/v1/customers",
    deprecated=True,
    response_model=CustomerListRead,
    responses={
        **_ok_with_deprecation(CustomerListRead, LIST_V2),
        **responses(AUTH_401, VALIDATION_422),
    },
)
@speaks(Dialect.STANDARD)
@one_thread
def list_customers_v1(
    caller: Principal,
    runtime: RuntimeDep,
    session: SessionDep,
    type: Annotated[CustomerType, Query(description="Filter customers by type")],
    per_page: Annotated[int, Query(ge=1, le=512, description="Number of items to return per page")] = 10,
    current_page: Annotated[int, Query(ge=1, le=10_000_000, description="The page number to retrieve")] = 1,
) -> Response:
    """Customers of one type, newest first. Deprecated by Fin on 2026-05-20: use ``GET /v2/customers``."""
    base = runtime.settings.public_base_url
    result = service.list_customers(
        session, caller, type, page=current_page, per_page=per_page, base_url=base
    )
    pages = pagination(current_page, per_page, result.total).model_dump()
    return StoredJSON(readmodel.list_body(pages, result.items), headers=deprecation_headers(LIST_V2))


@router.get(
    "/v1/customers/{customer_id}",
    response_model=CustomerDetailV1Read,
    responses={
        200: {
            "model": CustomerDetailV1Read,
            "description": "OK. A business's answer carries a Deprecation header (use the V2 detail).",
            "headers": deprecated_header_doc(DETAIL_V2),
        },
        **responses(AUTH_401, (404, MessageBody, "Customer not found"), VALIDATION_422),
    },
)
@speaks(Dialect.STANDARD)
@one_thread
def get_customer_v1(
    customer_id: uuid.UUID, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """One customer with its capabilities embedded (the V1 shape). Fin keeps it for individuals; for a
    business it deprecated it in favour of the V2 detail, and the answer says so."""
    try:
        customer = service.get_customer(session, caller, customer_id)
    except NotFound:
        raise NotFound("Customer not found") from None
    entries = rfi.render_all(rfi.open_rfis(session, customer.id))
    caps = capabilities.v1(customer.status)
    data = present.detail(customer, runtime.settings.public_base_url, entries, capabilities=caps)
    headers = deprecation_headers(DETAIL_V2) if customer.type == CustomerType.BUSINESS.value else None
    return JSONBody({"data": data}, headers=headers)
