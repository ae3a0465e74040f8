"""Uploaded file names made safe, and URIs in Fin's shape."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollgate.documents.storage import (
    KEY_PATTERN,
    MAX_FILENAME_LENGTH,
    InvalidKey,
    check_key,
    key_for_uri,
    make_uri,
    safe_filename,
)

URI_SHAPE = re.compile(r"/[A-Za-z0-9]{8}_(.+)")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("testdoc1.png", "testdoc1.png"),
        ("Germany-passport.jpg", "Germany-passport.jpg"),
        ("germany-poa-green.jpg", "germany-poa-green.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ana\\Desktop\\id card.PDF", "id_card.PDF"),
        ("/tmp/x/scan.jpeg", "scan.jpeg"),
        ("a b  c!!.pdf", "a_b_c.pdf"),
        ("doc\x00\x1f\x7f.png", "doc.png"),
        ("tab\there.pdf", "tab_here.pdf"),
        ("Müller Größe.pdf", "Muller_Gro_e.pdf"),
        ("名前.png", "file.png"),
        (".pdf", "file.pdf"),
        (".hidden", "file.hidden"),
        ("..", "file"),
        ("", "file"),
        ("   ", "file"),
        ("-rf.jpg", "rf.jpg"),
        ("report..final...pdf", "report.final.pdf"),
        ("archive.tar.gz", "archive.tar.gz"),
        ("no_extension", "no_extension"),
        ("trailing.", "trailing"),
        ("weird.ext with space", "weird.ext_with_space"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_a_long_name_is_cut_and_keeps_its_extension() -> None:
    name = safe_filename("x" * 300 + ".jpeg")
    assert len(name) == MAX_FILENAME_LENGTH
    assert name == "x" * (MAX_FILENAME_LENGTH - 5) + ".jpeg"
    assert safe_filename("y" * 50 + ".pdf", max_length=20) == "y" * 16 + ".pdf"


def test_a_cut_never_ends_on_a_separator() -> None:
    assert safe_filename("a" * 95 + "_bbbbbbbb.pdf") == "a" * 95 + ".pdf"


def test_max_length_leaves_room_for_a_stem() -> None:
    with pytest.raises(ValueError, match="max_length"):
        safe_filename("a.pdf", max_length=15)


@given(st.text(max_size=400))
def test_any_name_becomes_a_short_non_empty_safe_name(name: str) -> None:
    safe = safe_filename(name)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", safe)
    assert 0 < len(safe) <= MAX_FILENAME_LENGTH
    assert ".." not in safe
    assert safe_filename(safe) == safe


def test_make_uri_has_fins_shape() -> None:
    uri = make_uri("testdoc1.png")
    match = URI_SHAPE.fullmatch(uri)
    assert match and match.group(1) == "testdoc1.png"


def test_make_uri_sanitises_the_name() -> None:
    match = URI_SHAPE.fullmatch(make_uri("../../my passport.JPG"))
    assert match and match.group(1) == "my_passport.JPG"


def test_make_uri_is_random() -> None:
    assert len({make_uri("a.png") for _ in range(50)}) == 50


@given(st.text(max_size=400))
def test_every_uri_maps_to_a_valid_store_key(name: str) -> None:
    uri = make_uri(name)
    key = key_for_uri(uri)
    assert key == uri[1:]
    assert KEY_PATTERN.fullmatch(key)


@pytest.mark.parametrize("uri", ["ZuyUaH3a_testdoc1.png", "/", "//etc/passwd", "/../x", "/a/b", ""])
def test_key_for_uri_refuses_what_make_uri_cannot_produce(uri: str) -> None:
    with pytest.raises(InvalidKey):
        key_for_uri(uri)


def test_check_key_returns_a_valid_key() -> None:
    assert check_key("ZuyUaH3a_testdoc1.png") == "ZuyUaH3a_testdoc1.png"
