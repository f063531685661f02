"""Payload decoders, one file per format, registered under a `kind` key (e.g. "json-stream")."""

from beffroi.ingest.decoders.base import DecodedMessage, Decoder
from beffroi.ingest.decoders.registry import get_decoder, known_decoders, register_decoder

__all__ = ["DecodedMessage", "Decoder", "get_decoder", "known_decoders", "register_decoder"]
