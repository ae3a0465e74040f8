"""What inspecting a file found, as kept on its ``stored_file`` row (``findings``, JSON).

A file is inspected (decoded in full) once, when it is uploaded and before any transaction opens; the
checks job reads the record instead of the bytes. Only the measurements and each problem's code and
detail are kept: Fin's wording is looked up from the code when the record is read, so the words a
rejection or an RFI uses are those of the running version.

``{"version": 1, "kind": "PNG", "width": 800, "height": 1000, "page_count": null, "dpi": [300.0, 300.0],
"problems": [{"code": "LOW_QUALITY", "detail": "..."}]}``
"""

from __future__ import annotations

from typing import Any

from tollgate.documents import inspection
from tollgate.documents.inspection import DocumentKind, Finding, FindingCode, Inspection

VERSION = 1


def as_record(result: Inspection) -> dict[str, Any]:
    return {
        "version": VERSION,
        "kind": result.kind.value,
        "width": result.width,
        "height": result.height,
        "page_count": result.page_count,
        "dpi": list(result.dpi) if result.dpi is not None else None,
        "problems": [{"code": p.code.value, "detail": p.detail} for p in result.problems],
    }


def from_record(record: dict[str, Any]) -> Inspection:
    dpi = record.get("dpi")
    return Inspection(
        DocumentKind(record["kind"]),
        width=record.get("width"),
        height=record.get("height"),
        page_count=record.get("page_count"),
        dpi=(float(dpi[0]), float(dpi[1])) if dpi else None,
        problems=problems(record),
    )


def problems(record: dict[str, Any]) -> tuple[Finding, ...]:
    return tuple(
        inspection.finding(FindingCode(p["code"]), str(p.get("detail", ""))) for p in record["problems"]
    )


def inspect(data: bytes, kind: DocumentKind, limits: inspection.Limits) -> dict[str, Any]:
    """Decode ``data`` and return the record to keep (slow: never call it inside a transaction)."""
    return as_record(inspection.inspect(data, kind, limits))
