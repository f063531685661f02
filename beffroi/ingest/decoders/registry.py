"""The registry of payload decoders, keyed by format name (`kind`)."""

from __future__ import annotations

from beffroi.ingest.decoders.base import Decoder

_DECODERS: dict[str, Decoder] = {}


def register_decoder(kind: str, decoder: Decoder) -> None:
    """Make `decoder` available under `kind` (each shipped decoder module does this at import)."""
    _DECODERS[kind] = decoder


def known_decoders() -> list[str]:
    """The registered kinds, sorted."""
    _load_shipped()
    return sorted(_DECODERS)


def get_decoder(kind: str) -> Decoder:
    """The decoder registered under `kind`; `KeyError` naming the known kinds when there is none."""
    _load_shipped()
    try:
        return _DECODERS[kind]
    except KeyError:
        raise KeyError(f"unknown decoder kind {kind!r}; known: {sorted(_DECODERS)}") from None


def _load_shipped() -> None:
    import beffroi.ingest.decoders.json_stream  # noqa: F401  (registers "json-stream")
