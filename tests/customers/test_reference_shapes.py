"""The reference pages' JSON, taken from the pages themselves, against customers created through the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.factories import business_body, individual_body

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
# Keys the reference shows with a value that is null until something happens (a rejection, a reason).
NULLABLE = {"rejection_reason", "for_customer", "for_developer", "applicant"}


def _first_json(text: str) -> Any:
    decoder = json.JSONDecoder()
    start = text.index("{")
    while True:
        try:
            value, _ = decoder.raw_decode(text[start:])
            return value
        except json.JSONDecodeError:
            start = text.index("{", start + 1)


def _reference(prefix: str) -> Any:
    [path] = REFERENCE.glob(f"{prefix}_*.txt")
    return _first_json(path.read_text())


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def assert_same_shape(ours: Any, ref: Any, path: str = "$") -> None:
    if isinstance(ref, dict):
        assert isinstance(ours, dict), f"{path}: expected object, got {ours!r}"
        assert list(ours) == list(ref), f"{path}: keys {list(ours)} != {list(ref)}"
        for key in ref:
            if ours[key] is None and (ref[key] is None or key in NULLABLE):
                continue
            assert_same_shape(ours[key], ref[key], f"{path}.{key}")
    elif isinstance(ref, list):
        assert isinstance(ours, list), f"{path}: expected array"
        if ref and ours:
            for i, item in enumerate(ours):
                assert_same_shape(item, ref[0], f"{path}[{i}]")
    elif ref is None:
        assert ours is None, f"{path}: expected null"
    else:
        assert _kind(ours) == _kind(ref), f"{path}: {ours!r} is not like {ref!r}"


def test_list_page_matches_the_reference(api, auth_headers):
    ref = _reference("000")
    assert (
        api.post("/v2/customers/individual", json=individual_body(), headers=auth_headers).status_code == 200
    )
    assert api.post("/v2/customers/business", json=business_body(), headers=auth_headers).status_code == 201
    ref_items = {item["type"]: item for item in ref["data"]["customers"]}
    for kind in ("INDIVIDUAL", "BUSINESS"):
        ours = api.get("/v2/customers", params={"type": kind, "per_page": 40}, headers=auth_headers).json()
        assert_same_shape(ours["data"]["pagination"], ref["data"]["pagination"])
        assert list(ours["data"]) == list(ref["data"])
        [item] = ours["data"]["customers"]
        assert_same_shape(item, ref_items[kind])


def test_business_detail_matches_the_reference(api, auth_headers):
    ref = _reference("001")
    r = api.post("/v2/customers/business", json=business_body(), headers=auth_headers)
    ours = api.get(f"/v2/customers/{r.json()['customer_id']}", headers=auth_headers).json()
    assert_same_shape(ours, ref)
    assert [p["ownership_percent"] for p in ours["data"]["associated_parties"]] == [60, 40]


def test_the_comparison_catches_a_missing_key():
    ref = _reference("001")
    broken = json.loads(json.dumps(ref))
    del broken["data"]["associated_parties"][0]["verification"]["updated_at"]
    with pytest.raises(AssertionError):
        assert_same_shape(broken, ref)
