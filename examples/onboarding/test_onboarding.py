"""The onboarding client's tests, against a real Tollgate server: the fixtures `tollgate_client`,
`tollgate_inbox` and `tollgate_sandbox` come from the `tollgate.testing` plugin, installed with Tollgate.

Run them with `pytest examples/onboarding` (add `--tollgate-database-url postgresql://...` for
PostgreSQL)."""

from __future__ import annotations

import io
import random
import zlib

import pytest
from onboarding import Documents, OnboardingClient, Person
from PIL import Image, ImageDraw


def scan(label: str, seed: int) -> bytes:
    """A document photo as a phone takes it: 900x1200, some noise, a few lines of text."""
    rng = random.Random(seed)  # noqa: S311 - test data
    image = Image.new("RGB", (900, 1200), "white")
    draw = ImageDraw.Draw(image)
    for _ in range(4000):
        x, y = rng.randrange(900), rng.randrange(1200)
        draw.point((x, y), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    for line in range(20):
        draw.text((60, 80 + line * 50), f"{label} line {line}", fill="black")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def person(email: str) -> Person:
    return Person(
        first_name="John",
        last_name="Doe",
        email=email,
        dob="1990-04-15",
        phone="+14155551234",
        passport_number="X1234567",
        passport_expiry="2031-01-01",
        ssn="123-45-6789",
    )


@pytest.fixture
def documents(request) -> Documents:
    seed = zlib.crc32(request.node.name.encode())
    return Documents(
        passport=("passport.jpg", scan("PASSPORT", seed)),
        utility_bill=("bill.jpg", scan("UTILITY BILL", seed + 1)),
    )


@pytest.fixture
def onboarding(tollgate_client):
    client = OnboardingClient(
        tollgate_client.base_url, tollgate_client.client_id, tollgate_client.client_secret
    )
    yield client
    client.close()


def test_a_clean_customer_is_approved_and_the_webhook_says_so(onboarding, documents, tollgate_inbox):
    customer_id = onboarding.onboard(person("john+approve@example.com"), documents)
    approved = tollgate_inbox.wait_for(
        "customer.status", customer_id=customer_id, status="APPROVED", timeout=60
    )
    assert approved.data["email"] == "john+approve@example.com"
    assert onboarding.status(customer_id) == "APPROVED"
    # Every delivery came signed: the inbox refuses a bad x-fin-signature.
    assert tollgate_inbox.refused == 0


def test_a_reviewer_decides(onboarding, documents, tollgate_inbox, tollgate_sandbox):
    customer_id = onboarding.onboard(person("john+review@example.com"), documents)
    tollgate_inbox.wait_for("customer.status", customer_id=customer_id, status="REVIEWING", timeout=60)
    tollgate_sandbox.reject(
        customer_id,
        reject_labels=["PROBLEMATIC_APPLICANT_DATA"],
        moderation_comment="We could not verify your details.",
        final=True,
    )
    rejected = tollgate_inbox.wait_for(
        "customer.status", customer_id=customer_id, status="REJECTED", timeout=30
    )
    assert rejected.data["customer_status"] == "REJECTED"


def test_a_request_for_information_arrives_as_a_webhook(
    onboarding, documents, tollgate_inbox, tollgate_sandbox
):
    customer_id = onboarding.onboard(person("john+review@example.com"), documents)
    tollgate_inbox.wait_for("customer.status", customer_id=customer_id, status="REVIEWING", timeout=60)
    missing_bill = {
        "section": "address_documents",
        "categories": [
            {
                "document_type": "UTILITY_BILL",
                "fields": [{"field_name": "files", "data_type": "URI", "status": "MISSING"}],
            }
        ],
    }
    tollgate_sandbox.request_information(customer_id, [missing_bill])
    rfi = tollgate_inbox.wait_for("customer.rfi", customer_id=customer_id, timeout=30)
    assert rfi.data["request_for_information"][0]["section"] == "address_documents"
    assert onboarding.status(customer_id) == "ACTION_REQUIRED"


def test_each_test_has_a_client_of_its_own(onboarding, tollgate_client, tollgate_sandbox):
    listed = tollgate_client.http.get("/v2/customers", params={"type": "INDIVIDUAL"}).json()["data"]
    assert listed["customers"] == []
    # The client's clock moves without touching any other client's.
    before = tollgate_sandbox.clock()["now"]
    after = tollgate_sandbox.advance_clock("P1D")["now"]
    assert after > before
