"""A streaming multipart/form-data reader that stops as soon as one file passes the size limit, so an
oversized upload is refused (413) without the body being buffered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header

from tollgate.errors import PayloadTooLarge, ValidationFailed


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytearray = field(default_factory=bytearray)


class _TooLarge(Exception):
    def __init__(self, name: str, limit: int, what: str) -> None:
        super().__init__(f"{what} {name} is larger than the limit of {limit} bytes")


# RFC 2046, section 5.1.1: a boundary is 1 to 70 characters.
_MAX_BOUNDARY = 70


async def read_form(
    content_type: str,
    body: AsyncIterator[bytes],
    *,
    max_file_bytes: int,
    max_files: int = 20,
    max_fields: int = 5,
    max_field_bytes: int = 4096,
) -> list[Part]:
    """The parts of a multipart body: at most ``max_files`` files of ``max_file_bytes`` each and
    ``max_fields`` text fields of ``max_field_bytes`` each; the first part past a limit ends the read."""
    mime, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary:
        raise ValidationFailed([("body", "Must be multipart/form-data")])
    if len(boundary) > _MAX_BOUNDARY:
        raise ValidationFailed(
            [("body", f"The multipart boundary is longer than {_MAX_BOUNDARY} characters")]
        )

    parts: list[Part] = []
    header_field = bytearray()
    header_value = bytearray()
    headers: dict[bytes, bytes] = {}
    current: list[Part | None] = [None]

    def on_part_begin() -> None:
        headers.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, opts = parse_options_header(headers.get(b"content-disposition", b""))
        name = opts.get(b"name", b"").decode("utf-8", "replace")
        filename = opts.get(b"filename")
        ctype = headers.get(b"content-type")
        if filename is not None and sum(p.filename is not None for p in parts) >= max_files:
            raise ValidationFailed([("body", f"At most {max_files} files per request")])
        if filename is None and sum(p.filename is None for p in parts) >= max_fields:
            raise ValidationFailed([("body", f"At most {max_fields} text fields per request")])
        part = Part(
            name=name,
            filename=filename.decode("utf-8", "replace") if filename is not None else None,
            content_type=ctype.decode("latin-1") if ctype else None,
        )
        parts.append(part)
        current[0] = part

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part = current[0]
        assert part is not None
        part.data.extend(data[start:end])
        if part.filename is not None and len(part.data) > max_file_bytes:
            raise _TooLarge(part.name, max_file_bytes, "File")
        if part.filename is None and len(part.data) > max_field_bytes:
            raise _TooLarge(part.name, max_field_bytes, "Field")

    def on_part_end() -> None:
        current[0] = None

    try:
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": on_part_begin,
                "on_part_data": on_part_data,
                "on_part_end": on_part_end,
                "on_header_field": on_header_field,
                "on_header_value": on_header_value,
                "on_header_end": on_header_end,
                "on_headers_finished": on_headers_finished,
            },
        )
    except Exception as exc:  # a boundary the parser cannot use
        raise ValidationFailed([("body", "Malformed multipart body")]) from exc
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
    except _TooLarge as exc:
        raise PayloadTooLarge(str(exc)) from exc
    except ValidationFailed:
        raise
    except Exception as exc:  # the parser's own errors: a malformed body
        raise ValidationFailed([("body", "Malformed multipart body")]) from exc
    return parts
