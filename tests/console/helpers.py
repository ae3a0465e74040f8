"""Operators signed in to the console the way a person signs in: the login form, its CSRF token, cookies."""

from __future__ import annotations

import re
import uuid

import httpx
from fastapi.testclient import TestClient

from tollgate.db import unit_of_work
from tollgate.runtime import Runtime
from tollgate.verification import operators as ops

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_operator(
    runtime: Runtime,
    username: str,
    role: ops.Role = ops.Role.REVIEWER,
    client_pks: list[uuid.UUID] | None = None,
    password: str = PASSWORD,
) -> uuid.UUID:
    with unit_of_work(runtime.write_sessions) as session:
        return ops.create_operator(
            session, runtime.now(), username=username, password=password, role=role, client_pks=client_pks
        ).id


def csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(
    client: TestClient | httpx.Client, username: str, password: str = PASSWORD, code: str | None = None
) -> httpx.Response:
    page = client.get("/console/login")
    assert page.status_code == 200
    data = {"csrf_token": csrf(page.text), "username": username, "password": password, "next": ""}
    if code:
        data["code"] = code
    return client.post("/console/login", data=data, follow_redirects=False)


def signed_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in and return the session's CSRF token (read from the queue page)."""
    r = sign_in(client, username, password)
    assert r.status_code == 303, r.text
    page = client.get("/console/queue")
    assert page.status_code == 200, page.text
    return csrf(page.text)


def client_pk(runtime: Runtime, client_id: str) -> uuid.UUID:
    from tollgate.auth import service as auth

    with runtime.read_sessions() as session:
        client = auth.get_client_by_client_id(session, client_id)
        assert client is not None
        return client.id
