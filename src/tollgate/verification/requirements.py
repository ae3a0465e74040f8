"""Which documents each kind of customer must have (DOMAIN.md 7.3, the entity-wise table).

Only the LLC and Corporation rows of Fin's table could be read; the other entity types get the documents
every business needs (docs/verification.md).
"""

from __future__ import annotations

# section -> document types, each required once.
_LLC_LIKE: dict[str, tuple[str, ...]] = {
    "formation_documents": ("REGISTRATION_DOCUMENT", "CONSTITUTIONAL_DOCUMENT"),
    "ownership_documents": ("PROOF_OF_SIGNATORY_AUTHORITY",),
    "supporting_documents": (
        "PROOF_OF_ADDRESS",
        "PROOF_OF_SOURCE_OF_FUNDS",
        "SHAREHOLDER_REGISTER",
        "CERT_OF_INCUMBENCY",
        "E_SIGNATURE_CERTIFICATE",
    ),
}
_BASELINE: dict[str, tuple[str, ...]] = {
    "formation_documents": ("REGISTRATION_DOCUMENT",),
    "ownership_documents": ("PROOF_OF_SIGNATORY_AUTHORITY",),
    "supporting_documents": ("PROOF_OF_ADDRESS",),
}
_BY_ENTITY = {"LIMITED_LIABILITY_COMPANY": _LLC_LIKE, "CORPORATION": _LLC_LIKE}

# Non-US companies must also show who their directors and controllers are.
_NON_US_EXTRA = {"formation_documents": ("EVIDENCE_OF_DIRECTORS_AND_CONTROLLERS",)}


# A business created through V1 attaches Fin's V1 sections, one type each (DOMAIN.md 7.2).
V1_BUSINESS: dict[str, tuple[str, ...]] = {
    "company_details": ("CERT_OF_INCORPORATION",),
    "ownership_structure": ("SHAREHOLDER_REGISTRY",),
    "legal_presence": ("PROOF_OF_ADDRESS",),
}


def business_requirements(entity_type: str, country: str, api_version: int = 2) -> dict[str, tuple[str, ...]]:
    if api_version == 1:
        return dict(V1_BUSINESS)
    table = {k: tuple(v) for k, v in _BY_ENTITY.get(entity_type, _BASELINE).items()}
    if country != "USA":
        for section, extra in _NON_US_EXTRA.items():
            table[section] = table.get(section, ()) + extra
    return table


# Every associated party: an identity document and a proof of address.
# GOVERNMENT_ID (a Fin document_type) asks for any identity document type.
PARTY_SECTIONS_REQUIRED = {"identifying_documents": "GOVERNMENT_ID", "address_documents": "PROOF_OF_ADDRESS"}
