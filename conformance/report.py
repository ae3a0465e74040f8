"""docs/conformance.md: every Fin operation with its status, every difference with its reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from conformance.deviations import DEVIATIONS
from conformance.run import OperationResult


def _status(result: OperationResult) -> str:
    if result.unexpected:
        return "**differs**"
    if result.deliberate:
        return "conforms, with deliberate differences"
    return "conforms"


def render(results: Sequence[OperationResult], *, max_examples: int, database: str) -> str:
    cases = sum(r.cases for r in results)
    lines = [
        "# Conformance to Fin's OpenAPI description",
        "",
        "Written by `make conformance` (the `conformance` package): a fresh server is driven with",
        "[schemathesis](https://schemathesis.readthedocs.io/) over every operation of Fin's own description",
        "(`tests/reference/fin-customers-openapi.yml`), valid and invalid requests, with every check it has",
        "(server errors, status codes Fin does not declare, bodies and headers that do not match Fin's",
        "schemas, content types, authentication ignored, invalid data accepted, valid data refused, ...).",
        "Path ids are, every other time, those of customers created first, so that the operations get past",
        "404. CI runs a bounded pass on SQLite and PostgreSQL (`tests/test_fin_conformance.py`) and fails on",
        "any finding not listed below as deliberate.",
        "",
        f"This run: {cases} requests over {len(results)} operations, {max_examples} valid and {max_examples}",
        f"invalid examples per operation, on {database}.",
        "",
        "| Operation | Requests | Answers | Status |",
        "|---|---|---|---|",
    ]
    for r in results:
        answers = ", ".join(f"{code} x{n}" for code, n in sorted(r.statuses.items()))
        label = f"`{r.label}`" + (" (deprecated)" if r.deprecated else "")
        lines.append(f"| {label} | {r.cases} | {answers} | {_status(r)} |")

    unexpected = [(r.label, f) for r in results for f in r.unexpected]
    lines += ["", "## Differences that are not deliberate", ""]
    if unexpected:
        for label, f in unexpected:
            lines.append(f"- `{label}`: {f.kind} (answered {f.status}): {f.title}; `{f.request}`")
    else:
        lines.append("None.")

    seen: Counter[int] = Counter()
    where: dict[int, set[str]] = {}
    for r in results:
        for f in r.deliberate:
            assert f.deviation is not None
            i = DEVIATIONS.index(f.deviation)
            seen[i] += 1
            where.setdefault(i, set()).add(f"{r.label} ({f.status})")
    lines += ["", "## Deliberate differences", ""]
    for i, deviation in enumerate(DEVIATIONS):
        found = "; ".join(sorted(where.get(i, ()))) or "not met in this run"
        lines += [f"### {deviation.kind}: {', '.join(deviation.operations)}", "", deviation.reason, ""]
        lines += [f"Seen: {found}.", ""]
    return "\n".join(lines).rstrip() + "\n"
