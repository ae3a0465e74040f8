"""Catalogue response bodies as Fin declares them, for /openapi.json (the handlers return plain dicts)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tollgate.kit.pagination import Pagination


class ItemRead(BaseModel):
    id: int = Field(examples=[1])
    title: str


class PostalCodeRead(BaseModel):
    required: bool
    regex: str | None = Field(description=r"Anchored with \A...\Z; null when the country has no postal codes")


class CountryRead(BaseModel):
    code: str = Field(description="ISO 3166-1 alpha-3", examples=["BLR"])
    name: str = Field(examples=["Belarus"])
    currency_code: str | None = Field(
        default=None, description="ISO 4217; left out when the country has none", examples=["BYN"]
    )
    phone_code: str | None = Field(
        default=None, description="Left out when the country has none", examples=["+375", "+1-684"]
    )
    flag_url: str = Field(examples=["https://flagcdn.com/by.svg"])
    postal_code: PostalCodeRead


class SubdivisionRead(BaseModel):
    name: str = Field(examples=["Bandarban"])
    code: str = Field(description="ISO 3166-2", examples=["BD-01"])


class CountryPage(BaseModel):
    pagination: Pagination
    countries: list[CountryRead]


class CountryListRead(BaseModel):
    data: CountryPage


class SubdivisionList(BaseModel):
    subdivisions: list[SubdivisionRead]


class SubdivisionListRead(BaseModel):
    data: SubdivisionList


class OccupationPage(BaseModel):
    pagination: Pagination
    occupations: list[ItemRead]


class OccupationListRead(BaseModel):
    data: OccupationPage


class IndustryPage(BaseModel):
    pagination: Pagination
    industries: list[ItemRead]


class IndustryListRead(BaseModel):
    data: IndustryPage


class PurposePage(BaseModel):
    pagination: Pagination
    purposes: list[ItemRead]


class PurposeListRead(BaseModel):
    data: PurposePage


class SourceOfFundsPage(BaseModel):
    pagination: Pagination
    source_of_funds: list[ItemRead]


class SourceOfFundsListRead(BaseModel):
    data: SourceOfFundsPage


class SourceOfWealthPage(BaseModel):
    pagination: Pagination
    source_of_wealth: list[ItemRead]


class SourceOfWealthListRead(BaseModel):
    data: SourceOfWealthPage
