"""The report's font: Noto Sans CJK SC cut down to the characters a report uses.

``text ──font_face──▶ WOFF bytes`` embedded in ``report.html`` as a data URL, so the
report renders the same everywhere, Chinese included, with no font installed and no
request made. The font is the one the figures use (``noto-cjk-sans-otc``, SIL Open
Font License); a report's subset is tens of kilobytes.
"""

from __future__ import annotations

import base64
import io

__all__ = ["FONT_FAMILY", "font_data_url", "font_subset"]

#: The CSS family name the report declares for its embedded font.
FONT_FAMILY = "ParksimSans"
#: Face 2 of the Noto Sans CJK collection is Simplified Chinese.
_SC_FACE = 2


def font_subset(text: str) -> bytes:
    """Noto Sans CJK SC with only the glyphs of ``text`` (and ASCII), as WOFF.

    Parameters
    ----------
    text
        Every character the document shows.

    Returns
    -------
    bytes
        A WOFF (zlib) font file.

    Examples
    --------
    >>> font_subset("青岛")[:4]
    b'wOFF'
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from noto_cjk_sans_otc import FONT_PATH

    font = TTFont(FONT_PATH, fontNumber=_SC_FACE, recalcTimestamp=False)
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    ascii_text = "".join(chr(c) for c in range(32, 127))
    subsetter.populate(text=text + ascii_text + "–—·×≈≥≤✓✗°²³⁴⁸±…“”‘’")
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff"
    font.save(out)
    return out.getvalue()


def font_data_url(text: str) -> str:
    """:func:`font_subset` of ``text`` as a ``data:font/woff;base64,…`` URL."""
    return "data:font/woff;base64," + base64.b64encode(font_subset(text)).decode("ascii")
