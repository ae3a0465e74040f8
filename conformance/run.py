"""Drive every operation of Fin's OpenAPI description against a running Tollgate and sort the findings."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import Failure, FailureGroup

from conformance.deviations import Deviation, deliberate

SPEC = Path(__file__).resolve().parents[1] / "tests" / "reference" / "fin-customers-openapi.yml"


@dataclass
class Finding:
    kind: str
    status: int | None
    title: str
    deviation: Deviation | None
    # How to send the request again (``curl``), for a finding that is not deliberate.
    request: str = ""


@dataclass
class OperationResult:
    label: str
    deprecated: bool
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)

    @property
    def unexpected(self) -> list[Finding]:
        return [f for f in self.findings if f.deviation is None]

    @property
    def deliberate(self) -> list[Finding]:
        return [f for f in self.findings if f.deviation is not None]


def _failures(exc: BaseException) -> Iterable[Failure]:
    if isinstance(exc, FailureGroup):
        for inner in exc.exceptions:
            yield from _failures(inner)
    elif isinstance(exc, Failure):
        yield exc


def _exerciser(
    result: OperationResult, base_url: str, headers: dict[str, str], ids: Iterator[str] | None
) -> Callable[[Any], None]:
    seen: set[tuple[str, int | None, str]] = set()

    def exercise(case: Any) -> None:
        if ids is not None and "customer_id" in (case.path_parameters or {}) and result.cases % 2 == 0:
            case.path_parameters["customer_id"] = next(ids)
        result.cases += 1
        try:
            response = case.call(base_url=base_url, headers=headers, timeout=30)
        except Exception as exc:  # the server did not answer: a finding, not a crash of the run
            result.findings.append(Finding("NoResponse", None, f"{type(exc).__name__}: {exc}", None))
            return
        result.statuses[response.status_code] += 1
        try:
            case.validate_response(response, headers=headers)
        except (Failure, FailureGroup) as exc:
            for failure in _failures(exc):
                kind = type(failure).__name__
                key = (kind, response.status_code, failure.title)
                if key in seen:
                    continue
                seen.add(key)
                found = deliberate(kind, result.label, response.status_code)
                again = "" if found else case.as_curl_command(headers=headers)
                result.findings.append(Finding(kind, response.status_code, failure.title, found, again))

    return exercise


def run(
    base_url: str,
    headers: dict[str, str],
    *,
    max_examples: int,
    customer_ids: Sequence[str] = (),
    random_seed: int = 0,
    spec: Path = SPEC,
    only: Sequence[str] = (),
) -> list[OperationResult]:
    """Every operation of ``spec``, ``max_examples`` valid and as many invalid requests each, with every
    check schemathesis has. A path's ``customer_id`` is one of ``customer_ids`` (customers of the caller,
    so that the operations get past 404) every other time. ``only``: these operations (``METHOD /path``)."""
    schema = schemathesis.openapi.from_path(str(spec))
    ids = itertools.cycle(customer_ids) if customer_ids else None
    results: list[OperationResult] = []
    for item in schema.get_all_operations():
        operation = item.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if only and label not in only:
            continue
        result = OperationResult(label, bool(operation.definition.raw.get("deprecated")))
        results.append(result)
        exercise = _exerciser(result, base_url, headers, ids)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            test = seed(random_seed)(
                settings(
                    max_examples=max_examples,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                    database=None,
                )(given(case=operation.as_strategy(generation_mode=mode))(exercise))
            )
            test()
    return results
