"""An integrator's onboarding client: what a product built on Fin's Customers API does to onboard a
person, written against the API alone (it knows nothing of Tollgate). Its tests, in this folder, run it
against a real Tollgate server through the `tollgate.testing` pytest plugin."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import httpx


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str
    dob: str
    phone: str
    passport_number: str
    passport_expiry: str
    ssn: str


@dataclass(frozen=True)
class Documents:
    """The files the person gave: (file name, bytes)."""

    passport: tuple[str, bytes]
    utility_bill: tuple[str, bytes]


class OnboardingClient:
    def __init__(self, base_url: str, client_id: str, client_secret: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        token = self.http.post(
            "/v1/oauth/token", json={"client_id": client_id, "client_secret": client_secret}
        )
        token.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def close(self) -> None:
        self.http.close()

    def onboard(self, person: Person, documents: Documents) -> str:
        """Create the customer, upload their documents and submit them for verification; returns the
        customer's id. The outcome arrives later, as a `customer.status` webhook."""
        customer_id, tos_value = self.create(person)
        uris = self.upload(customer_id, documents)
        self.attach(customer_id, person, uris, tos_value)
        return customer_id

    def create(self, person: Person) -> tuple[str, str]:
        answer = self.http.post(
            "/v2/customers/individual",
            json={
                "verification_type": "STANDARD",
                "basic_info": {
                    "first_name": person.first_name,
                    "last_name": person.last_name,
                    "dob": person.dob,
                    "email": person.email,
                    "phone": person.phone,
                    "country_of_residence": "USA",
                    "primary_nationality": "USA",
                    "tax_info": [{"country_code": "USA", "document_type": "SSN", "document_id": person.ssn}],
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
            },
        )
        answer.raise_for_status()
        data = answer.json()["data"]
        # The terms the person accepts are behind tos_policies_url; the attach repeats its value.
        tos_value = parse_qs(urlparse(data["tos_policies_url"]).query)["tos_policies_value"][0]
        return data["customer_id"], tos_value

    def upload(self, customer_id: str, documents: Documents) -> dict[str, str]:
        answer = self.http.post(
            "/v1/customers/upload",
            data={"customer_id": customer_id},
            files={"passport": documents.passport, "utility_bill": documents.utility_bill},
        )
        answer.raise_for_status()
        uris: dict[str, str] = {}
        for item in answer.json()["data"]["files"]:
            uris.update(item)
        return uris

    def attach(self, customer_id: str, person: Person, uris: dict[str, str], tos_value: str) -> None:
        answer = self.http.post(
            f"/v2/customers/{customer_id}/individual/attach",
            json={
                "identifying_documents": [
                    {
                        "type": "PASSPORT",
                        "number": person.passport_number,
                        "country": "USA",
                        "expiry_date": person.passport_expiry,
                        "files": [{"uri": uris["passport"]}],
                    }
                ],
                "address_documents": [
                    {"type": "UTILITY_BILL", "country": "USA", "files": [{"uri": uris["utility_bill"]}]}
                ],
                "tos_policies_value": tos_value,
            },
        )
        answer.raise_for_status()

    def status(self, customer_id: str) -> str:
        answer = self.http.get(f"/v2/customers/{customer_id}")
        answer.raise_for_status()
        return str(answer.json()["data"]["customer_status"])
