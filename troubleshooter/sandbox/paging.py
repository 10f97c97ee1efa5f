"""Page tokens: opaque to clients, an offset to us."""

from __future__ import annotations

import base64
from typing import Sequence, TypeVar

from troubleshooter.sandbox.errors import invalid

T = TypeVar("T")


def paginate(
    items: Sequence[T], page_size: int | None, page_token: str | None, *, default: int = 50, limit: int = 1000
) -> tuple[list[T], str]:
    """One page of `items` and the token of the next one ("" when this is the last page)."""
    size = default if not page_size or page_size <= 0 else min(page_size, limit)
    start = 0
    if page_token:
        try:
            start = int(base64.urlsafe_b64decode(page_token.encode()).decode().removeprefix("o:"))
        except (ValueError, UnicodeDecodeError):
            raise invalid(f"Invalid page token: {page_token!r}") from None
    page = list(items[start : start + size])
    end = start + len(page)
    token = base64.urlsafe_b64encode(f"o:{end}".encode()).decode() if end < len(items) else ""
    return page, token
