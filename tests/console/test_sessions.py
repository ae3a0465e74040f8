"""Signing in to the console: password, cookie, CSRF, idle timeout, lockout, TOTP, roles."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from sqlalchemy import select

from tests.console.helpers import PASSWORD, client_pk, csrf, make_operator, sign_in, signed_in
from tollgate.console.models import OperatorSession
from tollgate.verification import operators as ops
from tollgate.verification.models import Operator


def _op(runtime, username):
    with runtime.read_sessions() as session:
        return session.scalars(select(Operator).where(Operator.username == username)).one()


def test_pages_need_a_session(api):
    r = api.get("/console/queue", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login?next=%2Fconsole%2Fqueue"
    r = api.get("/console/login")
    assert r.status_code == 200
    assert "<h1>Sign in</h1>" in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_sign_in_sets_a_strict_http_only_cookie_and_logout_ends_the_session(api, runtime):
    make_operator(runtime, "alice")
    r = sign_in(api, "alice")
    assert r.status_code == 303
    assert r.headers["location"] == "/console/queue"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("tollgate_console=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert (
        "Secure" not in cookie
    )  # sandbox mode on plain http; live mode sets it (test_live_cookie_is_secure)
    page = api.get("/console/queue")
    assert page.status_code == 200 and "alice" in page.text
    with runtime.read_sessions() as session:
        stored = session.scalars(select(OperatorSession)).all()
    assert len(stored) == 1
    token = r.cookies["tollgate_console"]
    assert stored[0].id != token and len(stored[0].id) == 64  # only a hash is kept

    out = api.post("/console/logout", data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    with runtime.read_sessions() as session:
        assert session.scalars(select(OperatorSession)).all() == []
    api.cookies.set("tollgate_console", token)  # the old cookie, replayed
    assert api.get("/console/queue", follow_redirects=False).status_code == 303


def test_live_cookie_is_secure(app, runtime, monkeypatch):
    from fastapi.testclient import TestClient

    make_operator(runtime, "alice")
    live = runtime.settings.model_copy(update={"mode": "live", "console_require_totp": False})
    monkeypatch.setattr(runtime, "settings", live)
    with TestClient(app, base_url="https://tollgate.test") as client:
        r = sign_in(client, "alice")
    assert r.status_code == 303
    assert "Secure" in r.headers["set-cookie"]


def test_wrong_password_and_unknown_user_answer_alike(api, runtime):
    make_operator(runtime, "alice")
    a = sign_in(api, "alice", "wrong password!!")
    b = sign_in(api, "nobody", "wrong password!!")
    assert a.status_code == b.status_code == 401
    assert "Wrong username, password or code." in a.text and "Wrong username, password or code." in b.text
    assert "tollgate_console=" not in a.headers.get("set-cookie", "")


def test_login_form_without_its_token_is_refused(api, runtime):
    make_operator(runtime, "alice")
    api.get("/console/login")
    r = api.post(
        "/console/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "expired or was not sent from this page" in r.text


def test_a_form_without_the_session_csrf_token_is_refused_and_changes_nothing(api, runtime):
    make_operator(runtime, "root", ops.Role.ADMIN)
    token = signed_in(api, "root")
    for data in ({}, {"csrf_token": token[:-2] + "xx"}):
        r = api.post(
            "/console/operators",
            data={**data, "username": "mallory", "password": PASSWORD, "role": "admin"},
            follow_redirects=False,
        )
        assert r.status_code == 403
        assert "did not carry the security token of this session" in r.text
    with runtime.read_sessions() as session:
        assert ops.get_by_username(session, "mallory") is None


def test_failed_logins_lock_the_account_visibly_until_an_admin_unlocks_it(api, runtime, clock):
    make_operator(runtime, "alice")
    make_operator(runtime, "root", ops.Role.ADMIN)
    limit = runtime.settings.console_login_max_failures
    for _ in range(limit - 1):
        assert sign_in(api, "alice", "not the password").status_code == 401
    r = sign_in(api, "alice", "not the password")
    assert r.status_code == 401
    assert "Too many failed sign-ins: this account is locked until" in r.text
    # Even the right password is refused while locked, and says why.
    r = sign_in(api, "alice")
    assert r.status_code == 401 and "locked until" in r.text

    admin_token = signed_in(api, "root")
    page = api.get("/console/operators")
    assert "locked until" in page.text and "Unlock alice" in page.text
    alice = _op(runtime, "alice")
    r = api.post(
        f"/console/operators/{alice.id}/unlock", data={"csrf_token": admin_token}, follow_redirects=False
    )
    assert r.status_code == 303
    assert _op(runtime, "alice").locked_until is None
    api.cookies.clear()
    assert sign_in(api, "alice").status_code == 303


def test_the_lock_runs_out(api, runtime, clock):
    make_operator(runtime, "alice")
    for _ in range(runtime.settings.console_login_max_failures):
        sign_in(api, "alice", "not the password")
    assert sign_in(api, "alice").status_code == 401
    clock.offset += timedelta(seconds=runtime.settings.console_lockout_seconds + 1)
    assert sign_in(api, "alice").status_code == 303


def test_idle_sessions_end(api, runtime, clock):
    make_operator(runtime, "alice")
    signed_in(api, "alice")
    clock.offset += timedelta(seconds=runtime.settings.console_idle_timeout_seconds - 120)
    assert api.get("/console/queue", follow_redirects=False).status_code == 200  # activity renews it
    clock.offset += timedelta(seconds=runtime.settings.console_idle_timeout_seconds - 120)
    assert api.get("/console/queue", follow_redirects=False).status_code == 200
    clock.offset += timedelta(seconds=runtime.settings.console_idle_timeout_seconds + 1)
    r = api.get("/console/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")


def test_disabled_operators_are_signed_out_and_cannot_sign_in(api, runtime):
    make_operator(runtime, "alice")
    make_operator(runtime, "root", ops.Role.ADMIN)
    from fastapi.testclient import TestClient

    with TestClient(api.app, base_url=str(api.base_url)) as alice:
        signed_in(alice, "alice")
        admin_token = signed_in(api, "root")
        r = api.post(
            f"/console/operators/{_op(runtime, 'alice').id}/disable",
            data={"csrf_token": admin_token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert alice.get("/console/queue", follow_redirects=False).status_code == 303
        r = sign_in(alice, "alice")
        assert r.status_code == 401 and "disabled" in r.text


def test_only_admins_manage_operators(api, runtime):
    make_operator(runtime, "bob", ops.Role.SENIOR)
    token = signed_in(api, "bob")
    assert api.get("/console/operators").status_code == 403
    r = api.post("/console/operators", data={"csrf_token": token, "username": "x", "password": PASSWORD})
    assert r.status_code == 403
    assert 'href="/console/operators"' not in api.get("/console/queue").text


def test_admin_creates_operators_with_roles_and_clients(api, runtime, make_client):
    make_operator(runtime, "root", ops.Role.ADMIN)
    acme = client_pk(runtime, make_client("acme").client_id)
    token = signed_in(api, "root")
    r = api.post(
        "/console/operators",
        data={
            "csrf_token": token,
            "username": "carol",
            "password": PASSWORD,
            "role": "senior",
            "clients": [str(acme)],
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    carol = _op(runtime, "carol")
    assert carol.role == "senior" and carol.client_pks == [str(acme)]
    page = api.get("/console/operators?done=created")
    assert "Operator created." in page.text
    r = api.post(
        "/console/operators",
        data={"csrf_token": token, "username": "dave", "password": "short", "role": "reviewer"},
    )
    assert r.status_code == 422 and "at least 12 characters" in r.text
    r = api.post(
        f"/console/operators/{carol.id}/role",
        data={"csrf_token": token, "role": "reviewer"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and _op(runtime, "carol").role == "reviewer"
    r = api.post(
        f"/console/operators/{carol.id}/password",
        data={"csrf_token": token, "password": "a new password 1"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    api.cookies.clear()
    assert sign_in(api, "carol", "a new password 1").status_code == 303


def test_totp_second_factor(api, runtime, clock):
    make_operator(runtime, "alice")
    token = signed_in(api, "alice")
    page = api.get("/console/account")
    import re

    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    bad = api.post("/console/account/totp", data={"csrf_token": token, "secret": secret, "code": "000000"})
    assert bad.status_code == 422 and "does not match" in bad.text
    good = api.post(
        "/console/account/totp",
        data={"csrf_token": token, "secret": secret, "code": pyotp.TOTP(secret).at(runtime.now())},
        follow_redirects=False,
    )
    assert good.status_code == 303
    api.cookies.clear()
    r = sign_in(api, "alice")
    assert r.status_code == 401 and "6-digit code" in r.text
    clock.offset += timedelta(seconds=60)
    assert sign_in(api, "alice", code="123456").status_code == 401
    code = pyotp.TOTP(secret).at(runtime.now())
    assert sign_in(api, "alice", code=code).status_code == 303
    api.cookies.clear()
    # A code is good once.
    assert sign_in(api, "alice", code=code).status_code == 401


def test_live_mode_requires_a_second_factor_before_anything_else(api, runtime, monkeypatch):
    make_operator(runtime, "alice")
    live = runtime.settings.model_copy(update={"console_require_totp": True})
    monkeypatch.setattr(runtime, "settings", live)
    assert sign_in(api, "alice").status_code == 303
    r = api.get("/console/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/account"
    page = api.get("/console/account")
    assert "This server requires a second factor" in page.text


def test_next_never_leaves_the_console(api, runtime):
    make_operator(runtime, "alice")
    page = api.get("/console/login?next=https://evil.example/")
    r = api.post(
        "/console/login",
        data={
            "csrf_token": csrf(page.text),
            "username": "alice",
            "password": PASSWORD,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/console/queue"


def test_operator_api_token_respects_lock_and_disable(api, runtime):
    make_operator(runtime, "alice")
    for _ in range(runtime.settings.console_login_max_failures):
        api.post("/ops/v1/token", json={"username": "alice", "password": "wrong password!!"})
    r = api.post("/ops/v1/token", json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 401
