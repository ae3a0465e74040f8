"""What an uploaded file is, whether it may be kept, and what is wrong with it.

Three steps, from cheap to thorough:

- ``sniff(head)``: the kind from the magic bytes (the first ``SNIFF_BYTES`` are enough).
- ``check_upload(data, kind, limits)``: the refusals an upload endpoint answers with 422 at once. Only
  headers and the PDF cross-reference are read: an oversized file, an image whose header declares too
  many pixels (a decompression bomb, refused without allocating them), a PDF with too many pages or a
  password, and a file that cannot even be opened.
- ``inspect(data, kind, limits)``: decodes the file with real decoders (Pillow for images, pypdf for
  PDFs) and lists problems a reviewer would reject the document for.

A file that fails ``check_upload`` is never decoded; ``inspect`` runs the same checks first and reports
such a file as corrupted (it cannot be opened, and the remedy, a new readable file, is the same).

Problems and their Fin wording (reject label; moderation comment after "This document is not accepted.";
RFI reason):

- CORRUPTED: LOW_QUALITY; " - The document appears to be corrupted."; "Document appears to be corrupted".
- LOW_QUALITY: LOW_QUALITY; " - The document should be of good quality."; the same sentence.
- NOT_DOCUMENT: NOT_DOCUMENT; " - The file is not a document"; "Unacceptable document.".

Fin has no reject label of its own for a corrupted file (its labels are free-form); LOW_QUALITY is the
closest label it does use, and it asks for the same remedy. The RFI reasons are the ones Fin sends where
one fits, otherwise the bullet of its moderation comment.

Thresholds (``Limits``): an image whose shorter side is under 600 px is LOW_QUALITY: an ID card, the
smallest document accepted, is 54 mm tall, about 640 px at the 300 DPI that Fin asks for. An image whose
grey levels have a standard deviation under 2 (out of 255) is uniform, so NOT_DOCUMENT: a blank page
measures 0, even through JPEG, while a page of text is far above (1 % dark pixels gives about 25) and
one line of small print on an otherwise empty A4 page at 150 DPI still gives about 2.6. A photo of a
blank sheet (sensor noise, uneven light) passes; the check catches empty files, not empty paper.
The number of distinct colours is not used, since a bilevel scan of a real document has two.
A PDF is NOT_DOCUMENT when no page draws anything (no text, image or path); the images inside a PDF are
not decoded.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image, ImageFile, ImageStat, JpegImagePlugin, PngImagePlugin
from pypdf import PageObject, PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    EncodedStreamObject,
    NameObject,
    NumberObject,
    StreamObject,
)

SNIFF_BYTES = 8

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_PDF_MAGIC = b"%PDF-"


class DocumentKind(StrEnum):
    # Values are Pillow's format names, so an image kind doubles as the decoder to use.
    PDF = "PDF"
    JPEG = "JPEG"
    PNG = "PNG"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {
    DocumentKind.PDF: "application/pdf",
    DocumentKind.JPEG: "image/jpeg",
    DocumentKind.PNG: "image/png",
}


def sniff(head: bytes) -> DocumentKind | None:
    """The kind of a file from its first bytes; None for anything but PDF, JPEG and PNG."""
    if head.startswith(_PNG_MAGIC):
        return DocumentKind.PNG
    if head.startswith(_JPEG_MAGIC):
        return DocumentKind.JPEG
    if head.startswith(_PDF_MAGIC):
        return DocumentKind.PDF
    return None


@dataclass(frozen=True, slots=True)
class Limits:
    # Safety: checked before anything is decoded.
    max_bytes: int = 20 * 1024 * 1024
    # Below Pillow's own warning threshold (about 89.5 Mpx), above what phone cameras save by default.
    max_pixels: int = 50_000_000
    max_pdf_pages: int = 50
    # Quality: see the module docstring.
    min_short_side: int = 600
    blank_max_stddev: float = 2.0

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pixels", "max_pdf_pages"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.min_short_side < 0 or self.blank_max_stddev < 0:
            raise ValueError("quality thresholds must not be negative")


class RefusalCode(StrEnum):
    TOO_LARGE = "TOO_LARGE"
    UNSUPPORTED_TYPE = "UNSUPPORTED_TYPE"
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"
    TOO_MANY_PAGES = "TOO_MANY_PAGES"
    ENCRYPTED = "ENCRYPTED"
    UNREADABLE = "UNREADABLE"


@dataclass(frozen=True, slots=True)
class Refusal:
    code: RefusalCode
    message: str


class FindingCode(StrEnum):
    CORRUPTED = "CORRUPTED"
    LOW_QUALITY = "LOW_QUALITY"
    NOT_DOCUMENT = "NOT_DOCUMENT"


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason to reject a file, in Fin's words for the rejection (label, comment) and for an RFI."""

    code: FindingCode
    reject_label: str
    moderation_comment: str
    rfi_reason: str
    # For developers and reviewers, never shown as Fin's wording: what exactly was measured.
    detail: str


_NOT_ACCEPTED = "This document is not accepted.\n - "
_WORDING: dict[FindingCode, tuple[str, str, str]] = {
    FindingCode.CORRUPTED: (
        "LOW_QUALITY",
        _NOT_ACCEPTED + "The document appears to be corrupted.",
        "Document appears to be corrupted",
    ),
    FindingCode.LOW_QUALITY: (
        "LOW_QUALITY",
        _NOT_ACCEPTED + "The document should be of good quality.",
        "The document should be of good quality.",
    ),
    FindingCode.NOT_DOCUMENT: (
        "NOT_DOCUMENT",
        _NOT_ACCEPTED + "The file is not a document",
        "Unacceptable document.",
    ),
}


def finding(code: FindingCode, detail: str) -> Finding:
    label, comment, reason = _WORDING[code]
    return Finding(code, label, comment, reason, detail)


@dataclass(frozen=True, slots=True)
class Inspection:
    """What decoding found: the size of an image, the page count of a PDF, and the problems (none when
    the file is acceptable)."""

    kind: DocumentKind
    width: int | None = None
    height: int | None = None
    page_count: int | None = None
    dpi: tuple[float, float] | None = None
    problems: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def reject_labels(self) -> list[str]:
        return list(dict.fromkeys(p.reject_label for p in self.problems))


# --- upload checks ------------------------------------------------------------------------------------


def check_upload(data: bytes, kind: DocumentKind | None, limits: Limits = Limits()) -> list[Refusal]:
    """Why this upload must be refused at once; empty when it may be kept. Decodes no pixels or pages."""
    if len(data) > limits.max_bytes:
        return _refuse(RefusalCode.TOO_LARGE, f"File is larger than {limits.max_bytes} bytes.")
    if kind is None:
        return _refuse(RefusalCode.UNSUPPORTED_TYPE, "File must be a PDF, JPEG or PNG.")
    if kind is DocumentKind.PDF:
        return _check_pdf(data, limits)
    return _check_image(data, kind, limits)


def _refuse(code: RefusalCode, message: str) -> list[Refusal]:
    return [Refusal(code, message)]


def _check_image(data: bytes, kind: DocumentKind, limits: Limits) -> list[Refusal]:
    size = image_size(data, kind)
    if size is None:
        return _refuse(RefusalCode.UNREADABLE, f"File is not a readable {kind} image.")
    width, height = size
    if width * height > limits.max_pixels:
        message = f"Image is {width}x{height} pixels; at most {limits.max_pixels} pixels are accepted."
        return _refuse(RefusalCode.TOO_MANY_PIXELS, message)
    return []


def _check_pdf(data: bytes, limits: Limits) -> list[Refusal]:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            return _refuse(RefusalCode.ENCRYPTED, "PDF is password-protected; upload it without a password.")
        # /Count is cheap and bounds the work of flattening the page tree, which gives the real count.
        declared = _declared_page_count(reader)
        pages = declared if declared > limits.max_pdf_pages else len(reader.pages)
    except Exception:  # Hostile input can make a parser raise anything.
        pages = 0
    if pages > limits.max_pdf_pages:
        message = f"PDF has {pages} pages; at most {limits.max_pdf_pages} are accepted."
        return _refuse(RefusalCode.TOO_MANY_PAGES, message)
    if pages < 1:
        return _refuse(RefusalCode.UNREADABLE, "File is not a readable PDF.")
    return []


def _declared_page_count(reader: PdfReader) -> int:
    tree = reader.root_object.get(NameObject("/Pages"))
    tree = tree.get_object() if tree is not None else None
    if not isinstance(tree, DictionaryObject):
        raise ValueError("PDF has no page tree")
    count = tree.get(NameObject("/Count"))
    count = count.get_object() if count is not None else None
    if not isinstance(count, NumberObject):
        raise ValueError("PDF page tree has no page count")
    return int(count)


# The header parsers of the formats Pillow decodes for us: opened directly, they read the header and stop,
# before Pillow's own decompression-bomb check (our limit is the one that applies).
_HEADER_PARSERS: dict[str, type[ImageFile.ImageFile]] = {
    "PNG": PngImagePlugin.PngImageFile,
    "JPEG": JpegImagePlugin.JpegImageFile,
}


def image_size(data: bytes, kind: DocumentKind) -> tuple[int, int] | None:
    """(width, height) as Pillow reads them from the header, decoding no pixels; None if unreadable.

    The size comes from the parser that later decodes the pixels, so a file cannot show one size to
    this check and another to the decoder (a JPEG with two frame headers: Pillow takes the last)."""
    parser = _HEADER_PARSERS.get(kind.value)
    if parser is None:
        return None
    try:
        with parser(io.BytesIO(data)) as image:
            width, height = image.size
    except Exception:  # Hostile input can make a parser raise anything.
        return None
    if width < 1 or height < 1:
        return None
    return int(width), int(height)


# --- inspection ---------------------------------------------------------------------------------------


def inspect(data: bytes, kind: DocumentKind, limits: Limits = Limits()) -> Inspection:
    """Decode the file completely and list what a reviewer would reject it for."""
    refusals = check_upload(data, kind, limits)
    if refusals:
        detail = "; ".join(r.message for r in refusals)
        return Inspection(kind, problems=(finding(FindingCode.CORRUPTED, detail),))
    if kind is DocumentKind.PDF:
        return _inspect_pdf(data)
    return _inspect_image(data, kind, limits)


def _inspect_image(data: bytes, kind: DocumentKind, limits: Limits) -> Inspection:
    formats = [kind.value]
    try:
        with Image.open(io.BytesIO(data), formats=formats) as image:
            image.verify()
        # verify() leaves the image unusable; decoding every pixel needs a fresh one.
        with Image.open(io.BytesIO(data), formats=formats) as image:
            image.load()
            width, height = image.size
            dpi = _dpi(image)
            stddev = _grey_stddev(image)
    except Exception as exc:  # Hostile input can make a decoder raise anything.
        return Inspection(kind, problems=(finding(FindingCode.CORRUPTED, f"cannot decode image: {exc}"),))

    problems: list[Finding] = []
    if min(width, height) < limits.min_short_side:
        problems.append(
            finding(
                FindingCode.LOW_QUALITY,
                f"image is {width}x{height} px; its shorter side must be at least {limits.min_short_side} px",
            )
        )
    if stddev is not None and stddev < limits.blank_max_stddev:
        problems.append(
            finding(
                FindingCode.NOT_DOCUMENT,
                f"image is uniform (grey standard deviation {stddev:.2f} < {limits.blank_max_stddev})",
            )
        )
    return Inspection(kind, width=width, height=height, dpi=dpi, problems=tuple(problems))


def _dpi(image: Image.Image) -> tuple[float, float] | None:
    value = image.info.get("dpi")
    if not isinstance(value, tuple) or len(value) != 2:
        return None
    try:
        x, y = (round(float(v), 1) for v in value)
    except (TypeError, ValueError):
        return None
    return (x, y) if x > 0 and y > 0 else None


def _grey_stddev(image: Image.Image) -> float | None:
    try:
        if image.has_transparency_data:
            # Dark marks on a transparent sheet would turn into dark on dark: lay the sheet on white.
            sheet = Image.new("RGBA", image.size, "white")
            sheet.alpha_composite(image.convert("RGBA"))
            grey = sheet.convert("L")
        else:
            grey = image.convert("L")
    except (ValueError, OSError):  # a mode Pillow cannot convert: no opinion on blankness
        return None
    return float(ImageStat.Stat(grey).stddev[0])


# Operators that put marks on a page: text, external and inline images, path painting, shadings.
_MARKING_OPERATORS = frozenset(
    {
        *(b"Tj", b"TJ", b"'", b'"'),
        *(b"Do", b"INLINE IMAGE"),
        *(b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"),
        b"sh",
    }
)


def _inspect_pdf(data: bytes) -> Inspection:
    kind = DocumentKind.PDF
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = reader.pages
        page_count = len(pages)
        drawn = False
        for page in pages:
            # Page 1 is always read through; later pages only until one draws something.
            if drawn:
                break
            _check_streams_decode(page)
            contents = page.get_contents()
            if contents is not None and any(op in _MARKING_OPERATORS for _, op in contents.operations):
                drawn = True
    except Exception as exc:  # Hostile input can make a parser raise anything.
        return Inspection(kind, problems=(finding(FindingCode.CORRUPTED, f"cannot read PDF: {exc}"),))
    if not drawn:
        detail = f"no page of {page_count} draws any text, image or path"
        return Inspection(kind, page_count=page_count, problems=(finding(FindingCode.NOT_DOCUMENT, detail),))
    return Inspection(kind, page_count=page_count)


def _content_streams(page: PageObject) -> Iterator[StreamObject]:
    contents = page.get(NameObject("/Contents"))
    if contents is None:
        return
    contents = contents.get_object()
    items = contents if isinstance(contents, ArrayObject) else [contents]
    for item in items:
        stream = item.get_object()
        if isinstance(stream, StreamObject):
            yield stream


def _check_streams_decode(page: PageObject) -> None:
    """Raise if a page's deflated content stream is damaged.

    pypdf recovers what it can from a damaged stream and only logs a warning, which would make a
    damaged page look blank; a strict zlib pass over the raw bytes tells damage from emptiness.
    """
    for stream in _content_streams(page):
        if not isinstance(stream, EncodedStreamObject):
            continue
        filters = stream.get(NameObject("/Filter"))
        if filters is None:
            continue
        names = list(filters) if isinstance(filters, ArrayObject) else [filters]
        if names and names[0] == "/FlateDecode":
            _inflate_strictly(stream._data)


# pypdf itself refuses to inflate more than this (its zlib_maximum_output_length default).
_MAX_INFLATE = 75_000_000


def _inflate_strictly(raw: bytes) -> None:
    """Raise zlib.error if ``raw`` is not valid deflate data; the output is counted, never kept."""
    decompressor = zlib.decompressobj()
    pending, budget = raw, _MAX_INFLATE
    while pending and budget > 0:
        budget -= len(decompressor.decompress(pending, max_length=min(budget, 1 << 20)))
        pending = decompressor.unconsumed_tail
