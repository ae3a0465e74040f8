"""What a customer may do with money, by its status: the V2 capabilities resource
(``GET /v2/customers/{id}/capabilities``) and the ``capabilities`` block of the V1 detail (DOMAIN.md 13, 6.3).

Tollgate moves no money, so the rails are the reference pages' lists and a rail is on exactly when the
customer is APPROVED. The one exception is copied from Fin's V1 examples: USD on-ramp needs a virtual
account (outside Tollgate's scope) and USD off-ramp is "Unsupported at the moment", so both stay off.
"""

from __future__ import annotations

from typing import Any

from tollgate.customers.enums import CustomerStatus as S

# V2: on-ramp rails, and off-ramp corridors (alpha-3) with the currencies and rails each accepts.
ON_RAMP_RAILS = (("USD", "ACH"), ("USD", "FEDWIRE"), ("USD", "SWIFT"))
OFF_RAMP_CORRIDORS: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    ("BGD", (("BDT", ("LOCAL",)), ("USD", ("SWIFT",)))),
    ("AUS", (("USD", ("SWIFT",)),)),
    ("GBR", (("USD", ("SWIFT",)), ("GBP", ("LOCAL",)))),
    ("CAN", (("USD", ("SWIFT",)),)),
    ("DEU", (("USD", ("SWIFT",)), ("EUR", ("LOCAL",)))),
    ("POL", (("USD", ("SWIFT",)),)),
    ("IND", (("USD", ("SWIFT",)), ("INR", ("LOCAL",)))),
    ("PAK", (("USD", ("SWIFT",)),)),
    ("NPL", (("USD", ("SWIFT",)),)),
    ("PHL", (("USD", ("SWIFT",)),)),
    ("SGP", (("USD", ("SWIFT",)), ("SGD", ("LOCAL",)))),
)

# V1: methods per currency, in the reference example's order.
V1_ON_RAMP = (("USD", ("ACH", "FEDWIRE")),)
V1_OFF_RAMP = (
    ("USD", ("ACH", "FEDWIRE", "ACH_SAME_DAY")),
    ("EUR", ("BANK",)),
    ("BDT", ("BANK", "E_WALLET")),
    ("AUD", ("BANK",)),
    ("INR", ("BANK",)),
    ("JPY", ("BANK",)),
    ("NPR", ("BANK",)),
    ("CAD", ("BANK",)),
    ("PKR", ("BANK",)),
    ("PHP", ("BANK",)),
    ("SGD", ("BANK",)),
    ("GBP", ("BANK",)),
)
UNDER_REVIEW = "Customer is under review"
COMPLETE_VERIFICATION = "Complete verification"
REJECTED = "Customer verification was rejected"
UNSUPPORTED = "Unsupported at the moment"

_WAITING_FOR_CUSTOMER = {S.INCOMPLETE.value, S.ACTION_REQUIRED.value}


def _blocked_reason(status: str) -> str | None:
    """Why rails are off for a customer in ``status`` (None: they are not off because of the status)."""
    if status == S.APPROVED.value:
        return None
    if status in _WAITING_FOR_CUSTOMER:
        return COMPLETE_VERIFICATION
    if status == S.REJECTED.value:
        return REJECTED
    return UNDER_REVIEW


def v2(status: str) -> dict[str, Any]:
    on = status == S.APPROVED.value
    return {
        "on_ramp": [{"currency": c, "rail": r, "status": on} for c, r in ON_RAMP_RAILS],
        "off_ramp": [
            {
                "corridor": corridor,
                "currency_wise_rail": [
                    {"currency": currency, "rails": [{"rail": r, "status": on} for r in rails]}
                    for currency, rails in currencies
                ],
            }
            for corridor, currencies in OFF_RAMP_CORRIDORS
        ],
    }


def _reason(for_developer: str | None) -> dict[str, str | None]:
    return {"for_customer": None, "for_developer": for_developer}


def v1(status: str) -> dict[str, Any]:
    blocked = _blocked_reason(status)
    on_ramp = [
        {"currency": c, "status": False, "methods": list(m), "reason": _reason(None)} for c, m in V1_ON_RAMP
    ]
    off_ramp = []
    for currency, methods in V1_OFF_RAMP:
        reason: str | None = blocked
        on = blocked is None
        if currency == "USD":
            reason, on = blocked or UNSUPPORTED, False
        off_ramp.append(
            {"currency": currency, "status": on, "methods": list(methods), "reason": _reason(reason)}
        )
    return {"on_ramp": on_ramp, "off_ramp": off_ramp}
