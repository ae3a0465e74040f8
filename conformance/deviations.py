"""The differences from Fin's OpenAPI description that Tollgate keeps on purpose, each with its reason.

A finding is deliberate when one entry matches it: the failure kind (schemathesis's failure class), the
operation (``METHOD /path`` as Fin writes it, or ``*``) and, where given, the status code Tollgate
answered. Anything else fails the conformance run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Deviation:
    kind: str
    operations: tuple[str, ...]
    statuses: tuple[int, ...] | None
    reason: str

    def matches(self, kind: str, operation: str, status: int | None) -> bool:
        return (
            kind == self.kind
            and ("*" in self.operations or operation in self.operations)
            and (self.statuses is None or status in self.statuses)
        )


CREATES = (
    "POST /v2/customers/individual",
    "POST /v1/customers/individual",
    "POST /v2/customers/business",
    "POST /v1/customers/business",
)
ATTACHES = (
    "POST /v2/customers/{customer_id}/individual/attach",
    "POST /v2/customers/{customer_id}/business/attach",
    "POST /v2/customers/{customer_id}/associated-parties/individual/attach",
    "POST /v1/customers/individual/attach",
    "POST /v1/customers/business/attach",
    "POST /v1/customers/associated-parties/individual/attach",
    "PATCH /v1/customers/{customer_id}",
)

CATALOGUE = (
    "GET /v1/industries",
    "GET /v1/occupations",
    "GET /v1/source-of-funds",
    "GET /v1/source-of-wealth",
    "GET /v1/purposes",
    "GET /v1/countries",
    "GET /v1/countries/{country_code}/subdivisions",
)

DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        "RejectedPositiveData",
        CREATES,
        (400, 422),
        "Business rules stricter than Fin's schema, which types fields but states few rules: catalogue ids "
        "(occupation, purpose, source of funds, industry) must exist, phones must be valid numbers of the "
        "country of residence, subdivisions must belong to the country, dates of birth give an age of 18 to "
        "120, tax ids must fit the country's format, names outside Latin script need their `_en` form, "
        "ownership percentages must total above 0 and at most 100 (docs/adr/0004-ownership-total.md), at "
        "least one party must be both shareholder and UBO (DOMAIN.md 5.2).",
    ),
    Deviation(
        "RejectedPositiveData",
        ATTACHES,
        (400, 404, 422),
        "An attach names files uploaded by the caller (`/v1/customers/upload`) for a customer it owns and "
        "follows the document rules (sides, expiry, age of an address document, the RFI being answered); a "
        "generated URI or customer id is unknown, so a request that only fits the schema is refused.",
    ),
    Deviation(
        "RejectedPositiveData",
        ("POST /v1/oauth/token", "POST /v1/oauth/refresh-token"),
        (401, 422),
        "Generated credentials and refresh tokens are unknown: 401, as Fin declares. Empty values, NUL "
        "characters, values longer than any issued (200 characters for a client id, 500 for a secret or "
        "refresh token) and unknown keys are answered 422, Fin's formatting error, before any lookup "
        "(docs/adr/0002-error-dialects.md: unknown keys are named, not dropped).",
    ),
    Deviation(
        "RejectedPositiveData",
        (
            "GET /v2/customers/{customer_id}",
            "GET /v1/customers/{customer_id}",
            "GET /v2/customers/{customer_id}/capabilities",
        ),
        (404,),
        "A generated customer id belongs to no customer of the caller: 404, as Fin declares.",
    ),
    Deviation(
        "RejectedPositiveData",
        ("POST /v1/customers/upload",),
        (422,),
        "A generated file is not a PDF, JPEG or PNG of readable quality, which Fin's guides require; the "
        "upload says which (docs/adr/0009-inspect-files-at-upload.md).",
    ),
    Deviation(
        "RejectedPositiveData",
        ("GET /v2/customers", "GET /v1/customers"),
        (422,),
        "`current_page` above 10,000,000 is refused with Fin's formatting error (422) rather than read: "
        "Fin's schema sets no maximum, but no list reaches that page and the offset would be a client's bug.",
    ),
    Deviation(
        "AcceptedNegativeData",
        (*CATALOGUE, "GET /v2/customers", "GET /v1/customers"),
        (200,),
        "A query parameter Fin does not define is ignored, as HTTP servers and Fin's own list endpoints do: "
        "a request whose only fault is an extra parameter (which schemathesis counts as violating the "
        "schema) is answered as if it were not there.",
    ),
    Deviation(
        "UndefinedStatusCode",
        CATALOGUE,
        (422,),
        "Fin declares only 200 and 401 for the catalogue. A `per_page` or `current_page` outside Fin's own "
        "bounds, or a country code that is not an ISO 3166-1 alpha-3 code Fin lists, is answered with the "
        "422 formatting error every other Fin endpoint declares, naming the parameter, instead of being "
        "ignored.",
    ),
)


def deliberate(kind: str, operation: str, status: int | None) -> Deviation | None:
    for deviation in DEVIATIONS:
        if deviation.matches(kind, operation, status):
            return deviation
    return None
