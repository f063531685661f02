"""JSON responses encoded with msgspec straight from domain objects (bytes are base64, enums their values)."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi.responses import Response

_encoder = msgspec.json.Encoder()


class MsgspecJSON(Response):
    """`application/json` of any msgspec-encodable content (Structs, dicts, lists)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """The content as JSON bytes."""
        return _encoder.encode(content)


def page(items: list[Any], total: int, limit: int, offset: int) -> MsgspecJSON:
    """A page of a longer list."""
    return MsgspecJSON({"items": items, "total": total, "limit": limit, "offset": offset})
