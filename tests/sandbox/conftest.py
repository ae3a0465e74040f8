"""What an integrator's test suite needs from docs/sandbox.md: an API client, customers created and documents
attached over HTTP, the worker drained, and a real webhook receiver on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from tests.conftest import BASE_URL
from tests.documents import samples
from tests.factories import business_body, individual_body
from tests.webhooks.conftest import Receiver

from tollgate.auth.service import IssuedCredentials
from tollgate.config import Settings
from tollgate.jobs.worker import drain
from tollgate.runtime import Runtime

TODAY = date.today()
FUTURE = (TODAY + timedelta(days=3 * 365)).isoformat()
PAST = (TODAY - timedelta(days=5 * 365)).isoformat()

COMPANY_DOCS = {
    "formation_documents": ["REGISTRATION_DOCUMENT", "CONSTITUTIONAL_DOCUMENT"],
    "ownership_documents": ["PROOF_OF_SIGNATORY_AUTHORITY"],
    "supporting_documents": [
        "PROOF_OF_ADDRESS",
        "PROOF_OF_SOURCE_OF_FUNDS",
        "SHAREHOLDER_REGISTER",
        "CERT_OF_INCUMBENCY",
        "E_SIGNATURE_CERTIFICATE",
    ],
}


@dataclass
class Integrator:
    """One API client driving the sandbox over HTTP, as in docs/sandbox.md."""

    api: TestClient
    creds: IssuedCredentials
    runtime: Runtime
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.login()

    def login(self) -> None:
        """A new access token (tokens live on the client's clock: moving it far enough expires them)."""
        r = self.api.post(
            "/v1/oauth/token",
            json={"client_id": self.creds.client_id, "client_secret": self.creds.client_secret},
        )
        assert r.status_code == 200, r.text
        self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    # ------------------------------------------------------------ customers

    def individual(self, email: str) -> tuple[str, str]:
        """Create an individual; returns (customer_id, tos_policies_value)."""
        body = individual_body()
        body["basic_info"]["email"] = email
        r = self.api.post("/v2/customers/individual", json=body, headers=self.headers)
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        return data["customer_id"], tos_value(data["tos_policies_url"])

    def business(self, email: str = "contact@fin.com", party_emails: tuple[str, ...] = ()) -> tuple[str, str]:
        body = business_body()
        body["basic_info"]["email"] = email
        for party, party_email in zip(body["associated_parties"], party_emails, strict=False):
            party["basic_info"]["email"] = party_email
        r = self.api.post("/v2/customers/business", json=body, headers=self.headers)
        assert r.status_code == 201, r.text
        return r.json()["customer_id"], tos_value(r.json()["tos_policies_url"])

    def upload(self, customer_id: str, files: dict[str, tuple[str, bytes]]) -> dict[str, str]:
        r = self.api.post(
            "/v1/customers/upload",
            headers=self.headers,
            data={"customer_id": customer_id},
            files={
                field: (name, content, "application/octet-stream") for field, (name, content) in files.items()
            },
        )
        assert r.status_code == 200, r.text
        out: dict[str, str] = {}
        for item in r.json()["data"]["files"]:
            out.update(item)
        return out

    def attach_individual(
        self,
        customer_id: str,
        tos: str,
        *,
        expiry: str = FUTURE,
        address_issued: str | None = None,
        seed: int = 0,
    ) -> dict[str, str]:
        """Upload a passport (PNG) and a utility bill (PDF), generated on the spot, and attach them."""
        uris = self.upload(
            customer_id,
            {
                "passport": ("passport.png", samples.png_bytes(seed=seed)),
                "poa": ("bill.pdf", samples.pdf_bytes(text=f"Utility bill {seed}")),
            },
        )
        address: dict[str, Any] = {"type": "UTILITY_BILL", "country": "USA", "files": [{"uri": uris["poa"]}]}
        if address_issued:
            address["issue_date"] = address_issued
        body = {
            "identifying_documents": [
                {
                    "type": "PASSPORT",
                    "number": "X1234567",
                    "country": "USA",
                    "issue_date": PAST,
                    "expiry_date": expiry,
                    "files": [{"uri": uris["passport"]}],
                }
            ],
            "address_documents": [address],
            "tos_policies_value": tos,
        }
        r = self.api.post(f"/v2/customers/{customer_id}/individual/attach", json=body, headers=self.headers)
        assert r.status_code == 200, r.text
        return uris

    def submit_business(self, customer_id: str, tos: str) -> dict[str, str]:
        """Upload every document the business and its parties need, attach the parties', then the company's."""
        parties = self.detail(customer_id)["associated_parties"]
        files: dict[str, tuple[str, bytes]] = {}
        for n, doc_type in enumerate(t for types in COMPANY_DOCS.values() for t in types):
            files[doc_type] = ("doc.pdf", samples.pdf_bytes(text=f"{doc_type} {n}"))
        for n, p in enumerate(parties):
            files[f"id-{p['id']}"] = ("passport.jpg", samples.jpeg_bytes(seed=20 + n))
            files[f"poa-{p['id']}"] = ("bill.pdf", samples.pdf_bytes(text=f"bill {n}"))
        uris = self.upload(customer_id, files)
        attachments = [
            {
                "associated_party_id": p["id"],
                "identifying_documents": [
                    {
                        "type": "PASSPORT",
                        "number": f"P{n}000000",
                        "country": "USA",
                        "issue_date": PAST,
                        "expiry_date": FUTURE,
                        "files": [{"uri": uris[f"id-{p['id']}"]}],
                    }
                ],
                "address_documents": [{"type": "UTILITY_BILL", "files": [{"uri": uris[f"poa-{p['id']}"]}]}],
                "supporting_documents": [],
            }
            for n, p in enumerate(parties)
        ]
        r = self.api.post(
            f"/v2/customers/{customer_id}/associated-parties/individual/attach",
            json={"associated_party_attachments": attachments},
            headers=self.headers,
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = {
            section: [{"type": t, "files": [{"uri": uris[t]}]} for t in types]
            for section, types in COMPANY_DOCS.items()
        }
        body["tos_policies_value"] = tos
        r = self.api.post(f"/v2/customers/{customer_id}/business/attach", json=body, headers=self.headers)
        assert r.status_code == 200, r.text
        return uris

    def detail(self, customer_id: str) -> dict[str, Any]:
        r = self.api.get(f"/v2/customers/{customer_id}", headers=self.headers)
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()["data"]
        return data

    def drain(self) -> int:
        """Let the server's worker run everything that is due (the checks, webhook deliveries)."""
        return drain(self.runtime)

    # ------------------------------------------------------------ sandbox

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.api.post(path, json=body, headers=self.headers)

    def clock(self, **body: Any) -> dict[str, Any]:
        """Move the client's clock, then take a token valid at the new time."""
        r = self.post("/sandbox/clock", body)
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()["data"]
        self.login()
        return data

    def webhooks_to(self, receiver: Receiver) -> None:
        r = self.post("/v2/webhook-endpoints", {"url": receiver.url})
        assert r.status_code == 201, r.text


def tos_value(url: str) -> str:
    return parse_qs(urlparse(url).query)["tos_policies_value"][0]


def received(receiver: Receiver, customer_id: str | None = None) -> list[tuple[str, str | None]]:
    """(event type, customer_status in the data) of each request the receiver got, in arrival order."""
    out = []
    for r in receiver.requests:
        body = r.json
        if customer_id is None or body["event"]["event_reference_id"] == customer_id:
            out.append((body["event"]["type"], body["data"].get("customer_status")))
    return out


def rfi_events(receiver: Receiver) -> list[dict[str, Any]]:
    return [r.json["data"] for r in receiver.requests if r.json["event"]["type"] == "customer.rfi"]


@pytest.fixture
def integrator(api: TestClient, make_client, runtime: Runtime) -> Integrator:
    return Integrator(api, make_client("integrator"), runtime)


@pytest.fixture
def other_integrator(api: TestClient, make_client, runtime: Runtime) -> Integrator:
    return Integrator(api, make_client("someone-else"), runtime)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def failing_receiver() -> Iterator[Callable[[int], Receiver]]:
    """A receiver that answers 503 to its first ``n`` requests, then 200."""
    made: list[Receiver] = []

    def make(n: int) -> Receiver:
        r = Receiver(lambda req, i: (503, {}, b"down") if i < n else (200, {}, b"ok"))
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def cli_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_") or k == "TOLLGATE_HOME"}
    env.update(
        TOLLGATE_DATABASE_URL=settings.database_url,
        TOLLGATE_KEYS=settings.keys or "",
        TOLLGATE_PUBLIC_BASE_URL=BASE_URL,
        TOLLGATE_STORAGE_DIR=settings.storage_dir,
        TOLLGATE_MODE=settings.mode.value,
    )
    for name in ("signing_key", "secret_pepper"):
        if getattr(settings, name):
            env[f"TOLLGATE_{name.upper()}"] = getattr(settings, name)
    return env


def tollgate(settings: Settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tollgate.cli.main", *args],
        env=cli_env(settings),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
