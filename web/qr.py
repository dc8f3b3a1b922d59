"""QR codes on printable pages: segno's own inline SVG, for the views that show one."""

from __future__ import annotations

import segno
from markupsafe import Markup

__all__ = ["qr_svg"]


def qr_svg(data: str, *, scale: int, title: str) -> Markup:
    """``data`` as an inline SVG QR code (error correction M). The markup is segno's own
    (it escapes the title; the data is drawn as modules, never written as text)."""
    return Markup(segno.make(data, error="m").svg_inline(scale=scale, title=title))
