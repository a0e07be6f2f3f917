"""Document identifiers: executive-order numbers, EU act numbers, Chinese document numbers, codes and names.

Each identifier has a display form ("EO 14110", "Directive 95/46/EC") and a key for matching across the ways
texts write it ("eo:14110", "directive:95/46"). Executive-order numbers are read with the same pattern the
answerer uses to pin questions down (answer/specifics.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..answer.specifics import EO_NUMBER

_EU_PREFIX = r"\((?:EU|EC|EEC|Euratom)(?:,\s*Euratom)?\)"
_EU_NUMBER = rf"(?:{_EU_PREFIX}\s*)?(?:No\.?\s*)?\d{{1,4}}/\d{{1,4}}(?:/(?:EC|EU|EEC|JHA|Euratom))?(?![\d/])"
_ACT_TYPE = r"(?:(?:Council|Commission)\s+)?(?:Framework\s+)?(?:Regulation|Directive|Decision)s?"
# "Regulation (EU) 2016/679", "Directive 95/46/EC", "Council Directive 90/385/EEC", "Regulation (EC) No 300/2008".
EU_ACT = re.compile(rf"\b(?P<type>{_ACT_TYPE})\s+(?P<num>{_EU_NUMBER})", re.IGNORECASE)
# One token of a list of identifiers: a type word, an EU number, or an executive order.
LIST_TOKEN = re.compile(
    rf"(?P<eo>(?:Executive\s+Orders?|E\.?O\.?)\s*(?:No\.?\s*)?\d{{4,5}}\b)"
    rf"|(?P<type>{_ACT_TYPE}\b)|(?P<num>{_EU_NUMBER})",
    re.IGNORECASE,
)
_LIST_GLUE = re.compile(r"(?:\s*,\s*|\s+)(?:(?:and|or)\s+)?")
_MORE_EO = re.compile(r"(?:\s*,\s*|\s+(?:and|or)\s+)(\d{5})\b")
# 国发〔2025〕11号, and its romanised form "Guo Fa [2025] No. 11".
CN_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,6})〔(\d{4})〕(\d{1,4})号")
CN_NUMBER_ROMAN = re.compile(r"\b(Guo\s+Ban\s+Fa|Guo\s+Fa)\s*\[(\d{4})\]\s*No\.\s*(\d{1,4})\b")
_ROMAN_PREFIX = {"guo fa": "国发", "guo ban fa": "国办发"}
# A law named in Chinese: 《中华人民共和国网络安全法》.
CN_TITLE = re.compile(r"《([^《》\n]{2,60})》")
# Codes in titles: "CP 815", "NIST AI 100-1".
_CODE = re.compile(r"\b(CP|AI)\s(\d{2,5}(?:-\d+)?)\b")


@dataclass(frozen=True)
class Identifier:
    display: str
    key: str


def eo(number: str) -> Identifier:
    return Identifier(f"EO {number}", f"eo:{number}")


def eu_act(act_type: str, number: str) -> Identifier:
    """An EU act from its type word and number as written ("Regulations", "(EC) No 300/2008")."""
    kind = re.sub(r"^(?:council|commission)\s+", "", act_type.lower().strip())
    kind = re.sub(r"s$", "", re.sub(r"\s+", " ", kind))
    number = re.sub(r"\s+", " ", number.strip())
    core = re.search(r"(\d{1,4})/(\d{1,4})", number)
    assert core is not None
    return Identifier(f"{kind.title()} {number}", f"{kind}:{core.group(1)}/{core.group(2)}")


def cn_number(prefix: str, year: str, number: str) -> Identifier:
    prefix = _ROMAN_PREFIX.get(re.sub(r"\s+", " ", prefix.lower()), prefix)
    return Identifier(f"{prefix}〔{year}〕{number}号", f"cn:{prefix}/{year}/{number}")


def cn_title(name: str) -> Identifier:
    return Identifier(f"《{name}》", "name:" + re.sub(r"^中华人民共和国", "", name))


def name(text: str) -> Identifier:
    return Identifier(text, "name:" + re.sub(r"\s+", " ", text.lower()).strip())


def parse_list(text: str, start: int = 0) -> tuple[list[tuple[Identifier, int, int]], int]:
    """The identifiers listed from `start` on ("Regulations (EC) No 300/2008, (EU) 2018/858 and Directives
    2014/90/EU"), with their spans, and where the list ends. Type words carry over to the numbers after them."""
    found: list[tuple[Identifier, int, int]] = []
    act_type: str | None = None
    pos = end = start
    while True:
        match = LIST_TOKEN.match(text, pos)
        if match is None:
            break
        if match.group("eo"):
            number = re.search(r"\d{4,5}", match.group("eo"))
            assert number is not None
            found.append((eo(number.group()), match.start(), match.end()))
            act_type = None
        elif match.group("type"):
            act_type = match.group("type")
        elif act_type is not None:
            found.append((eu_act(act_type, match.group("num")), match.start(), match.end()))
        else:
            break
        end = match.end()
        glue = _LIST_GLUE.match(text, end)
        pos = glue.end() if glue else end
        if pos - end > 12:
            break
    return found, end


def find_all(text: str) -> list[Identifier]:
    """Every identifier written in the text, in order, without repeats."""
    out: dict[str, Identifier] = {}
    for match in EO_NUMBER.finditer(text):
        ident = eo(match.group(1))
        out.setdefault(ident.key, ident)
        # "Executive Orders 13859 and 13960".
        position = match.end()
        while (more := _MORE_EO.match(text, position)) is not None:
            ident = eo(more.group(1))
            out.setdefault(ident.key, ident)
            position = more.end()
    for match in EU_ACT.finditer(text):
        ident = eu_act(match.group("type"), match.group("num"))
        out.setdefault(ident.key, ident)
    for match in CN_NUMBER.finditer(text):
        ident = cn_number(*match.groups())
        out.setdefault(ident.key, ident)
    for match in CN_NUMBER_ROMAN.finditer(text):
        ident = cn_number(*match.groups())
        out.setdefault(ident.key, ident)
    for match in _CODE.finditer(text):
        ident = Identifier(
            f"{match.group(1)} {match.group(2)}", f"code:{match.group(1).lower()}-{match.group(2)}"
        )
        out.setdefault(ident.key, ident)
    return list(out.values())


def of_value(value: str) -> list[Identifier]:
    """Identifiers given in a front-matter value: the ones recognised, else each comma-separated name."""
    found = find_all(value)
    if found:
        return found
    return [name(part.strip()) for part in re.split(r"[;,]", value) if part.strip()]


def own_identifiers(title: str, opening: str, extra: Iterable[str] = ()) -> list[Identifier]:
    """A document's own identifiers: those in its title (and given in front matter), its short names in the
    title's parentheses, and a Chinese document number in its opening lines."""
    out: dict[str, Identifier] = {}
    for ident in [*find_all(title), *(i for value in extra for i in of_value(value))]:
        out.setdefault(ident.key, ident)
    for match in CN_NUMBER.finditer(opening):
        ident = cn_number(*match.groups())
        out.setdefault(ident.key, ident)
    cjk = re.match(r"\s*([\u4e00-\u9fff“”\"+]{4,60})", title)
    if cjk:
        ident = cn_title(cjk.group(1).strip())
        out.setdefault(ident.key, ident)
    for inner in re.findall(r"\(([^()]{2,60})\)", title):
        for part in inner.split(","):
            part = part.strip()
            if re.fullmatch(r"[A-Z]{3,6}", part) or re.fullmatch(r"(?:[A-Z][\w-]*\s+){1,5}Act", part):
                ident = name(part)
                out.setdefault(ident.key, ident)
    return list(out.values())
