"""docs/attaching.md runs as written: its shell blocks, in order, against a live server."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.ephemeral import ephemeral_server

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "attaching.md"


def test_the_business_and_party_attach_examples_run(tmp_path):
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert len(blocks) >= 5
    work = tmp_path / "repo"
    (work / "docs" / "examples").mkdir(parents=True)
    shutil.copy(REPO / "docs" / "examples" / "business.json", work / "docs" / "examples")
    script = "set -euo pipefail\n" + "\n".join(blocks)
    with ephemeral_server(tmp_path) as line:
        creds = tmp_path / "creds.json"
        creds.write_text(json.dumps({"client_id": line["client_id"], "client_secret": line["client_secret"]}))
        env = {
            "PATH": "/usr/bin:/bin",
            "TOLLGATE": line["base_url"],
            "PYTHON": sys.executable,
            "CREDS": str(creds),
        }
        proc = subprocess.run(
            ["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=300
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outputs = proc.stdout.strip().splitlines()
    assert outputs[0] == '{"data":{}}' and outputs[1] == '{"data":{}}', outputs
    status, parties = outputs[-1].split(" ", 1)
    assert status in {"PROCESSING", "REVIEWING", "APPROVED", "ACTION_REQUIRED"}, outputs[-1]
    assert parties.count("'") == 4, parties
