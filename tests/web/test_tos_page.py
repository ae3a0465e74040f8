"""The terms-of-service page behind tos_policies_url: over HTTP with the test client, then in a real browser
(Debian's chromium driven by Playwright) against a live uvicorn server."""

from __future__ import annotations

import dataclasses
import html
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import BASE_URL
from tests.factories import business_body, individual_body
from tests.live import live_server as serve
from tollgate.app import create_app
from tollgate.auth import service as auth
from tollgate.config import Settings
from tollgate.customers.models import Customer
from tollgate.db import unit_of_work
from tollgate.runtime import Runtime
from tollgate.verification.models import AuditEntry

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# -- helpers ---------------------------------------------------------------------------------------------


def _create(
    api: TestClient, headers: dict[str, str], kind: str = "individual", **body: object
) -> tuple[str, str]:
    """Create a customer; returns (customer_id, tos_policies_url)."""
    if kind == "individual":
        r = api.post("/v2/customers/individual", json=individual_body(**body), headers=headers)
        assert r.status_code == 200, r.text
        data = r.json()["data"]
    else:
        r = api.post("/v2/customers/business", json=business_body(**body), headers=headers)
        assert r.status_code == 201, r.text
        data = r.json()
    return data["customer_id"], data["tos_policies_url"]


def _value(url: str) -> str:
    return parse_qs(urlsplit(url).query)["tos_policies_value"][0]


def _customer(runtime: Runtime, customer_id: str) -> Customer:
    with runtime.read_sessions() as session:
        customer = session.get(Customer, uuid.UUID(customer_id))
        assert customer is not None
        return customer


def _acceptance_audits(runtime: Runtime, customer_id: str) -> list[AuditEntry]:
    with runtime.read_sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.customer_id == uuid.UUID(customer_id), AuditEntry.action == "tos_accepted"
                )
            )
        )


def _page_url(customer_id: str, value: str) -> str:
    return "/tos?" + urlencode({"customer_id": customer_id, "tos_policies_value": value})


def _accept(api: TestClient, customer_id: str, value: str, **headers: str) -> httpx.Response:
    return api.post(
        "/tos/accept",
        data={"customer_id": customer_id, "tos_policies_value": value},
        headers=headers,
        follow_redirects=False,
    )


def _shows_accept_button(body: str) -> bool:
    return 'action="/tos/accept"' in body and ">Accept</button>" in body


# -- the page over HTTP ----------------------------------------------------------------------------------


def test_page_shows_the_terms_the_name_and_an_accept_form(api, auth_headers, settings):
    customer_id, url = _create(api, auth_headers)
    assert url.startswith(f"{BASE_URL}/tos?")

    r = api.get(url)

    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    body = r.text
    assert '<strong id="customer-name">John Doe</strong>' in body
    assert f"<p>{html.escape(settings.tos_text)}</p>" in body
    assert _shows_accept_button(body)
    assert '<form method="post" action="/tos/accept"' in body
    assert f'<input type="hidden" name="customer_id" value="{customer_id}">' in body
    assert f'<input type="hidden" name="tos_policies_value" value="{_value(url)}">' in body
    assert "accepted on" not in body
    assert "<script" not in body


def test_page_names_a_business_by_its_business_name(api, auth_headers):
    _, url = _create(api, auth_headers, kind="business")

    r = api.get(url)

    assert r.status_code == 200
    assert '<strong id="customer-name">Fin.com</strong>' in r.text
    assert _shows_accept_button(r.text)


def test_page_sends_protective_headers_and_no_cookie(api, auth_headers):
    _, url = _create(api, auth_headers)

    r = api.get(url)

    csp = r.headers["content-security-policy"]
    for directive in (
        "default-src 'none'",
        "style-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "script-src" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in r.headers


def test_stylesheet_is_served(api):
    r = api.get("/tos/style.css")

    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/css")
    assert "button" in r.text


def test_terms_text_comes_from_the_setting(api, auth_headers, runtime, monkeypatch):
    monkeypatch.setenv("TOLLGATE_TOS_TEXT", 'First <clause> & "terms".\n\nSecond clause.')
    custom = Settings(
        database_url=runtime.settings.database_url,
        public_base_url=BASE_URL,
        storage_dir=runtime.settings.storage_dir,
    )
    app = create_app(custom, runtime=dataclasses.replace(runtime, settings=custom))
    _, url = _create(api, auth_headers)

    with TestClient(app, base_url=BASE_URL) as client:
        body = client.get(url).text

    assert "<p>First &lt;clause&gt; &amp; &#34;terms&#34;.</p>" in body
    assert "<p>Second clause.</p>" in body
    assert html.escape(Settings.model_fields["tos_text"].default) not in body


def test_links_follow_the_path_of_the_public_base_url(api, auth_headers, runtime):
    # Published as http://tollgate.test/onboarding, with the proxy stripping /onboarding before Tollgate.
    custom = runtime.settings.model_copy(update={"public_base_url": f"{BASE_URL}/onboarding"})
    app = create_app(custom, runtime=dataclasses.replace(runtime, settings=custom))
    customer_id, url = _create(api, auth_headers)
    value = _value(url)

    with TestClient(app, base_url=BASE_URL) as client:
        page = client.get(_page_url(customer_id, value)).text
        accepted = _accept(client, customer_id, value)

    assert '<form method="post" action="/onboarding/tos/accept"' in page
    assert '<link rel="stylesheet" href="/onboarding/tos/style.css">' in page
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/onboarding" + _page_url(customer_id, value)


def test_customer_name_is_escaped(api, auth_headers, runtime):
    info = individual_body()["basic_info"]
    info["first_name"] = "<script>alert('x')</script>"
    info["last_name"] = 'O"Brien & <b>Co</b>'
    customer_id, url = _create(api, auth_headers, basic_info=info)

    body = api.get(url).text

    assert "<script>" not in body
    assert "<b>Co</b>" not in body
    assert (
        '<strong id="customer-name">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; '
        "O&#34;Brien &amp; &lt;b&gt;Co&lt;/b&gt;</strong>"
    ) in body
    # The name is shown as typed; only its rendering is escaped.
    assert _customer(runtime, customer_id).first_name == "<script>alert('x')</script>"


def test_html_routes_are_not_in_the_openapi_schema(api):
    paths = api.get("/openapi.json").json()["paths"]

    assert not [p for p in paths if p.startswith("/tos")]


# -- not found: one page for every mismatch --------------------------------------------------------------


def test_every_mismatch_gets_the_same_html_404(api, auth_headers):
    customer_id, url = _create(api, auth_headers)
    other_id, other_url = _create(api, auth_headers, kind="business")
    value = _value(url)
    cases = {
        "unknown customer": _page_url(str(uuid.uuid4()), value),
        "wrong value": _page_url(customer_id, str(uuid.uuid4())),
        "another customer's value": _page_url(customer_id, _value(other_url)),
        "value of this customer on another id": _page_url(other_id, value),
        "malformed id": _page_url("not-a-uuid", value),
        "id in another spelling": _page_url(customer_id.replace("-", ""), value),
        "empty value": _page_url(customer_id, ""),
        "overlong value": _page_url(customer_id, value + "x" * 100),
        "value with different case": _page_url(customer_id, value.upper()),
        "no parameters": "/tos",
        "only the id": "/tos?" + urlencode({"customer_id": customer_id}),
    }

    responses = {name: api.get(path) for name, path in cases.items()}

    bodies = {r.text for r in responses.values()}
    assert len(bodies) == 1, "the 404 page must not differ between kinds of mismatch"
    for name, r in responses.items():
        assert r.status_code == 404, name
        assert r.headers["content-type"] == "text/html; charset=utf-8", name
        assert r.headers["content-security-policy"], name
    body = bodies.pop()
    assert "<h1>Page not found</h1>" in body
    assert not _shows_accept_button(body)
    assert "John" not in body
    # Sanity: the genuine link still works, so the 404s above are about the mismatches.
    assert api.get(url).status_code == 200


def test_accepting_with_a_mismatch_gets_the_same_404_and_records_nothing(api, auth_headers, runtime):
    customer_id, url = _create(api, auth_headers)
    not_found_page = api.get(_page_url(str(uuid.uuid4()), _value(url))).text

    for cid, value in [
        (customer_id, str(uuid.uuid4())),
        (str(uuid.uuid4()), _value(url)),
        ("nonsense", _value(url)),
        (customer_id, ""),
    ]:
        r = _accept(api, cid, value)
        assert r.status_code == 404
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert r.text == not_found_page

    r = api.post("/tos/accept", follow_redirects=False)  # no form at all
    assert r.status_code == 404
    assert r.text == not_found_page

    customer = _customer(runtime, customer_id)
    assert customer.tos_accepted_at is None
    assert customer.tos_accepted_ip is None
    assert _acceptance_audits(runtime, customer_id) == []


# -- accepting -------------------------------------------------------------------------------------------


def test_accept_records_time_ip_and_user_agent_then_redirects_to_the_page(api, auth_headers, runtime, clock):
    customer_id, url = _create(api, auth_headers)
    value = _value(url)
    clock.offset = timedelta(days=-3)  # the runtime's clock decides the time, not the machine's
    before = runtime.now()

    r = _accept(api, customer_id, value, **{"User-Agent": "Mozilla/5.0 (Tollgate test browser)"})

    after = runtime.now()
    assert r.status_code == 303
    assert r.headers["location"] == _page_url(customer_id, value)
    customer = _customer(runtime, customer_id)
    assert customer.tos_accepted_at is not None
    assert before <= customer.tos_accepted_at <= after
    assert customer.tos_accepted_ip == "testclient"  # request.client.host of the test client
    assert customer.tos_accepted_user_agent == "Mozilla/5.0 (Tollgate test browser)"
    [entry] = _acceptance_audits(runtime, customer_id)
    assert (entry.actor_type, entry.actor_id) == ("customer", None)
    assert entry.created_at == customer.tos_accepted_at
    assert entry.details == {"ip": "testclient", "user_agent": "Mozilla/5.0 (Tollgate test browser)"}

    page = api.get(r.headers["location"])
    assert page.status_code == 200
    assert not _shows_accept_button(page.text)
    at = customer.tos_accepted_at.astimezone(UTC)
    assert (
        f'These terms were accepted on <time datetime="{at:%Y-%m-%dT%H:%M:%SZ}">'
        f"{at.day} {at:%B %Y at %H:%M} UTC</time>."
    ) in page.text


def test_a_second_accept_changes_nothing(api, auth_headers, runtime, clock):
    customer_id, url = _create(api, auth_headers)
    value = _value(url)
    assert _accept(api, customer_id, value, **{"User-Agent": "first"}).status_code == 303
    first = _customer(runtime, customer_id)
    page_after_first = api.get(url).text

    clock.offset = timedelta(days=2)
    r = _accept(api, customer_id, value, **{"User-Agent": "second"})

    assert r.status_code == 303
    assert r.headers["location"] == _page_url(customer_id, value)
    again = _customer(runtime, customer_id)
    assert again.tos_accepted_at == first.tos_accepted_at
    assert again.tos_accepted_ip == first.tos_accepted_ip
    assert again.tos_accepted_user_agent == "first"
    assert len(_acceptance_audits(runtime, customer_id)) == 1
    assert api.get(url).text == page_after_first


def test_an_attested_acceptance_shows_as_accepted_and_is_kept(api, auth_headers, runtime):
    # An attach call carrying the tos_policies_value records the integrator's attestation on the same columns.
    customer_id, url = _create(api, auth_headers)
    attested_at = datetime(2025, 1, 23, 9, 30, 15, tzinfo=UTC)
    with unit_of_work(runtime.write_sessions) as session:
        customer = session.get(Customer, uuid.UUID(customer_id))
        assert customer is not None
        customer.tos_accepted_at = attested_at
        customer.tos_accepted_ip = "203.0.113.7"
        customer.tos_accepted_user_agent = "integrator-backend/1.0"

    page = api.get(url)

    assert page.status_code == 200
    assert not _shows_accept_button(page.text)
    assert (
        'These terms were accepted on <time datetime="2025-01-23T09:30:15Z">'
        "23 January 2025 at 09:30 UTC</time>."
    ) in page.text

    assert _accept(api, customer_id, _value(url), **{"User-Agent": "browser"}).status_code == 303
    kept = _customer(runtime, customer_id)
    assert (kept.tos_accepted_at, kept.tos_accepted_ip, kept.tos_accepted_user_agent) == (
        attested_at,
        "203.0.113.7",
        "integrator-backend/1.0",
    )
    assert _acceptance_audits(runtime, customer_id) == []


def test_accept_posted_by_another_site_is_refused(api, auth_headers, runtime):
    customer_id, url = _create(api, auth_headers)
    value = _value(url)
    refused = [
        _accept(api, customer_id, value, Origin="https://evil.example"),
        _accept(api, customer_id, value, Origin="null"),
        _accept(api, customer_id, value, **{"Sec-Fetch-Site": "cross-site"}),
        _accept(api, customer_id, value, **{"Sec-Fetch-Site": "same-site"}),
        # The browser's Sec-Fetch-Site outranks an Origin that happens to look right.
        _accept(api, customer_id, value, Origin=BASE_URL, **{"Sec-Fetch-Site": "cross-site"}),
    ]

    for r in refused:
        assert r.status_code == 403
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert "<h1>Request refused</h1>" in r.text
    assert _customer(runtime, customer_id).tos_accepted_at is None
    assert _acceptance_audits(runtime, customer_id) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": BASE_URL, "Sec-Fetch-Site": "same-origin"},
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
        {"Origin": BASE_URL},
        {},
    ],
    ids=["browser", "browser-null-origin", "older-browser", "no-browser-headers"],
)
def test_accept_from_the_page_itself_is_allowed(api, auth_headers, runtime, headers):
    customer_id, url = _create(api, auth_headers)

    r = _accept(api, customer_id, _value(url), **headers)

    assert r.status_code == 303
    assert _customer(runtime, customer_id).tos_accepted_at is not None


# -- in a real browser -----------------------------------------------------------------------------------


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[tuple[str, Runtime]]:
    """The app on a real socket, with public_base_url pointing at it; same database as the other fixtures."""
    with serve(runtime) as live:
        yield live


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Debian's chromium is not installed at {CHROMIUM}")
def test_in_a_browser_the_customer_reads_and_accepts_the_terms(
    live_server: tuple[str, Runtime],
    make_client: Callable[..., auth.IssuedCredentials],
    settings: Settings,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, live_runtime = live_server
    creds = make_client("browser")
    with httpx.Client(base_url=base, timeout=10) as http:
        token = http.post(
            "/v1/oauth/token", json={"client_id": creds.client_id, "client_secret": creds.client_secret}
        )
        assert token.status_code == 200, token.text
        created = http.post(
            "/v2/customers/individual",
            json=individual_body(),
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
    assert created.status_code == 200, created.text
    customer_id = created.json()["data"]["customer_id"]
    url = created.json()["data"]["tos_policies_url"]
    assert url.startswith(f"{base}/tos?")
    user_agent = "Mozilla/5.0 (X11; Linux x86_64) TollgateBrowserTest/1.0"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(user_agent=user_agent)
            page = context.new_page()
            problems: list[str] = []
            page.on(
                "console", lambda msg: problems.append(msg.text) if "Security Policy" in msg.text else None
            )
            page.on("requestfailed", lambda req: problems.append(f"failed: {req.url}"))
            styles: list[int] = []
            page.on(
                "response", lambda resp: styles.append(resp.status) if resp.url.endswith(".css") else None
            )

            response = page.goto(url)
            assert response is not None and response.status == 200
            expect(page).to_have_title("Terms of service")
            expect(page.locator("#customer-name")).to_have_text("John Doe")
            expect(page.locator("#terms")).to_contain_text(settings.tos_text)
            accept = page.get_by_role("button", name="Accept")
            expect(accept).to_be_visible()
            # The stylesheet is applied: CSP lets our own styles through.
            assert accept.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(31, 94, 255)"

            with page.expect_navigation():
                accept.click()

            assert page.url == url  # post/redirect/get lands back on the same page
            expect(page.locator("#accepted")).to_contain_text("These terms were accepted on")
            expect(page.get_by_role("button", name="Accept")).to_have_count(0)

            customer = _customer(live_runtime, customer_id)
            assert customer.tos_accepted_at is not None
            assert customer.tos_accepted_ip == "127.0.0.1"
            assert customer.tos_accepted_user_agent == user_agent
            shown = customer.tos_accepted_at.astimezone(UTC)
            expect(page.locator("#accepted time")).to_have_attribute(
                "datetime", f"{shown:%Y-%m-%dT%H:%M:%SZ}"
            )

            page.reload()  # a reload is a GET: nothing is posted again
            expect(page.locator("#accepted")).to_be_visible()
            assert len(_acceptance_audits(live_runtime, customer_id)) == 1

            tampered = url.replace(_value(url), str(uuid.uuid4()))
            response = page.goto(tampered)
            assert response is not None and response.status == 404
            expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
            expect(page.get_by_role("button", name="Accept")).to_have_count(0)
            expect(page.locator("body")).not_to_contain_text("John")

            assert styles and set(styles) <= {200, 304}
            assert problems == []
        finally:
            browser.close()


def test_accepting_on_the_page_answers_a_terms_rfi(api, auth_headers, runtime):
    """Party documents submitted after an RFI, before the business ever attached (so no attestation):
    the checks ask for the terms; accepting them on the page answers that and the checks run again."""
    from urllib.parse import parse_qs, urlparse

    from sqlalchemy import select

    from tests.factories import business_body
    from tollgate.jobs.worker import drain
    from tollgate.verification.models import Rfi

    r = api.post("/v2/customers/business", json=business_body(), headers=auth_headers)
    cid = r.json()["customer_id"]
    url = urlparse(r.json()["tos_policies_url"])
    value = parse_qs(url.query)["tos_policies_value"][0]
    import uuid as _uuid

    # Put on hold, then asked for the terms, through the sandbox's decisions (a reviewer's commands).
    assert api.post(f"/sandbox/customers/{cid}/hold", json={}, headers=auth_headers).status_code == 200
    tos_rfi = {
        "section": "tos_policies_value",
        "categories": [
            {
                "document_type": "TOS",
                "fields": [{"field_name": "tos_policies_value", "data_type": "TEXT", "status": "MISSING"}],
            }
        ],
    }
    r = api.post(
        f"/sandbox/customers/{cid}/request-information", json={"rfis": [tos_rfi]}, headers=auth_headers
    )
    assert r.status_code == 200, r.text
    assert (
        api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]["customer_status"]
        == "ACTION_REQUIRED"
    )
    accepted = api.post(
        "/tos/accept",
        data={"customer_id": cid, "tos_policies_value": value},
        headers={"Origin": "http://tollgate.test"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    with runtime.read_sessions() as session:
        [row] = session.scalars(select(Rfi).where(Rfi.customer_id == _uuid.UUID(cid))).all()
        assert row.status == "answered"
    assert (
        api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]["customer_status"]
        == "PROCESSING"
    )
    drain(runtime)
    d = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]
    # the terms are settled; what is still missing (the documents) is asked for
    assert d["customer_status"] == "ACTION_REQUIRED"
    assert all(e["section"] != "tos_policies_value" for e in d["request_for_information"])
