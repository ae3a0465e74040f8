from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from tollgate.auth.deps import Principal, beside_schema
from tollgate.auth.service import Caller
from tollgate.customers import business_rules, capabilities, present, readmodel, service
from tollgate.customers.business_schemas import BusinessCustomerCreate
from tollgate.customers.enums import CustomerType
from tollgate.customers.schemas import (
    CapabilitiesRead,
    CreatedIds,
    CustomerDetailRead,
    CustomerListRead,
    IndividualCreated,
    IndividualCustomerCreate,
)
from tollgate.errors import Dialect, checks_beside_schema, speaks
from tollgate.handler import one_thread
from tollgate.http_docs import (
    AUTH_401,
    FIELD_MAP_400,
    NOT_FOUND_404,
    VALIDATION_422,
    MessageBody,
    StatusMessageBody,
    responses,
)
from tollgate.kit.pagination import pagination
from tollgate.kit.responses import JSONBody, StoredJSON
from tollgate.runtime import Runtime, RuntimeDep, SessionDep
from tollgate.uow import UnitOfWork
from tollgate.verification.transitions import Actor

router = APIRouter(tags=["Customers"])


def _work(runtime: Runtime, session: Session, caller: Caller) -> UnitOfWork:
    return runtime.work(session, Actor("api_client", caller.client_id), caller.id)


@router.post(
    "/v2/customers/individual",
    response_model=IndividualCreated,
    responses=responses(
        AUTH_401, VALIDATION_422, (423, MessageBody, "RELIANCE is not available for your client")
    ),
)
@speaks(Dialect.STANDARD)
@checks_beside_schema(beside_schema(service.individual_rules_beside_schema))
@one_thread
def create_individual(
    body: IndividualCustomerCreate, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """Create an individual customer (KYC). It starts INCOMPLETE."""
    raw = body.model_dump(mode="json", exclude_unset=True)
    customer = service.create_individual(_work(runtime, session, caller), caller, body, raw)
    url = present.tos_url(runtime.settings.public_base_url, customer)
    return JSONBody({"data": {"customer_id": str(customer.id), "tos_policies_url": url}})


@router.post(
    "/v2/customers/business",
    status_code=201,
    response_model=CreatedIds,
    responses=responses(
        FIELD_MAP_400,
        AUTH_401,
        (423, StatusMessageBody, "RELIANCE is not available for your client"),
        (500, StatusMessageBody, "Internal server error"),
    ),
)
@speaks(Dialect.FIELD_MAP)
@checks_beside_schema(beside_schema(business_rules.check_partial))
@one_thread
def create_business(
    body: BusinessCustomerCreate, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """Create a business customer (KYB) with its associated parties.

    It starts INCOMPLETE; each party INITIATED."""
    raw = body.model_dump(mode="json", exclude_unset=True)
    customer = service.create_business(_work(runtime, session, caller), caller, body, raw)
    url = present.tos_url(runtime.settings.public_base_url, customer)
    return JSONBody({"customer_id": str(customer.id), "tos_policies_url": url}, status_code=201)


@router.get("/v2/customers", response_model=CustomerListRead, responses=responses(AUTH_401, VALIDATION_422))
@speaks(Dialect.STANDARD)
@one_thread
def list_customers(
    caller: Principal,
    runtime: RuntimeDep,
    session: SessionDep,
    type: Annotated[CustomerType, Query(description="Filter customers by type")],
    per_page: Annotated[int, Query(ge=1, le=512, description="Number of items to return per page")] = 10,
    current_page: Annotated[int, Query(ge=1, le=10_000_000, description="The page number to retrieve")] = 1,
) -> Response:
    """Customers of one type, newest first."""
    base = runtime.settings.public_base_url
    result = service.list_customers(
        session, caller, type, page=current_page, per_page=per_page, base_url=base
    )
    pages = pagination(current_page, per_page, result.total).model_dump()
    return StoredJSON(readmodel.list_body(pages, result.items))


@router.get(
    "/v2/customers/{customer_id}",
    response_model=CustomerDetailRead,
    responses=responses(AUTH_401, NOT_FOUND_404, VALIDATION_422),
)
@speaks(Dialect.STANDARD)
@one_thread
def get_customer(
    customer_id: uuid.UUID, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> Response:
    """One customer with its associated parties, rejection reason and open requests for information."""
    return StoredJSON(service.customer_detail(session, caller, customer_id, runtime.settings.public_base_url))


@router.get(
    "/v2/customers/{customer_id}/capabilities",
    response_model=CapabilitiesRead,
    responses=responses(AUTH_401, NOT_FOUND_404, VALIDATION_422),
)
@speaks(Dialect.STANDARD)
@one_thread
def get_capabilities(customer_id: uuid.UUID, caller: Principal, session: SessionDep) -> JSONResponse:
    """On-ramp rails and off-ramp corridors, each on once the customer is APPROVED."""
    customer = service.get_customer(session, caller, customer_id)
    return JSONBody({"data": capabilities.v2(customer.status)})
