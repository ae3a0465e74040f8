"""The reviewer console's whole journey, as people walk it, in Debian's chromium against one live server:
an admin adds a reviewer and a senior; the reviewer finds a sandbox customer whose passport expires within
two months, sees the passport and the EXPIRATION_DATE finding, asks for a new passport through the form;
the integrator answers with PATCH over HTTP; the case comes back with the answer; the reviewer approves,
the senior confirms (four-eyes); the customer is APPROVED in the API and the customer.status webhook reached
a real receiver. Also: a stale decision is refused, documents are 404 to API tokens and other tenants, and
axe-core finds no serious accessibility violation on any page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.console.helpers import PASSWORD, client_pk, make_operator
from tests.documents import samples
from tests.factories import individual_body
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, axe_violations, live_server, shoot
from tests.webhooks.conftest import Receiver
from tollgate.auth import service as auth
from tollgate.db import unit_of_work
from tollgate.jobs.worker import drain
from tollgate.verification import operators as ops

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no chromium at {CHROMIUM}")

SOON = (date.today() + timedelta(days=30)).isoformat()
LATER = (date.today() + timedelta(days=5 * 365)).isoformat()
PAST = (date.today() - timedelta(days=3 * 365)).isoformat()


@pytest.fixture(scope="module")
def server(runtime, clock) -> Iterator[tuple[str, Any]]:
    # Four-eyes on, as in live mode: an approval takes a senior's confirmation.
    with live_server(runtime, clock, console_four_eyes=True) as (base, live):
        yield base, live


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_page(browser, server):
    base, _ = server
    contexts = []
    problems: list[str] = []

    def make():
        context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        return page

    yield make
    for c in contexts:
        c.close()
    assert [p for p in problems if "status of 40" not in p] == []


class Integrator:
    """An API client talking to the live server over HTTP, as an integrator's backend would."""

    def __init__(self, base: str, runtime, name: str) -> None:
        with unit_of_work(runtime.write_sessions) as session:
            creds = auth.create_client(session, runtime.keys, runtime.now(), name=name)
        self.client_id = creds.client_id
        self.http = httpx.Client(base_url=base, timeout=15)
        r = self.http.post(
            "/v1/oauth/token", json={"client_id": creds.client_id, "client_secret": creds.client_secret}
        )
        assert r.status_code == 200, r.text
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def upload(self, cid: str, files: dict[str, tuple[str, bytes]]) -> dict[str, str]:
        r = self.http.post(
            "/v1/customers/upload",
            data={"customer_id": cid},
            files={k: (n, b, "application/octet-stream") for k, (n, b) in files.items()},
        )
        assert r.status_code == 200, r.text
        out: dict[str, str] = {}
        for item in r.json()["data"]["files"]:
            out.update(item)
        return out

    def customer_with_passport(self, first: str, last: str, expiry: str) -> str:
        body = individual_body()
        body["basic_info"].update(
            first_name=first, last_name=last, email=f"{first.lower()}+review@example.com"
        )
        r = self.http.post("/v2/customers/individual", json=body)
        assert r.status_code == 200, r.text
        cid = r.json()["data"]["customer_id"]
        tos = re.search(r"tos_policies_value=([0-9a-f-]+)", r.json()["data"]["tos_policies_url"]).group(1)
        uris = self.upload(
            cid,
            {
                "passport": ("passport.png", samples.png_bytes(seed=3)),
                "bill": ("bill.pdf", samples.pdf_bytes(text="Utility bill")),
            },
        )
        r = self.http.post(
            f"/v2/customers/{cid}/individual/attach",
            json={
                "identifying_documents": [
                    {
                        "type": "PASSPORT",
                        "number": "P7654321",
                        "country": "USA",
                        "issue_date": PAST,
                        "expiry_date": expiry,
                        "files": [{"uri": uris["passport"]}],
                    }
                ],
                "address_documents": [
                    {"type": "UTILITY_BILL", "country": "USA", "files": [{"uri": uris["bill"]}]}
                ],
                "tos_policies_value": tos,
            },
        )
        assert r.status_code == 200, r.text
        return cid

    def status(self, cid: str) -> dict[str, Any]:
        r = self.http.get(f"/v2/customers/{cid}")
        assert r.status_code == 200, r.text
        return r.json()["data"]


def _sign_in(page, username: str, password: str = PASSWORD) -> None:
    from playwright.sync_api import expect

    page.goto("/console/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()


def _no_serious_violations(page) -> None:
    found = axe_violations(page)
    assert found == [], found


def test_the_whole_journey(new_page, server, runtime, tmp_path) -> None:
    from playwright.sync_api import expect

    base, live = server
    make_operator(runtime, "root", ops.Role.ADMIN)
    receiver = Receiver()
    try:
        integrator = Integrator(base, live, "acme")
        r = integrator.http.post("/v2/webhook-endpoints", json={"url": receiver.url})
        assert r.status_code == 201, r.text
        cid = integrator.customer_with_passport("Nora", "Quinn", SOON)
        integrator.customer_with_passport("Otto", "Long", LATER)
        drain(live)
        assert integrator.status(cid)["customer_status"] == "REVIEWING"

        # An admin adds a reviewer and a senior.
        admin = new_page()
        _sign_in(admin, "root")
        admin.get_by_role("link", name="Operators").click()
        for name, role in (("rita", "reviewer"), ("sue", "senior")):
            form = admin.locator("#new-operator")
            form.get_by_label("Username").fill(name)
            form.get_by_label("Password (12+ characters)").fill(PASSWORD)
            form.get_by_label("Role").select_option(role)
            form.get_by_role("button", name="Create operator").click()
            expect(admin.locator(f'tr[data-username="{name}"]')).to_be_visible()

        # The reviewer finds the customer in the queue and opens it.
        page = new_page()
        _sign_in(page, "rita")
        row = page.locator(f'#queue tr[data-customer-id="{cid}"]')
        expect(row).to_contain_text("Nora Quinn")
        page.get_by_label("Search").fill("nora")
        page.get_by_role("button", name="Apply").click()
        expect(page.locator("#queue tbody tr")).to_have_count(1)
        page.get_by_role("link", name="Nora Quinn").click()
        expect(page.locator("#case-status")).to_have_text("REVIEWING")

        passport = page.locator('article[data-doc-type="PASSPORT"]')
        image = passport.locator("img")
        expect(image).to_be_visible()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        assert image.evaluate("img => img.naturalWidth") == 800
        expect(passport.locator('[data-label="EXPIRATION_DATE"]')).to_be_visible()
        expect(passport).to_contain_text("not valid for at least 2 month(s)")
        # Zoom and rotate.
        passport.get_by_role("button", name="Rotate").click()
        assert "rotate(90deg)" in image.evaluate("img => img.style.transform")
        # The proof of address is a PDF drawn in the page by pdf.js.
        pdf = page.locator('article[data-doc-type="UTILITY_BILL"] [data-pdf]')
        expect(pdf).to_have_attribute("data-rendered", "1", timeout=15000)
        expect(pdf.locator("canvas")).to_have_count(1)
        _no_serious_violations(page)
        shoot(page, "console-case", tmp_path)

        # It asks for a new passport through the form, with a preview of what the integrator will read.
        page.get_by_role("link", name="Request information", exact=True).click()
        page.get_by_label("Section").select_option("identifying_documents")
        page.get_by_label("Document type").select_option("PASSPORT")
        page.get_by_label("Status of files", exact=True).select_option("EXPIRED")
        page.get_by_label("Reason for files", exact=True).select_option(
            "Expired Identity document. A new document has been requested."
        )
        page.get_by_label("Status of expiry_date").select_option("INVALID")
        expect(page.locator("#rfi-preview")).to_contain_text('"status": "EXPIRED"')
        expect(page.locator("#rfi-preview")).to_contain_text('"field_name": "expiry_date"')
        _no_serious_violations(page)
        shoot(page, "console-request-information", tmp_path)
        page.get_by_role("button", name="Review the decision").click()
        expect(page.locator("#confirm-preview")).to_contain_text('"document_type": "PASSPORT"')
        _no_serious_violations(page)
        page.get_by_role("button", name="Confirm: Request information").click()
        expect(page.locator("#done")).to_contain_text("Information requested")
        expect(page.locator("#case-status")).to_have_text("ACTION_REQUIRED")

        detail = integrator.status(cid)
        assert detail["customer_status"] == "ACTION_REQUIRED"
        (entry,) = detail["request_for_information"]
        assert entry["section"] == "identifying_documents"
        assert [f["field_name"] for f in entry["categories"][0]["fields"]] == ["files", "expiry_date"]

        # The integrator answers with PATCH /v1/customers/{id} over HTTP.
        uris = integrator.upload(cid, {"passport": ("new-passport.png", samples.png_bytes(seed=9))})
        r = integrator.http.patch(
            f"/v1/customers/{cid}",
            json={
                "identifying_documents": [
                    {
                        "type": "PASSPORT",
                        "number": "P1112223",
                        "country": "USA",
                        "issue_date": PAST,
                        "expiry_date": LATER,
                        "files": [{"uri": uris["passport"]}],
                    }
                ]
            },
        )
        assert r.status_code == 200, r.text
        drain(live)
        assert integrator.status(cid)["customer_status"] == "REVIEWING"

        # Back in the queue, with the answer visible.
        page.get_by_role("link", name="Queue", exact=True).click()
        expect(page.locator(f'#queue tr[data-customer-id="{cid}"]')).to_be_visible()
        page.get_by_role("link", name="Nora Quinn").click()
        expect(page.locator("#rfi-history li").first).to_contain_text("answered")
        expect(page.locator("#rfi-history .answer").first).to_contain_text("P1112223")
        new_passport = page.locator('article[data-doc-type="PASSPORT"]').first
        expect(new_passport).to_contain_text("P1112223")
        expect(new_passport.locator('[data-label="EXPIRATION_DATE"]')).to_have_count(0)

        # The reviewer approves: four-eyes makes it a proposal.
        page.get_by_role("link", name="Approve", exact=True).click()
        page.get_by_role("button", name="Review the decision").click()
        page.get_by_role("button", name="Propose: Approve").click()
        expect(page.locator("#done")).to_contain_text("Proposed")
        expect(page.locator("#proposals")).to_contain_text("proposed by rita")
        expect(page.get_by_role("button", name="Confirm decision")).to_have_count(0)
        assert integrator.status(cid)["customer_status"] == "REVIEWING"

        # The senior confirms.
        senior = new_page()
        _sign_in(senior, "sue")
        senior.goto(f"/console/cases/{cid}")
        _no_serious_violations(senior)
        shoot(senior, "console-four-eyes", tmp_path)
        senior.get_by_role("button", name="Confirm decision").click()
        expect(senior.locator("#done")).to_contain_text("Confirmed and applied")
        expect(senior.locator("#case-status")).to_have_text("APPROVED")

        assert integrator.status(cid)["customer_status"] == "APPROVED"
        drain(live)
        assert receiver.wait_for(1)
        statuses = [
            r.json["data"] for r in receiver.requests if r.json["event"].get("type") == "customer.status"
        ]
        assert any(d.get("customer_id") == cid and "APPROVED" in str(d) for d in statuses), statuses
        senior.reload()
        expect(
            senior.locator(
                '#webhooks tr[data-type="customer.status"] .delivery[data-status="succeeded"]'
            ).first
        ).to_be_visible()
        shoot(senior, "console-approved", tmp_path)
    finally:
        receiver.close()


def test_a_stale_decision_is_refused(new_page, server, runtime) -> None:
    from playwright.sync_api import expect

    base, live = server
    make_operator(runtime, "rita")
    integrator = Integrator(base, live, "acme")
    cid = integrator.customer_with_passport("Pia", "Stale", LATER)
    drain(live)
    page = new_page()
    _sign_in(page, "rita")
    page.goto(f"/console/cases/{cid}")
    page.get_by_role("link", name="Hold", exact=True).click()
    # Meanwhile the integrator's sandbox puts the case on hold.
    assert integrator.http.post(f"/sandbox/customers/{cid}/hold", json={}).status_code == 200
    page.get_by_role("button", name="Review the decision").click()
    page.get_by_role("button", name="Confirm: Put on hold").click()
    expect(page.locator("#error")).to_contain_text("This case changed since you opened it")
    expect(page.locator("#error")).to_contain_text("REVIEWING -> IN_COMPLIANCE")
    expect(page.locator("#case-status")).to_have_text("IN_COMPLIANCE")


def test_documents_are_404_to_api_tokens_and_other_tenants(new_page, server, runtime) -> None:
    base, live = server
    integrator = Integrator(base, live, "acme")
    cid = integrator.customer_with_passport("Ida", "Doc", LATER)
    drain(live)
    make_operator(runtime, "rita")
    other = Integrator(base, live, "other")
    make_operator(runtime, "olga", client_pks=[client_pk(runtime, other.client_id)])

    page = new_page()
    _sign_in(page, "rita")
    page.goto(f"/console/cases/{cid}")
    src = page.locator('article[data-doc-type="PASSPORT"] img').get_attribute("src")
    assert src and src.startswith("/console/files/")
    ok = page.request.get(src)
    assert ok.status == 200 and ok.headers["content-type"] == "image/png"

    # The integrator's own API token: 404, as for an unknown file.
    assert integrator.http.get(src).status_code == 404
    assert integrator.http.get(f"/console/files/{uuid.uuid4()}").status_code == 404
    # An operator of another API client: 404, and the case itself is 404 too.
    olga = new_page()
    _sign_in(olga, "olga")
    assert olga.request.get(src).status == 404
    assert olga.goto(f"/console/cases/{cid}").status == 404
