"""Uploaded documents: the bytes (kept in a file store, local or S3), the checks an upload must pass
before it is kept, and the inspection that decodes a kept file and reports what is wrong with it.

Invariants:
- A file's type is decided by its leading bytes alone (PDF, JPEG or PNG), never by its name or the
  Content-Type the client sent.
- Nothing is fully decoded before it has passed the safety limits (size, pixels read from the image
  header, PDF page count, encryption); a decompression bomb is refused from its header.
- A file is addressed by a URI in Fin's shape, ``/`` + 8 random alphanumerics + ``_`` + a sanitised
  file name; its store key is the URI without the leading slash, a flat name that cannot leave the store.
- A file store write is atomic: a reader sees the whole file or none of it.
- Inspection problems carry Fin's wording (reject label, moderation comment, RFI reason), so the
  verification domain can copy them into a rejection or an RFI unchanged.
"""
