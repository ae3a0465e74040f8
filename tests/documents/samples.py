"""Real files made on the spot: document-like images and PDFs, broken and hostile variants.

Images are drawn with Pillow, PDFs written with pypdf (text pages with a real font resource) or saved by
Pillow (a scanned page). Everything is deterministic for a given set of arguments.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import Image, ImageDraw
from pypdf import PdfWriter
from pypdf.generic import ContentStream, DictionaryObject, EncodedStreamObject, NameObject


def document_image(width: int = 800, height: int = 1000, *, noisy: bool = True, seed: int = 0) -> Image.Image:
    """A page-like RGB image: a header band, lines of text, a photo box; camera-like noise if ``noisy``."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    unit = max(1, min(width, height) // 40)
    draw.rectangle((unit, unit, width - unit, 4 * unit), fill=(30, 60, 120))
    draw.rectangle((2 * unit, 6 * unit, 12 * unit, 18 * unit), outline="black", width=max(1, unit // 4))
    y = 6 * unit
    line = 0
    while y < height - 2 * unit:
        draw.text((14 * unit, y), f"SAMPLE DOCUMENT {seed} LINE {line} 1990-04-15 X1234567", fill="black")
        y += max(12, unit)
        line += 1
    if noisy:
        noise = Image.effect_noise((width, height), 40 + seed % 7).convert("RGB")
        image = Image.blend(image, noise, 0.15)
    return image


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def png_bytes(
    width: int = 800,
    height: int = 1000,
    *,
    noisy: bool = True,
    dpi: tuple[int, int] | None = None,
    seed: int = 0,
) -> bytes:
    params: dict[str, object] = {"dpi": dpi} if dpi else {}
    return _encode(document_image(width, height, noisy=noisy, seed=seed), "PNG", **params)


def jpeg_bytes(
    width: int = 800,
    height: int = 1000,
    *,
    noisy: bool = True,
    dpi: tuple[int, int] | None = None,
    progressive: bool = False,
    exif: bool = False,
    seed: int = 0,
) -> bytes:
    """A JPEG; ``exif`` puts an APP1 segment before the frame header, as cameras do."""
    params: dict[str, object] = {"quality": 85, "progressive": progressive}
    if dpi:
        params["dpi"] = dpi
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "Camera Maker"  # Make
        tags[0x0110] = "Model " + "X" * 2000  # Model, long enough to push the frame header well back
        params["exif"] = tags.tobytes()
    return _encode(document_image(width, height, noisy=noisy, seed=seed), "JPEG", **params)


def blank_png(width: int = 800, height: int = 1000, colour: str = "white") -> bytes:
    return _encode(Image.new("RGB", (width, height), colour), "PNG")


def blank_jpeg(width: int = 800, height: int = 1000, colour: str = "white") -> bytes:
    return _encode(Image.new("RGB", (width, height), colour), "JPEG", quality=85)


def transparent_png(width: int = 800, height: int = 1000, *, text: bool = True) -> bytes:
    """Black marks on a fully transparent sheet, as signature and form exports often are. The colour
    channels are black everywhere; only the alpha channel tells text from background."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if text:
        mask = document_image(width, height, noisy=False).convert("L").point(lambda v: 255 - v)
        image.putalpha(mask)
    return _encode(image, "PNG")


def gif_bytes() -> bytes:
    return _encode(document_image(200, 200, noisy=False), "GIF")


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("passport.pdf", b"%PDF-1.7 not really")
    return out.getvalue()


def _pdf_literal(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return f"({escaped})".encode("latin-1", "replace")


def pdf_bytes(pages: int = 1, text: str = "Proof of address", *, blank_pages: tuple[int, ...] = ()) -> bytes:
    """A PDF of ``pages`` US-letter pages, each showing ``text`` in Helvetica; pages whose 0-based index
    is in ``blank_pages`` draw nothing."""
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    for index in range(pages):
        page = writer.add_blank_page(612, 792)
        if index in blank_pages:
            continue
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        content = ContentStream(None, writer)
        line = _pdf_literal(f"{text} - page {index + 1}")
        content.set_data(b"BT /F1 18 Tf 72 720 Td " + line + b" Tj ET")
        page.replace_contents(content)
    return _write(writer)


def blank_pdf(pages: int = 1) -> bytes:
    return pdf_bytes(pages, blank_pages=tuple(range(pages)))


def scanned_pdf(width: int = 800, height: int = 1000) -> bytes:
    """A one-page PDF holding a page image, the way a scanner or phone app saves one."""
    return _encode(document_image(width, height), "PDF", resolution=150.0)


def encrypted_pdf(password: str = "secret") -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes()))
    writer.encrypt(password, algorithm="AES-256")
    return _write(writer)


def pdf_with_broken_content() -> bytes:
    """A well-formed PDF whose only page has a deflated content stream that is not valid deflate data."""
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    stream = EncodedStreamObject()
    # Assigned raw: set_data() would deflate the bytes and so make them valid.
    stream._data = b"x\x9c this is not deflate data at all"
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(stream)
    return _write(writer)


def _write(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def corrupted(data: bytes, keep: float = 0.6) -> bytes:
    """``data`` cut short, as by an interrupted transfer: the header survives, the rest does not."""
    return data[: int(len(data) * keep)]


def flip_byte(data: bytes, at: int) -> bytes:
    """``data`` with one byte inverted (bit rot inside an otherwise complete file)."""
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header(width: int, height: int) -> bytes:
    """A complete, well-formed PNG that declares ``width`` x ``height`` RGB pixels but carries almost no
    pixel data: a decompression bomb's header, built without allocating the pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def jpeg_header(width: int, height: int) -> bytes:
    """The start of a baseline JPEG (SOI, JFIF, SOF0) declaring ``width`` x ``height``, no scan data."""
    jfif = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    components = b"\x01\x11\x00\x02\x11\x00\x03\x11\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 8 + len(components), 8, height, width, 3) + components
    return b"\xff\xd8" + jfif + sof + b"\xff\xd9"


def deep_page_tree_pdf(levels: int = 7, fanout: int = 10) -> bytes:
    """A PDF of about 1 KB whose page tree is ``levels`` deep, each node listing one child ``fanout``
    times: ``fanout ** levels`` pages to anyone who flattens the tree."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    # Object 2 is the root of the tree, 2 + levels is the one page.
    for level in range(levels):
        number = 2 + level
        child = number + 1
        kids = b" ".join(f"{child} 0 R".encode() for _ in range(fanout))
        parent = b"" if level == 0 else f" /Parent {number - 1} 0 R".encode()
        objects.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count 1" + parent + b" >>")
    page = 2 + levels
    objects.append(f"<< /Type /Page /Parent {page - 1} 0 R /MediaBox [0 0 612 792] >>".encode())
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def jpeg_with_second_frame_header(jpeg: bytes, width: int, height: int) -> bytes:
    """``jpeg`` with a copy of its frame header (SOF0) that declares ``width`` x ``height``, placed right
    after the first: a file that shows one size to a header reader that stops at the first frame header
    and another to a decoder that reads them all."""
    start = jpeg.index(b"\xff\xc0")
    (length,) = struct.unpack(">H", jpeg[start + 2 : start + 4])
    first = jpeg[start : start + 2 + length]
    second = first[:5] + struct.pack(">HH", height, width) + first[9:]
    return jpeg[: start + len(first)] + second + jpeg[start + len(first) :]
