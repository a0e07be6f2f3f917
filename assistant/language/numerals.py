"""Numerals as policy texts write them: Roman (Chapter XII, page iv) and Chinese (第十二条).

Roman numerals go through the `roman` package (canonical forms only: "IIII" is no numeral), Chinese ones
through `cn2an`, imported on first use (its import takes about a tenth of a second).
"""

from __future__ import annotations

import roman

# The provision each Chinese unit numbers (第七条 article 7, 第三章 chapter 3, 第二节 section 2); 款 and 项 (a
# paragraph, an item) are measure words too ("第一项原则", the first principle), and are left out.
PROVISION_UNITS = {"条": "article", "章": "chapter", "节": "section"}


def roman_value(text: str) -> int | None:
    """XII -> 12, "iv" -> 4 (either case); None when the text is no Roman numeral."""
    if not text.isascii() or not text.isalpha():  # the package's pattern lets a trailing newline through
        return None
    try:
        return roman.fromRoman(text, special_case=False) or None
    except roman.InvalidRomanNumeralError:
        return None


def roman_numeral(value: int) -> str:
    """12 -> "XII"; `value` from 1 to 4999."""
    if not 1 <= value <= 4999:
        raise ValueError(f"no Roman numeral for {value}")
    return roman.toRoman(value)


def chinese_value(text: str) -> int | None:
    """一 -> 1, 十二 -> 12, 一百零五 -> 105, 两 -> 2, "12" -> 12; None for zero and for anything that is no
    numeral of a positive whole number."""
    if text.isdecimal():
        return int(text) or None
    import cn2an

    try:
        value = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError):  # KeyError: some mixes of digits and Chinese numerals ("十96")
        return None
    if isinstance(value, float):  # "一点五", "1.5" (digits with a point)
        if not value.is_integer():
            return None
        value = int(value)
    return value if value > 0 else None


def chinese_numeral(value: int) -> str:
    """7 -> 七, 12 -> 十二, 105 -> 一百零五 (as provisions are numbered: 第十二条)."""
    import cn2an

    return cn2an.an2cn(value)
