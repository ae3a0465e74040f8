"""The customers of Fin's two reference pages, in their states (``tollgate seed --reference``): the list
page's IN_COMPLIANCE business and INCOMPLETE individual, and the detail page's ACTION_REQUIRED business with
its parties, rejection reasons and RFIs, value for value. Created through the services, decided through
``verification.service``."""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from tollgate.auth.models import ApiClient
from tollgate.customers import service as customers
from tollgate.customers.business_schemas import BusinessCustomerCreate
from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.enums import PartyStatus as P
from tollgate.customers.models import Customer
from tollgate.customers.schemas import IndividualCustomerCreate
from tollgate.documents.models import AttachBatch, Attachment, StoredFile
from tollgate.documents.storage import key_for_uri
from tollgate.kit.ids import new_uuid
from tollgate.runtime import Runtime
from tollgate.sandbox.seed import DRIVE_SPAN, SEED_ACTOR, caller_of, drive
from tollgate.verification import rfi as rfis
from tollgate.verification import service as decisions
from tollgate.verification.service import RejectedDocument, Rejection, RfiRequest
from tollgate.verification.transitions import transition, transition_party


def _individual_john_doe() -> dict[str, Any]:
    return {
        "verification_type": "STANDARD",
        "basic_info": {
            "first_name": "John",
            "last_name": "Doe",
            "dob": "1990-04-15",
            "email": "john.doe@example.com",
            "phone": "+14155551234",
            "country_of_residence": "USA",
            "primary_nationality": "USA",
            "tax_info": [{"country_code": "USA", "document_type": "SSN", "document_id": "123-45-6789"}],
        },
        "address": {
            "street_line_1": "123 Market Street",
            "city": "San Francisco",
            "subdivision_code": "US-CA",
            "postal_code": "94103",
            "country": "USA",
        },
        "financial_profile": {
            "employment_status": "EMPLOYED",
            "occupation_id": 1,
            "purpose_id": 1,
            "source_of_fund_ids": [1],
            "monthly_volume_usd": 5000,
        },
    }


def _party(
    first: str,
    last: str,
    email: str,
    percent: float,
    phone: str,
    tax: dict[str, str],
    address: dict[str, Any],
) -> dict[str, Any]:
    return {
        "basic_info": {
            "first_name": first,
            "first_name_en": first,
            "last_name": last,
            "last_name_en": last,
            "dob": "1980-02-01",
            "email": email,
            "phone": phone,
            "country_of_residence": address["country"],
            "primary_nationality": address["country"],
            "tax_info": [tax],
        },
        "address": address,
        "roles": ["shareholder", "ubo"],
        "ownership_info": {
            "designation": "Director",
            "percentage_of_ownership": percent,
            "relationship_establishment_date": "2019-01-01",
            "has_control": True,
            "is_signer": True,
            "is_director": True,
        },
    }


_SF_ADDRESS = {
    "street_line_1": "1 Market Street",
    "street_line_1_en": "1 Market Street",
    "city": "San Francisco",
    "state": "US-CA",
    "subdivision_code": "US-CA",
    "postal_code": "94105",
    "country": "USA",
}
_DHAKA_ADDRESS = {
    "street_line_1": "House 12, Road 11, Banani",
    "street_line_1_en": "House 12, Road 11, Banani",
    "city": "Dhaka",
    "state": "BD-13",
    "subdivision_code": "BD-13",
    "postal_code": "1213",
    "country": "BGD",
}


def _business(
    email: str,
    phone: str,
    country: str,
    address: dict[str, Any],
    tax: dict[str, str],
    parties: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "verification_type": "STANDARD",
        "industry_codes": ["541512"],
        "basic_info": {
            "legal_name": "Fin.com",
            "legal_name_en": "Fin.com",
            "trade_name": "Fin",
            "description": "Cross-border payment technology",
            "entity_type": "LIMITED_LIABILITY_COMPANY",
            "email": email,
            "phone": phone,
            "incorporation_date": "2018-06-15",
            "country_of_incorporation": country,
            "registration_number": "C-123456",
            "tax_info": [tax],
            "websites": ["https://fin.com"],
        },
        "financial_profile": {
            "purpose_id": 1,
            "source_of_fund_ids": [1],
            "source_of_wealth_ids": [1],
            "estimated_annual_revenue_usd": 5000000,
            "expected_monthly_deposits_usd": 400000,
            "expected_monthly_withdrawals_usd": 350000,
            "third_party_fund_usage": False,
        },
        "addresses": {"is_incorporated_address_same": True, "incorporated_address": address},
        "associated_parties": parties,
    }


def _bgd_business() -> dict[str, Any]:
    """The IN_COMPLIANCE business of the list page: Fin.com, incorporated in Bangladesh."""
    tax = {"country_code": "BGD", "document_type": "TIN", "document_id": "123456789012"}
    party_tax = {"country_code": "BGD", "document_type": "TIN", "document_id": "987654321098"}
    party = _party("Rahim", "Uddin", "rahim.uddin@tech.com", 100, "+8801711234567", party_tax, _DHAKA_ADDRESS)
    return _business("m@tech.com", "+8801529876543", "BGD", _DHAKA_ADDRESS, tax, [party])


def _usa_business() -> dict[str, Any]:
    """The ACTION_REQUIRED business of the detail page: Fin.com, USA, owned 60/40 by Jane and Robert."""
    tax = {"country_code": "USA", "document_type": "EIN", "document_id": "12-3456789"}
    jane = _party(
        "Jane", "Smith", "jane.smith@acmecorp.com", 60, "+14155550101",
        {"country_code": "USA", "document_type": "SSN", "document_id": "123-45-6840"}, _SF_ADDRESS,
    )  # fmt: skip
    robert = _party(
        "Robert", "Chen", "robert.chen@acmecorp.com", 40, "+14155550102",
        {"country_code": "USA", "document_type": "SSN", "document_id": "123-45-6820"}, _SF_ADDRESS,
    )  # fmt: skip
    return _business("contact@fin.com", "+14155552671", "USA", _SF_ADDRESS, tax, [jane, robert])


def _document(label: str, fmt: str) -> bytes:
    """A small document-like image (a scan of a page) for the reference customers' files."""
    image = Image.new("RGB", (900, 1200), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 860, 140), fill=(30, 60, 120))
    for line in range(30):
        draw.text((60, 180 + line * 30), f"{label} - line {line + 1}", fill="black")
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def _file(session: Session, runtime: Runtime, customer: Customer, uri: str, now: datetime) -> None:
    """Keep a generated document under the exact URI the reference page shows."""
    kind = "JPEG" if uri.endswith(".jpg") else "PNG"
    data = _document(uri.lstrip("/"), kind)
    key = f"{customer.client_pk.hex}-{key_for_uri(uri)}"
    runtime.files.put(key, data)
    session.add(
        StoredFile(
            id=new_uuid(),
            client_pk=customer.client_pk,
            customer_id=customer.id,
            uri=uri,
            storage_key=key,
            field_name="file",
            original_name=uri.split("_", 1)[1],
            kind=kind,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            created_at=now,
        )
    )


TESTDOC = "/ZuyUaH3a_testdoc1.png"
PASSPORT = "/OUkUie0z_approved_passport_sumsub.jpg"
_NOT_ACCEPTED = "This document is not accepted.\n - "


def _reference_rfis(jane: uuid.UUID) -> list[RfiRequest]:
    def invalid(reason: str, *, dates: bool = False) -> list[dict[str, Any]]:
        fields = [rfis.field("type", "ENUM", "INVALID")]
        if dates:
            fields += [
                rfis.field("expiry_date", "DATE", "INVALID"),
                rfis.field("issue_date", "DATE", "INVALID"),
            ]
        return [*fields, rfis.field("files", "URI", "INVALID", reason)]

    expiring = "User identity document is not valid for at least 2 month(s) from the date of submission."
    return [
        RfiRequest(
            "identifying_documents",
            [{"document_type": "PASSPORT", "fields": invalid(expiring, dates=True)}],
            party_id=jane,
        ),
        RfiRequest(
            "formation_documents",
            [
                {
                    "document_type": "EVIDENCE_OF_DIRECTORS_AND_CONTROLLERS",
                    "fields": invalid("Unacceptable document."),
                }
            ],
        ),
        RfiRequest(
            "supporting_documents",
            [{"document_type": "PROOF_OF_SOURCE_OF_FUNDS", "fields": invalid("Unacceptable document.")}],
        ),
        RfiRequest(
            "ownership_documents",
            [
                {
                    "document_type": "PROOF_OF_SIGNATORY_AUTHORITY",
                    "fields": invalid("Document appears to be corrupted"),
                }
            ],
        ),
    ]


def _reference_rejection(jane: uuid.UUID) -> Rejection:
    def doc(category: str, comment: str, label: str) -> RejectedDocument:
        return RejectedDocument(TESTDOC, category, _NOT_ACCEPTED + comment, [label])

    expiring = "Your identity document must be valid for at least 2 month(s) from the date of submission."
    jane_rejection = Rejection(
        labels=["EXPIRATION_DATE"],
        documents=[RejectedDocument(PASSPORT, "PROOF_OF_IDENTITY", expiring, ["EXPIRATION_DATE"])],
    )
    return Rejection(
        documents=[
            doc("SUPPORTING_DOCUMENTS", "The document should be of good quality.", "LOW_QUALITY"),
            doc("OWNERSHIP_DOCUMENTS", "The document is not authentic", "UNFILLED_ID"),
            doc(
                "OWNERSHIP_DOCUMENTS",
                "The uploaded file appears to be a document template.",
                "DOCUMENT_TEMPLATE",
            ),
            doc("SUPPORTING_DOCUMENTS", "The file is not a document", "NOT_DOCUMENT"),
        ],
        parties={jane: jane_rejection},
    )


def _attach_reference_documents(
    session: Session, runtime: Runtime, customer: Customer, jane: uuid.UUID, robert: uuid.UUID, now: datetime
) -> None:
    """The documents the detail page's findings are about, as a submitted attach would have left them."""
    _file(session, runtime, customer, TESTDOC, now)
    _file(session, runtime, customer, PASSPORT, now)
    batch = AttachBatch(
        id=new_uuid(), customer_id=customer.id, source="business_attach", status="done", created_at=now,
        finished_at=now,
    )  # fmt: skip
    session.add(batch)

    def attach(
        section: str, doc_type: str, uri: str, party_id: uuid.UUID | None = None, **extra: Any
    ) -> None:
        session.add(
            Attachment(
                id=new_uuid(), customer_id=customer.id, party_id=party_id, batch_id=batch.id, section=section,
                doc_type=doc_type, files=[{"uri": uri, "side": None}], active=True, created_at=now, **extra,
            )
        )  # fmt: skip

    attach("formation_documents", "EVIDENCE_OF_DIRECTORS_AND_CONTROLLERS", TESTDOC)
    attach("ownership_documents", "PROOF_OF_SIGNATORY_AUTHORITY", TESTDOC)
    attach("supporting_documents", "PROOF_OF_SOURCE_OF_FUNDS", TESTDOC)
    today = now.date()
    attach(
        "identifying_documents", "PASSPORT", PASSPORT, jane, number="P1234567", country="USA",
        issue_date=today - timedelta(days=3600), expiry_date=today + timedelta(days=30),
    )  # fmt: skip
    attach(
        "identifying_documents", "PASSPORT", PASSPORT, robert, number="P7654321", country="USA",
        issue_date=today - timedelta(days=1200), expiry_date=today + timedelta(days=2400),
    )  # fmt: skip


@dataclass(frozen=True)
class ReferenceCustomers:
    in_compliance_business: uuid.UUID
    incomplete_individual: uuid.UUID
    action_required_business: uuid.UUID


def existing_reference(session: Session, client_pk: uuid.UUID) -> uuid.UUID | None:
    """The detail page's business when the client has the reference customers already: their files keep
    the page's exact URIs, which are unique per client, so they are made once per client."""
    return session.scalars(
        select(StoredFile.customer_id).where(StoredFile.client_pk == client_pk, StoredFile.uri == TESTDOC)
    ).first()


# The reference detail page's business was decided this long after it was submitted.
REFERENCE_DECIDED_AFTER = timedelta(minutes=18)


def seed_reference(session: Session, runtime: Runtime, client: ApiClient) -> ReferenceCustomers:
    """The customers of Fin's reference pages, in their states: the list page's IN_COMPLIANCE business
    (Fin.com, BGD) and INCOMPLETE individual (John Doe), and the detail page's ACTION_REQUIRED business
    (Fin.com, USA) with Jane REJECTED, Robert APPROVED and the page's rejection_reason and RFIs."""
    caller = caller_of(client)
    # The page's history (decided 18 minutes after submission) ends now, not in the future.
    now = runtime.now_for(client.id, session) - max(DRIVE_SPAN, REFERENCE_DECIDED_AFTER)
    work = runtime.work(session, SEED_ACTOR, client.id).at(now)

    raw = _bgd_business()
    bgd = customers.create_business(work, caller, BusinessCustomerCreate.model_validate(raw), raw)
    drive(work, bgd, S.IN_COMPLIANCE)

    raw = _individual_john_doe()
    john = customers.create_individual(work, caller, IndividualCustomerCreate.model_validate(raw), raw)

    raw = _usa_business()
    fin = customers.create_business(work, caller, BusinessCustomerCreate.model_validate(raw), raw)
    jane, robert = fin.parties
    fin.tos_accepted_at = now
    _attach_reference_documents(session, runtime, fin, jane.id, robert.id, now)
    transition(work, fin, S.PROCESSING, reason="business_attach")
    later = work.at(now + REFERENCE_DECIDED_AFTER)
    transition_party(later, fin, robert, P.APPROVED)
    rejection = _reference_rejection(jane.id)
    decisions.reject_party(later, fin, jane, rejection=rejection.parties[jane.id])
    decisions.request_information(later, fin, _reference_rfis(jane.id), rejection=rejection)
    session.flush()
    return ReferenceCustomers(bgd.id, john.id, fin.id)
