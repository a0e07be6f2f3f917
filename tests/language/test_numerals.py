"""Roman and Chinese numerals as policy texts write them (the `roman` and `cn2an` packages)."""

import pytest

from assistant.language.numerals import chinese_numeral, chinese_value, roman_numeral, roman_value


@pytest.mark.parametrize(
    ("text", "value"),
    [("I", 1), ("iv", 4), ("IX", 9), ("XII", 12), ("xii", 12), ("XL", 40), ("XC", 90), ("CXCIX", 199)],
)
def test_roman_values_in_either_case(text, value):
    assert roman_value(text) == value


@pytest.mark.parametrize(
    "text",
    ["", "IIII", "VV", "IC", "XIIII", "civil", "ill", "N", "12", "X I", "XII\n", "ıv", "Ⅻ"],
)
def test_what_is_no_roman_numeral(text):
    # only canonical forms count ("IIII" and "IC" are not how 4 and 99 are written); "N" is no page's zero
    assert roman_value(text) is None


def test_roman_numerals_written_and_read_back():
    assert [roman_numeral(v) for v in (1, 3, 4, 12, 40, 199, 400)] == [
        "I",
        "III",
        "IV",
        "XII",
        "XL",
        "CXCIX",
        "CD",
    ]
    assert all(roman_value(roman_numeral(v)) == v for v in range(1, 4000))
    for value in (0, -1, 5000):
        with pytest.raises(ValueError):
            roman_numeral(value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一", 1),
        ("七", 7),
        ("十", 10),
        ("十二", 12),
        ("二十三", 23),
        ("一百零五", 105),
        ("一百一十", 110),
        ("两", 2),
        ("两百", 200),
        ("12", 12),
        ("二零二四", 2024),
    ],
)
def test_chinese_values(text, value):
    found = chinese_value(text)
    assert found == value and type(found) is int


@pytest.mark.parametrize(
    "text", ["", "0", "零", "〇", "十十", "百", "条", "十二条", " 十二", "一点五", "负一", "abc", "十96"]
)
def test_what_is_no_chinese_numeral_of_a_positive_whole_number(text):
    assert chinese_value(text) is None


def test_chinese_numerals_as_provisions_are_numbered():
    assert [chinese_numeral(v) for v in (1, 7, 10, 12, 23, 100, 105, 110, 119)] == [
        "一",
        "七",
        "十",
        "十二",
        "二十三",
        "一百",
        "一百零五",
        "一百一十",
        "一百一十九",
    ]
    assert all(chinese_value(chinese_numeral(v)) == v for v in range(1, 1000))
