"""The catalogue endpoints: Fin's reference lists, read-only, behind the bearer token."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from tollgate.auth.deps import Principal
from tollgate.catalogue import service
from tollgate.catalogue.schemas import (
    CountryListRead,
    IndustryListRead,
    OccupationListRead,
    PurposeListRead,
    SourceOfFundsListRead,
    SourceOfWealthListRead,
    SubdivisionListRead,
)
from tollgate.catalogue.service import CatalogueType
from tollgate.errors import Dialect, ValidationFailed, speaks
from tollgate.handler import one_thread
from tollgate.http_docs import AUTH_401, VALIDATION_422, responses
from tollgate.kit.pagination import pagination
from tollgate.kit.responses import JSONBody

router = APIRouter(tags=["Catalogue"])

PerPage = Annotated[int, Query(ge=1, le=512, description="Number of items to return per page")]
CurrentPage = Annotated[int, Query(ge=1, description="The page number to retrieve")]
Kind = Annotated[CatalogueType, Query(description="Filter by type")]

_DOCS = responses(AUTH_401, VALIDATION_422)


def _page(key: str, items: Sequence[Any], current_page: int, per_page: int) -> JSONResponse:
    return JSONBody(
        {
            "data": {
                "pagination": pagination(current_page, per_page, len(items)).model_dump(),
                key: service.page_of(items, current_page, per_page),
            }
        }
    )


@router.get("/v1/countries", response_model=CountryListRead, responses=_DOCS)
@speaks(Dialect.STANDARD)
@one_thread
def list_countries(caller: Principal, per_page: PerPage = 10, current_page: CurrentPage = 1) -> JSONResponse:
    """Every ISO 3166-1 country by name, with its currency, calling code, flag and postal code rule."""
    return _page("countries", service.countries(), current_page, per_page)


@router.get("/v1/countries/{country_code}/subdivisions", response_model=SubdivisionListRead, responses=_DOCS)
@speaks(Dialect.STANDARD)
@one_thread
def list_subdivisions(
    caller: Principal,
    country_code: Annotated[
        str,
        Path(
            description="ISO 3166-1 alpha-3 country code",
            json_schema_extra={"enum": sorted(service.alpha3_codes())},
        ),
    ],
) -> JSONResponse:
    """The ISO 3166-2 subdivisions of a country, by code. Not paginated."""
    # Fin types the path parameter as its CountryCode enum: an unknown code is a validation error, not a 404.
    if not service.is_country(country_code):
        raise ValidationFailed([("country_code", "Must be an ISO 3166-1 alpha-3 country code")])
    return JSONBody({"data": {"subdivisions": list(service.subdivisions(country_code))}})


@router.get("/v1/occupations", response_model=OccupationListRead, responses=_DOCS)
@speaks(Dialect.STANDARD)
@one_thread
def list_occupations(
    caller: Principal, per_page: PerPage = 10, current_page: CurrentPage = 1
) -> JSONResponse:
    """Occupations for an individual's ``occupation_id``."""
    return _page("occupations", service.as_items(service.occupations()), current_page, per_page)


@router.get("/v1/purposes", response_model=PurposeListRead, responses=_DOCS)
@speaks(Dialect.STANDARD)
@one_thread
def list_purposes(
    caller: Principal, type: Kind, per_page: PerPage = 10, current_page: CurrentPage = 1
) -> JSONResponse:
    """Account purposes for ``purpose_id``. The one titled Other needs ``purpose_remarks``."""
    return _page("purposes", service.as_items(service.purposes(type)), current_page, per_page)


@router.get("/v1/source-of-funds", response_model=SourceOfFundsListRead, responses=_DOCS)
@speaks(Dialect.STANDARD)
@one_thread
def list_sources_of_funds(
    caller: Principal, type: Kind, per_page: PerPage = 10, current_page: CurrentPage = 1
) -> JSONResponse:
    """Sources of funds for ``source_of_fund_ids`` / ``source_of_fund_id``."""
    return _page("source_of_funds", service.as_items(service.sources_of_funds(type)), current_page, per_page)


@router.get("/v1/source-of-wealth", response_model=SourceOfWealthListRead, responses=_DOCS)
@speaks(Dialect.STANDARD)
@one_thread
def list_sources_of_wealth(
    caller: Principal, type: Kind, per_page: PerPage = 10, current_page: CurrentPage = 1
) -> JSONResponse:
    """Sources of wealth for ``source_of_wealth_ids``."""
    return _page(
        "source_of_wealth", service.as_items(service.sources_of_wealth(type)), current_page, per_page
    )


@router.get("/v1/industries", response_model=IndustryListRead, responses=_DOCS)
@speaks(Dialect.STANDARD)
@one_thread
def list_industries(caller: Principal, per_page: PerPage = 10, current_page: CurrentPage = 1) -> JSONResponse:
    """Industries (NAICS 2022 titles) for V1 ``business_industry_id``; V2 sends NAICS codes instead."""
    return _page("industries", service.as_items(service.industries()), current_page, per_page)
