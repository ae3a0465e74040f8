"""Every module imports on its own, in a fresh interpreter state: no import cycle that only works in a
lucky order, and no module of the core reaches into the sandbox."""

from __future__ import annotations

import ast
import os
import pkgutil
import sys
from pathlib import Path

import pytest

import tollgate

SRC = Path(tollgate.__file__).parent
MODULES = sorted(m.name for m in pkgutil.walk_packages([str(SRC)], prefix="tollgate."))
# The core: what decides and records. The sandbox is wired into it by the runtime, never imported by it.
CORE = (
    "tollgate.verification",
    "tollgate.documents",
    "tollgate.customers",
    "tollgate.webhooks",
    "tollgate.jobs",
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_every_module_imports_on_its_own() -> None:
    """Each module is imported in a forked child of a process that has imported nothing of Tollgate."""
    # Third-party libraries are imported once in the parent, so each child only imports Tollgate's own
    # modules, in a fresh state (fast enough to fork once per module).
    third_party = sorted(
        {
            name.split(".")[0]
            for path in SRC.rglob("*.py")
            for name in _imports(path)
            if not name.startswith("tollgate") and name.split(".")[0] not in sys.stdlib_module_names
        }
    )
    code = (
        "import importlib, os, sys, traceback\n"
        f"for lib in {third_party!r}:\n"
        "    try:\n"
        "        importlib.import_module(lib)\n"
        "    except Exception:\n"
        "        pass\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        try:\n"
        "            importlib.import_module(name)\n"
        "        except BaseException:\n"
        "            traceback.print_exc()\n"
        "            os._exit(1)\n"
        "        os._exit(0)\n"
        "    _, status = os.waitpid(pid, 0)\n"
        "    if status != 0:\n"
        "        failed.append(name)\n"
        "print('FAILED', *failed)\n"
        "sys.exit(1 if failed else 0)\n"
    )
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-c", code, *MODULES], capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-4000:]
    assert len(MODULES) > 50


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("package", CORE)
def test_the_core_does_not_import_the_sandbox(package: str) -> None:
    folder = SRC / package.removeprefix("tollgate.").replace(".", "/")
    offenders = {
        str(path.relative_to(SRC)): sorted(i for i in _imports(path) if i.startswith("tollgate.sandbox"))
        for path in folder.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
