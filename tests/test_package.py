"""The package as a user gets it: the wheel (and the wheel built from the sdist) installed into a fresh
virtualenv in an empty folder, then `tollgate migrate`, `tollgate serve` and the README's quick start."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import individual_body
from tollgate.testing.server import free_port, stop, wait_until_up

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "src" / "tollgate"


def _run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{args}: {proc.stdout}\n{proc.stderr}"
    return proc


def _source_files() -> set[str]:
    """Every file of the package in the source tree, as a path inside the wheel."""
    found = set()
    for path in SOURCE.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            found.add(str(path.relative_to(SOURCE.parent)))
    return found


def _wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return {n for n in zf.namelist() if n.startswith("tollgate/") and not n.endswith("/")}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheel built from the tree, and the wheel built from the sdist built from the tree."""
    out = tmp_path_factory.mktemp("dist")
    build = tmp_path_factory.mktemp("build")
    shutil.copytree(REPO, build / "tree", ignore=shutil.ignore_patterns(".venv", "var", ".git", "*.egg-info"))
    tree = build / "tree"
    _run(sys.executable, "-m", "build", "--wheel", "--outdir", out / "wheel", tree)
    # Without --wheel or --sdist: the sdist, then a wheel built from that sdist alone.
    _run(sys.executable, "-m", "build", "--outdir", out / "from-sdist", tree)
    (sdist,) = (out / "from-sdist").glob("tollgate-*.tar.gz")
    (wheel,) = (out / "wheel").glob("tollgate-*.whl")
    (from_sdist,) = (out / "from-sdist").glob("tollgate-*.whl")
    return {"wheel": wheel, "sdist": sdist, "from_sdist": from_sdist}


def test_the_wheel_and_the_sdist_hold_every_file_of_the_package(built: dict[str, Path]) -> None:
    expected = _source_files()
    assert {"tollgate/migrations/env.py", "tollgate/web/static/vendor/pdf.worker.min.mjs"} <= expected
    in_wheel = _wheel_files(built["wheel"])
    assert sorted(expected - in_wheel) == []
    assert sorted(expected - _wheel_files(built["from_sdist"])) == []
    with zipfile.ZipFile(built["wheel"]) as zf:
        metadata = next(n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt"))
        entry_points = zf.read(metadata).decode()
    assert "tollgate = tollgate.cli.main:main" in entry_points
    assert "tollgate = tollgate.testing.plugin" in entry_points


@pytest.fixture(scope="module")
def installed(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv (no system site-packages) with the wheel and its runtime requirements only."""
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    _run(env_dir / "bin" / "python", "-m", "pip", "install", "--quiet", built["wheel"])
    return env_dir / "bin"


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """A user's environment: no TOLLGATE_* settings, the platform's data folder in the test's folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_")}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    return env


@pytest.fixture
def served(installed: Path, user_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    empty = tmp_path / "empty"
    empty.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**user_env, "TOLLGATE_PUBLIC_BASE_URL": base}
    migrated = _run(installed / "tollgate", "migrate", cwd=empty, env=env)
    assert "up to date" in migrated.stdout
    assert (tmp_path / "data" / "tollgate" / "tollgate.db").is_file()
    server = subprocess.Popen(
        [installed / "tollgate", "serve", "--port", str(port)],
        cwd=empty,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_up(base, server, 60)
        yield base
    finally:
        stop(server, timeout=30)
    assert list(empty.iterdir()) == [], "the server wrote into the current folder"


def test_installed_package_migrates_serves_and_answers_the_quick_start(
    served: str, installed: Path, user_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**user_env, "TOLLGATE_PUBLIC_BASE_URL": served}
    assert _run(installed / "python", "-m", "tollgate", "version", env=env).stdout.startswith("tollgate ")
    creds = json.loads(_run(installed / "tollgate", "clients", "create", "--name", "demo", env=env).stdout)

    with httpx.Client(base_url=served, timeout=30) as http:
        token = http.post("/v1/oauth/token", json=creds)
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        john = http.post("/v2/customers/individual", json=individual_body(), headers=headers)
        assert john.status_code == 200, john.text
        john_id = john.json()["data"]["customer_id"]
        business = json.loads((REPO / "docs" / "examples" / "business.json").read_text())
        made = http.post("/v2/customers/business", json=business, headers=headers)
        assert made.status_code == 201, made.text
        listed = http.get("/v2/customers", params={"type": "INDIVIDUAL"}, headers=headers)
        assert listed.status_code == 200
        assert [c["customer_id"] for c in listed.json()["data"]["customers"]] == [john_id]
        detail = http.get(f"/v2/customers/{john_id}", headers=headers)
        assert detail.status_code == 200 and detail.json()["data"]["customer_id"] == john_id
        # Data files the server reads at run time: the catalogue, the terms page and the console's assets.
        assert http.get("/v1/occupations", headers=headers).json()
        assert http.get("/console/login").status_code == 200
        assert http.get("/static/vendor/pdf.worker.min.mjs").status_code == 200
