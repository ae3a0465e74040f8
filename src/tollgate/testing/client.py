"""An API client of the test server as a test holds it: its credentials, an authenticated HTTP client,
and the sandbox controls (decisions, the client's clock, webhook faults, reset) over the sandbox API
(docs/sandbox.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tollgate.testing.server import Credentials

if TYPE_CHECKING:
    import httpx


class Sandbox:
    """The sandbox API of one API client. Each call returns the answer's ``data`` and fails the test
    with the answer's body when Tollgate refuses."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = self._http.request(method, path, json=body)
        if answer.status_code >= 400:
            raise AssertionError(f"{method} {path} answered {answer.status_code}: {answer.text}")
        return answer.json().get("data") if answer.content else None

    # Decisions, as a reviewer would take them.
    def approve(self, customer_id: str, *, note: str | None = None) -> Any:
        return self._call("POST", f"/sandbox/customers/{customer_id}/approve", {"note": note})

    def reject(self, customer_id: str, **body: Any) -> Any:
        """``reject_labels``, ``moderation_comment``, ``final``, ``rfis``... as the API takes them."""
        return self._call("POST", f"/sandbox/customers/{customer_id}/reject", body)

    def request_information(self, customer_id: str, rfis: list[dict[str, Any]]) -> Any:
        return self._call("POST", f"/sandbox/customers/{customer_id}/request-information", {"rfis": rfis})

    def hold(self, customer_id: str, *, reason: str | None = None) -> Any:
        return self._call("POST", f"/sandbox/customers/{customer_id}/hold", {"reason": reason})

    def approve_party(self, customer_id: str, party_id: str) -> Any:
        return self._call("POST", f"/sandbox/customers/{customer_id}/associated-parties/{party_id}/approve")

    def reject_party(self, customer_id: str, party_id: str, **body: Any) -> Any:
        path = f"/sandbox/customers/{customer_id}/associated-parties/{party_id}/reject"
        return self._call("POST", path, body)

    def request_party_information(self, customer_id: str, party_id: str, rfis: list[dict[str, Any]]) -> Any:
        path = f"/sandbox/customers/{customer_id}/associated-parties/{party_id}/request-information"
        return self._call("POST", path, {"rfis": rfis})

    # The client's own clock.
    def clock(self) -> Any:
        return self._call("GET", "/sandbox/clock")

    def advance_clock(self, by: str | float) -> Any:
        """By an ISO 8601 duration (``P1D``, ``PT2H``) or a number of seconds."""
        return self._call("POST", "/sandbox/clock", {"advance_by": by})

    def set_clock(self, to: str) -> Any:
        """To an ISO 8601 date-time with its offset."""
        return self._call("POST", "/sandbox/clock", {"set_to": to})

    def real_time(self) -> Any:
        return self._call("DELETE", "/sandbox/clock")

    # Faults injected into the client's webhook deliveries.
    def webhook_faults(
        self, *, duplicate: float = 0.0, delay_seconds: float = 0.0, reorder: bool = False
    ) -> Any:
        body = {"duplicate": duplicate, "delay_seconds": delay_seconds, "reorder": reorder}
        return self._call("POST", "/sandbox/webhook-faults", body)

    def no_webhook_faults(self) -> Any:
        return self._call("DELETE", "/sandbox/webhook-faults")

    def reset(self) -> Any:
        """Delete the client's customers, files, events and deliveries."""
        return self._call("POST", "/sandbox/reset")


class ApiClient:
    """A fresh API client: :attr:`credentials` for the code under test, :attr:`http` (an ``httpx.Client``
    on the server with a bearer token) for the test's own calls, :attr:`sandbox` for the controls."""

    def __init__(self, credentials: Credentials) -> None:
        import httpx

        self.credentials = credentials
        self.http = httpx.Client(base_url=credentials.base_url, timeout=30)
        token = self.http.post(
            "/v1/oauth/token",
            json={"client_id": credentials.client_id, "client_secret": credentials.client_secret},
        )
        token.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        self.sandbox = Sandbox(self.http)

    @property
    def base_url(self) -> str:
        return self.credentials.base_url

    @property
    def client_id(self) -> str:
        return self.credentials.client_id

    @property
    def client_secret(self) -> str:
        return self.credentials.client_secret

    def register_webhook(self, url: str, event_types: list[str] | None = None) -> dict[str, Any]:
        """Register ``url`` for the client's events; returns the endpoint with its ``secret``."""
        body: dict[str, Any] = {"url": url}
        if event_types is not None:
            body["event_types"] = event_types
        answer = self.http.post("/v2/webhook-endpoints", json=body)
        if answer.status_code != 201:
            raise AssertionError(f"registering {url} answered {answer.status_code}: {answer.text}")
        endpoint: dict[str, Any] = answer.json()["data"]
        return endpoint

    def close(self) -> None:
        self.http.close()
