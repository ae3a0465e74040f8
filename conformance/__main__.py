"""``python -m conformance`` (``make conformance``): a fresh Tollgate on a throw-away SQLite database (or
``--database-url``), driven with Fin's OpenAPI description; writes docs/conformance.md and exits 1 on any
difference that is not deliberate."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from conformance.report import render
from conformance.run import run
from tollgate.customers.schemas import IndividualCustomerCreate

ROOT = Path(__file__).resolve().parents[1]
# The individual create's own example (its OpenAPI entry shows it): a valid body.
INDIVIDUAL = IndividualCustomerCreate.model_config["json_schema_extra"]["example"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tollgate(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tollgate.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance", description=__doc__)
    parser.add_argument(
        "--max-examples", type=int, default=50, help="valid and invalid requests per operation"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary directory")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "conformance.md")
    parser.add_argument("--only", action="append", default=[], help="one operation, e.g. 'GET /v1/countries'")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tollgate-conformance-") as home:
        port = _free_port()
        url = args.database_url or f"sqlite:///{home}/tollgate.db"
        env = {
            **os.environ,
            "TOLLGATE_HOME": home,
            "TOLLGATE_DATABASE_URL": url,
            "TOLLGATE_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        }
        creds_file = Path(home) / "client.json"
        _tollgate("bootstrap", "--name", "conformance", "--credentials-file", str(creds_file), env=env)
        creds = json.loads(creds_file.read_text())
        server = subprocess.Popen(
            [sys.executable, "-m", "tollgate.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=30, trust_env=False) as http:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        token = http.post("/v1/oauth/token", json=creds)
                        break
                    except httpx.TransportError:
                        if time.monotonic() > deadline or server.poll() is not None:
                            raise
                        time.sleep(0.2)
                token.raise_for_status()
                headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
                individual = http.post("/v2/customers/individual", json=INDIVIDUAL, headers=headers)
                individual.raise_for_status()
                ids = [individual.json()["data"]["customer_id"]]
            started = time.monotonic()
            results = run(
                base,
                headers,
                max_examples=args.max_examples,
                customer_ids=ids,
                random_seed=args.seed,
                only=args.only,
            )
            seconds = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    args.output.write_text(render(results, max_examples=args.max_examples, database=database))
    unexpected = sum(len(r.unexpected) for r in results)
    cases = sum(r.cases for r in results)
    print(f"{cases} requests over {len(results)} operations in {seconds:.0f} s; {unexpected} not deliberate")
    print(f"wrote {args.output}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
