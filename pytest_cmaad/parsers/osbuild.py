"""Windows build strings such as ``10.0.17134`` (``v_R_System.Build01``)."""

from __future__ import annotations

DEVICE_TOKEN_BUILD = (10, 0, 17134)


def parse_build(text: str) -> tuple[int, ...] | None:
    """``"10.0.19045"`` -> ``(10, 0, 19045)``; None when it is not a dotted number."""
    parts = text.strip().split(".")
    if not text.strip() or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def is_before_device_token(build: str) -> bool:
    """Whether the build is older than Windows 10 1803, the first with a device token.

    An unreadable build is not called old: it is not known to be.
    """
    parsed = parse_build(build)
    return parsed is not None and parsed[:3] < DEVICE_TOKEN_BUILD
