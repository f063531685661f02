"""Where a subscriber comes from: the département of a domestic subscriber's billing address, the country of a
roamer's home network. Origins are small integer codes over a fixed, public universe (every département and
every mobile country code), so a published breakdown never depends on which origins happen to be present.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

DEPARTEMENTS: tuple[str, ...] = (
    *(f"{number:02d}" for number in range(1, 20)),
    "2A",
    "2B",
    *(f"{number:02d}" for number in range(21, 96)),
    *("971", "972", "973", "974", "975", "976", "977", "978", "986", "987", "988"),
)
"""The French départements and overseas collectivities, as billing areas carry them."""

UNKNOWN = len(DEPARTEMENTS)
"""The origin code of a subscriber whose billing area is empty or not a département, or whose MCC is invalid."""
ROAMER_BASE = 1000
"""A roamer's origin code is ROAMER_BASE + the MCC of its home network (MCCs run 200..799)."""
ORIGIN_CODES = ROAMER_BASE + 800
"""Size of the origin code space."""

COUNTRIES: dict[int, str] = {
    202: "GR", 204: "NL", 206: "BE", 208: "FR", 212: "MC", 213: "AD", 214: "ES", 216: "HU", 218: "BA", 219: "HR",
    220: "RS", 222: "IT", 226: "RO", 228: "CH", 230: "CZ", 231: "SK", 232: "AT", 234: "GB", 235: "GB", 238: "DK",
    240: "SE", 242: "NO", 244: "FI", 246: "LT", 247: "LV", 248: "EE", 250: "RU", 255: "UA", 257: "BY", 259: "MD",
    260: "PL", 262: "DE", 266: "GI", 268: "PT", 270: "LU", 272: "IE", 274: "IS", 276: "AL", 278: "MT", 280: "CY",
    282: "GE", 283: "AM", 284: "BG", 286: "TR", 293: "SI", 294: "MK", 295: "LI", 297: "ME", 302: "CA", 310: "US",
    311: "US", 312: "US", 313: "US", 314: "US", 315: "US", 316: "US", 334: "MX", 404: "IN", 405: "IN", 410: "PK",
    413: "LK", 420: "SA", 424: "AE", 425: "IL", 427: "QA", 440: "JP", 441: "JP", 450: "KR", 452: "VN", 454: "HK",
    460: "CN", 466: "TW", 502: "MY", 505: "AU", 510: "ID", 515: "PH", 520: "TH", 525: "SG", 530: "NZ", 602: "EG",
    603: "DZ", 604: "MA", 605: "TN", 608: "SN", 612: "CI", 620: "GH", 621: "NG", 624: "CM", 639: "KE", 647: "RE",
    655: "ZA", 722: "AR", 724: "BR", 730: "CL", 732: "CO", 740: "EC", 716: "PE", 748: "UY",
}  # fmt: skip
"""ISO 3166 country of the commonest mobile country codes; others are named `MCC-nnn`."""

OriginKind = Literal["departement", "country", "unknown"]

_CHAR_CODE = np.full(128, 63, dtype=np.int32)
_CHAR_CODE[0] = 0
for _index, _char in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
    _CHAR_CODE[ord(_char)] = _index + 1
for _char in "abcdefghijklmnopqrstuvwxyz":
    _CHAR_CODE[ord(_char)] = _CHAR_CODE[ord(_char.upper())]


def _pack(codes: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    return (codes[..., 0] << 12) | (codes[..., 1] << 6) | codes[..., 2]


_DEPARTEMENT_OF_KEY = np.full(1 << 18, UNKNOWN, dtype=np.int32)
for _code, _name in enumerate(DEPARTEMENTS):
    _chars = np.array([_CHAR_CODE[ord(char)] for char in _name.ljust(3, "\0")], dtype=np.int32)
    _DEPARTEMENT_OF_KEY[_pack(_chars)] = _code


def departement_codes(billing_area: npt.NDArray[np.str_]) -> npt.NDArray[np.int32]:
    """The origin code of each billing area (UNKNOWN when empty or not a département), without a Python loop."""
    rows = billing_area.shape[0]
    if rows == 0:
        return np.zeros(0, dtype=np.int32)
    texts = billing_area if billing_area.dtype.kind == "U" else billing_area.astype(np.str_)
    width = max(texts.dtype.itemsize // 4, 1)
    units = np.ascontiguousarray(texts, dtype=f"<U{max(width, 4)}").view(np.uint32).reshape(rows, max(width, 4))
    chars = _CHAR_CODE[np.minimum(units[:, :3], 127)]
    codes = _DEPARTEMENT_OF_KEY[_pack(chars)]
    too_long = units[:, 3:].any(axis=1) | (units[:, :3] > 127).any(axis=1)
    codes[too_long] = UNKNOWN
    return codes


def origin_codes(
    billing_area: npt.NDArray[np.str_], home_mcc: npt.NDArray[np.int16], host_mcc: int
) -> npt.NDArray[np.int32]:
    """Per record: its département code for a domestic subscriber, ROAMER_BASE + MCC for a roamer."""
    mcc = home_mcc.astype(np.int32)
    valid_mcc = (mcc >= 200) & (mcc < 800)
    roamer = ROAMER_BASE + np.where(valid_mcc, mcc, 0)
    domestic = mcc == host_mcc
    codes = np.where(domestic, departement_codes(billing_area), np.where(valid_mcc, roamer, UNKNOWN))
    return codes.astype(np.int32)


def describe(code: int) -> tuple[OriginKind, str]:
    """An origin code as (kind, code): ("departement", "93"), ("country", "IT") or ("unknown", "")."""
    if 0 <= code < UNKNOWN:
        return "departement", DEPARTEMENTS[code]
    if ROAMER_BASE + 200 <= code < ORIGIN_CODES:
        mcc = code - ROAMER_BASE
        return "country", COUNTRIES.get(mcc, f"MCC-{mcc}")
    return "unknown", ""


def departement_code(name: str) -> int:
    """The origin code of a département name ("93", "2A"); UNKNOWN if it is not one."""
    try:
        return DEPARTEMENTS.index(name.upper())
    except ValueError:
        return UNKNOWN


def universe(host_mcc: int) -> npt.NDArray[np.int32]:
    """Every origin code a breakdown may hold: all départements, unknown, and every foreign MCC."""
    roamers = ROAMER_BASE + np.array([mcc for mcc in range(200, 800) if mcc != host_mcc], dtype=np.int32)
    return np.concatenate([np.arange(UNKNOWN + 1, dtype=np.int32), roamers])
