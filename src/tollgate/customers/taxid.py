"""Tax identifiers: which document types a country accepts, and whether a number is well formed.

Three layers, most specific first:

1. Countries whose rules we know exactly (USA): only the listed types are accepted, each in its printed
   layout (``12-3456789`` for an EIN, ``123-45-6789`` for an SSN) and with the number's own rules
   (EIN campus prefixes, SSN/ITIN area and group ranges) checked by python-stdnum.
2. National schemes python-stdnum knows (India's PAN, Brazil's CNPJ/CPF, ...): accepted in addition to the
   generic types, with check digits verified.
3. Everything else: a generic type (``TIN``, ``TAX_ID``, ``VAT_ID``, ...). ``VAT_ID`` and ``TIN`` are checked
   with the country's stdnum ``vat`` / ``tin`` module when one exists, otherwise only a sanity format.

Fin's per-region document lists are not public in full, so layer 3 errs on accepting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Literal, Protocol

from stdnum.util import get_cc_module

from tollgate.catalogue import service as catalogue
from tollgate.customers.rules import Errors

if TYPE_CHECKING:
    from stdnum.util import NumberValidationModule

Kind = Literal["INDIVIDUAL", "BUSINESS"]

Validator = Callable[[str], bool]


@dataclass(frozen=True)
class Scheme:
    """One kind of tax number: its printed layout (if fixed) and a validity check."""

    layout: re.Pattern[str] | None
    example: str
    valid: Validator


def _stdnum(path: str) -> Validator:
    module = import_module(f"stdnum.{path}")

    def valid(value: str) -> bool:
        return bool(module.is_valid(value))

    return valid


_SSN = Scheme(re.compile(r"^\d{3}-\d{2}-\d{4}$"), "123-45-6789", _stdnum("us.ssn"))
_ITIN = Scheme(re.compile(r"^\d{3}-\d{2}-\d{4}$"), "912-70-1234", _stdnum("us.itin"))
_EIN = Scheme(re.compile(r"^\d{2}-\d{7}$"), "12-3456789", _stdnum("us.ein"))

# Layer 1: (kind, country) -> the only document types accepted there.
_EXCLUSIVE: dict[tuple[Kind, str], dict[str, Scheme]] = {
    ("INDIVIDUAL", "USA"): {"SSN": _SSN, "ITIN": _ITIN},
    ("BUSINESS", "USA"): {"EIN": _EIN},
}


def _national(path: str, example: str) -> Scheme:
    return Scheme(None, example, _stdnum(path))


# Layer 2: national schemes, by the acronym they are known by.
_BOTH: dict[str, dict[str, Scheme]] = {
    "IND": {"PAN": _national("in_.pan", "ABCPD1234E")},
    "MEX": {"RFC": _national("mx.rfc", "GODE561231GR8")},
    "ARG": {"CUIT": _national("ar.cuit", "20-26756539-3")},
    "ESP": {"NIF": _national("es.nif", "B58378431")},
    "PRT": {"NIF": _national("pt.nif", "501964843")},
    "GBR": {"UTR": _national("gb.utr", "1955839661")},
    "AUS": {"TFN": _national("au.tfn", "123 456 782")},
    "NZL": {"IRD": _national("nz.ird", "49-091-850")},
}
_NATIONAL: dict[Kind, dict[str, dict[str, Scheme]]] = {
    "BUSINESS": {
        "IND": {"GSTIN": _national("in_.gstin", "27AAPFU0939F1ZV")},
        "BRA": {"CNPJ": _national("br.cnpj", "16.727.230/0001-97")},
        "CAN": {"BN": _national("ca.bn", "123456782")},
        "AUS": {"ABN": _national("au.abn", "83 914 571 673"), "ACN": _national("au.acn", "004 085 616")},
        "SGP": {"UEN": _national("sg.uen", "00192200M")},
        "CHN": {"USCC": _national("cn.uscc", "91110000600037341L")},
        "FRA": {
            "SIREN": _national("fr.siren", "552008443"),
            "SIRET": _national("fr.siret", "73282932000074"),
        },
    },
    "INDIVIDUAL": {
        "BRA": {"CPF": _national("br.cpf", "390.533.447-05")},
        "CAN": {"SIN": _national("ca.sin", "123-456-782")},
        "MEX": {"CURP": _national("mx.curp", "BOXW310820HNERXN09")},
        "ITA": {"CODICE_FISCALE": _national("it.codicefiscale", "RCCMNL83S18D969H")},
    },
}

# Layer 3: names accepted for any country outside layer 1.
_GENERIC_TYPES: dict[Kind, frozenset[str]] = {
    "INDIVIDUAL": frozenset({"TIN", "TAX_ID", "NATIONAL_ID", "PERSONAL_TAX_ID"}),
    "BUSINESS": frozenset({"TIN", "TAX_ID", "VAT_ID", "BUSINESS_REGISTRATION_NUMBER"}),
}
_GENERIC_MODULE = {"VAT_ID": "vat", "TIN": "tin"}
_GENERIC_FORMAT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{2,38}[A-Za-z0-9]$")


class TaxItem(Protocol):
    @property
    def country_code(self) -> str: ...
    @property
    def document_type(self) -> str: ...
    @property
    def document_id(self) -> str: ...


def accepted_types(kind: Kind, country: str) -> dict[str, Scheme | None]:
    """Document types ``country`` accepts for ``kind``; ``None`` means "generic format only"."""
    exclusive = _EXCLUSIVE.get((kind, country))
    if exclusive is not None:
        return dict(exclusive)
    out: dict[str, Scheme | None] = dict.fromkeys(_GENERIC_TYPES[kind])
    out.update(_BOTH.get(country, {}))
    out.update(_NATIONAL[kind].get(country, {}))
    return out


def _generic_module(country: str, document_type: str) -> NumberValidationModule | None:
    name = _GENERIC_MODULE.get(document_type)
    alpha2 = catalogue.alpha2_of(country)
    if name is None or alpha2 is None:
        return None
    return get_cc_module(alpha2.lower(), name)


def document_id_error(kind: Kind, country: str, document_type: str, document_id: str) -> str | None:
    """Why ``document_id`` is not a valid ``document_type`` of ``country``, or None when it is."""
    scheme = accepted_types(kind, country).get(document_type)
    if scheme is not None:
        layout_ok = scheme.layout.match(document_id) if scheme.layout else _GENERIC_FORMAT.match(document_id)
        if not layout_ok or not scheme.valid(document_id):
            return f"Invalid {document_type} format"
        return None
    if not _GENERIC_FORMAT.match(document_id):
        return "Invalid tax identifier format"
    module = _generic_module(country, document_type)
    if module is not None and not module.is_valid(document_id):
        return f"Invalid {document_type} format"
    return None


def _compact(document_id: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", document_id).upper()


def check_tax_info(
    errors: Errors,
    path: str,
    items: Sequence[TaxItem],
    kind: Kind,
    *,
    seen: MutableMapping[str, str] | None = None,
) -> None:
    """Type and number of each item are right for its country; no number appears twice.

    Pass the same ``seen`` to several calls to make numbers unique across them (e.g. across the associated
    parties of one business)."""
    seen = {} if seen is None else seen
    for i, item in enumerate(items):
        here = f"{path}[{i}]"
        accepted = accepted_types(kind, item.country_code)
        if item.document_type not in accepted:
            allowed = ", ".join(sorted(accepted))
            errors.append((f"{here}.document_type", f"Must be one of {allowed} for {item.country_code}"))
        else:
            problem = document_id_error(kind, item.country_code, item.document_type, item.document_id)
            if problem is not None:
                errors.append((f"{here}.document_id", problem))
        key = _compact(item.document_id)
        if not key:
            continue
        first = seen.get(key)
        if first is not None:
            errors.append((f"{here}.document_id", "Each document_id must be unique"))
        else:
            seen[key] = f"{here}.document_id"
