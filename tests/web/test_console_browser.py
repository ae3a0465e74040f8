"""The reviewer console in Debian's chromium (Playwright) against one live server for the module: signing
in, operators managed by an admin, the queue, the sign-in limit, CSRF, accessibility (axe-core)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.console.helpers import PASSWORD, make_operator
from tests.journeys import reach
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, axe_violations, live_server, shoot
from tollgate.verification import operators as ops

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no chromium at {CHROMIUM}")


@pytest.fixture(scope="module")
def server(runtime, clock) -> Iterator[str]:
    with live_server(runtime, clock) as (base, _live):
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_page(browser, server, tmp_path):
    contexts = []
    problems: list[str] = []

    def make():
        context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        return page

    yield make
    for c in contexts:
        c.close()
    assert [p for p in problems if "status of 40" not in p] == []


def _sign_in(page, username: str, password: str = PASSWORD) -> None:
    from playwright.sync_api import expect

    page.goto("/console")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_an_admin_adds_a_reviewer_who_finds_a_case_in_the_queue(
    new_page, runtime, api, auth_headers, tmp_path
) -> None:
    from playwright.sync_api import expect

    waiting = reach(api, auth_headers, runtime, "REVIEWING")
    reach(api, auth_headers, runtime, "REVIEWING", business=True)
    reach(api, auth_headers, runtime, "APPROVED")
    make_operator(runtime, "root", ops.Role.ADMIN)

    page = new_page()
    page.goto("/console/queue")
    expect(page).to_have_url(re.compile(r"/console/login\?next=%2Fconsole%2Fqueue$"))
    assert axe_violations(page) == []
    shoot(page, "console-sign-in", tmp_path)
    _sign_in(page, "root")
    expect(page).to_have_url(re.compile("/console/queue$"))
    page.get_by_role("link", name="Operators").click()
    expect(page.get_by_role("heading", name="Operators")).to_be_visible()
    form = page.locator("#new-operator")
    form.get_by_label("Username").fill("rita")
    form.get_by_label("Password (12+ characters)").fill(PASSWORD)
    form.get_by_label("Role").select_option("reviewer")
    page.get_by_role("button", name="Create operator").click()
    expect(page.locator("#done")).to_have_text("Operator created.")
    expect(page.locator('tr[data-username="rita"]')).to_contain_text("active")
    assert axe_violations(page) == []
    shoot(page, "console-operators", tmp_path)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    _sign_in(page, "rita")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator('a[data-status="REVIEWING"] strong')).to_have_text("2")
    expect(page.locator('a[data-status="APPROVED"] strong')).to_have_text("1")
    expect(page.get_by_role("link", name="Operators")).to_have_count(0)
    assert axe_violations(page) == []
    shoot(page, "console-queue", tmp_path)

    # The pages around the queue: the operator's own account, and a message page (an unknown case).
    page.goto("/console/account")
    expect(page.get_by_role("heading", name="Account")).to_be_visible()
    assert axe_violations(page) == []
    shoot(page, "console-account", tmp_path)
    page.goto("/console/cases/00000000-0000-4000-8000-000000000000")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert axe_violations(page) == []
    page.goto("/console/queue")

    page.get_by_label("Search").fill("X1234567")  # a passport number: found through its blind index
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-customer-id", waiting)
    expect(page.locator("#searched")).to_contain_text("tax id or document number")
    page.get_by_label("Type").select_option("BUSINESS")
    page.get_by_label("Search").fill("")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("BUSINESS")


def test_failed_sign_ins_lock_the_account_and_an_admin_unlocks_it(new_page, runtime, tmp_path) -> None:
    from playwright.sync_api import expect

    make_operator(runtime, "rita")
    make_operator(runtime, "root", ops.Role.ADMIN)
    page = new_page()
    for _ in range(runtime.settings.console_login_max_failures):
        _sign_in(page, "rita", "not the password")
    expect(page.locator("#login-error")).to_contain_text("Too many failed sign-ins")
    _sign_in(page, "rita")
    expect(page.locator("#login-error")).to_contain_text("locked until")
    shoot(page, "console-locked", tmp_path)

    admin = new_page()
    _sign_in(admin, "root")
    admin.goto("/console/operators")
    row = admin.locator('tr[data-username="rita"]')
    expect(row).to_contain_text("locked until")
    row.get_by_role("button", name="Unlock rita").click()
    expect(admin.locator("#done")).to_have_text("Account unlocked.")

    _sign_in(page, "rita")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()


def test_a_form_posted_without_its_csrf_token_is_refused(new_page, runtime) -> None:
    from playwright.sync_api import expect

    make_operator(runtime, "root", ops.Role.ADMIN)
    page = new_page()
    _sign_in(page, "root")
    page.goto("/console/operators")
    form = page.locator("#new-operator")
    form.get_by_label("Username").fill("mallory")
    form.get_by_label("Password (12+ characters)").fill(PASSWORD)
    # As a forged form would arrive: without the session's token.
    page.evaluate("document.querySelector('#new-operator input[name=csrf_token]').remove()")
    page.get_by_role("button", name="Create operator").click()
    expect(page.get_by_role("heading", name="Form refused")).to_be_visible()
    expect(page.locator("#message")).to_contain_text("did not carry the security token of this session")
    with runtime.read_sessions() as session:
        assert ops.get_by_username(session, "mallory") is None


def test_docs_render_offline(new_page) -> None:
    from playwright.sync_api import expect

    page = new_page()
    outside: list[str] = []
    page.route(
        re.compile(r"^https?://(?!127\.0\.0\.1)"),
        lambda route: (outside.append(route.request.url), route.abort()),
    )
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Tollgate")
    expect(page.get_by_text("/v2/customers/individual").first).to_be_visible()
    assert outside == []
