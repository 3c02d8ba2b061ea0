"""What a case attachment may be: its type sniffed from its bytes, and its name's extension agreeing with it.

The extension alone proves nothing (a renamed executable is still one); the magic bytes of PDF, PNG and JPEG,
and for text (CSV, TXT) valid UTF-8 without control characters, are what is checked.
"""

import re

# extension -> the content type its bytes must show
ALLOWED_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "csv": "text/csv",
    "txt": "text/plain",
}
_MAGIC = [(b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg")]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sniffed_type(*, name: str, content: bytes) -> str | None:
    """The content type of an allowed attachment, or None when the bytes are none of the allowed types or do not
    match the name's extension."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    expected = ALLOWED_TYPES.get(extension)
    if expected is None:
        return None
    found = next((kind for magic, kind in _MAGIC if content.startswith(magic)), None)
    if found is None and expected.startswith("text/"):
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            return None
        found = expected if not _CONTROL.search(text) else None
    return found if found == expected else None
