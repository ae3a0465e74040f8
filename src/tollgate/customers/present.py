"""Customers as Fin's wire shapes, built as plain dicts so the keys are exactly the reference pages'."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from sqlalchemy import Row

from tollgate.customers.models import AssociatedParty, Customer
from tollgate.kit.timefmt import fractional_z, seconds_z


def tos_url(base_url: str, customer: Customer | Row[Any]) -> str:
    # As urlencode() would write it; a UUID needs no quoting.
    value = quote_plus(customer.tos_policies_value)
    return f"{base_url.rstrip('/')}/tos?customer_id={customer.id}&tos_policies_value={value}"


# A customer created through V1 sees V1 names for the same states (DOMAIN.md 9).
V1_STATUS = {"PROCESSING": "QUEUED", "IN_COMPLIANCE": "ON_HOLD", "ACTION_REQUIRED": "REINITIATE"}


def wire_status(customer: Customer | Row[Any]) -> str:
    status: str = customer.status
    return V1_STATUS.get(status, status) if customer.api_version == 1 else status


def list_item(customer: Customer | Row[Any], base_url: str) -> dict[str, Any]:
    item: dict[str, Any] = {"customer_id": str(customer.id), "type": customer.type}
    if customer.type == "INDIVIDUAL":
        item["first_name"] = customer.first_name
        item["last_name"] = customer.last_name
        item["email"] = customer.email
        item["phone"] = customer.phone
        item["country_of_residence"] = customer.country
    else:
        item["business_name"] = customer.business_name
        item["email"] = customer.email
        item["phone"] = customer.phone
        item["country_of_incorporation"] = customer.country
    item["customer_status"] = wire_status(customer)
    item["tos_policies_url"] = tos_url(base_url, customer)
    item["created_at"] = seconds_z(customer.created_at)
    item["updated_at"] = seconds_z(customer.updated_at)
    return item


def _number(value: float | None) -> float | int:
    # A party without ownership_info (a shareholder-only party may have none) owns 0%: Fin's
    # ownership_percent is a number, never null.
    if value is None:
        return 0
    return int(value) if float(value).is_integer() else float(value)


def party(p: AssociatedParty) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "type": p.type,
        "ownership_percent": _number(p.ownership_percent),
        "email": p.email,
        "verification": {
            "status": p.verification_status,
            "reason": {"for_customer": p.reason_for_customer, "for_developer": p.reason_for_developer},
            "updated_at": seconds_z(p.verification_updated_at),
        },
    }


def detail(
    customer: Customer,
    base_url: str,
    rfis: list[dict[str, Any]],
    *,
    capabilities: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The V2 detail; with ``capabilities``, the V1 detail (which embeds them)."""
    out: dict[str, Any] = {"customer_id": str(customer.id), "type": customer.type}
    if customer.type == "INDIVIDUAL":
        out["first_name"] = customer.first_name
        out["last_name"] = customer.last_name
        out["email"] = customer.email
        out["phone"] = customer.phone
        out["country_of_residence"] = customer.country
    else:
        out["business_name"] = customer.business_name
        out["email"] = customer.email
        out["phone"] = customer.phone
        out["country_of_incorporation"] = customer.country
    out["verification_type"] = customer.verification_type
    out["customer_status"] = wire_status(customer)
    out["tos_policies_url"] = tos_url(base_url, customer)
    if customer.type == "BUSINESS":
        out["associated_parties"] = [party(p) for p in customer.parties]
    out["created_at"] = seconds_z(customer.created_at)
    out["updated_at"] = seconds_z(customer.updated_at)
    out["last_status_updated_at"] = fractional_z(customer.last_status_updated_at)
    if capabilities is not None:
        out["capabilities"] = capabilities
    out["rejection_reason"] = customer.rejection_reason
    out["request_for_information"] = rfis
    return out
