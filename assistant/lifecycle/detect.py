"""Lifecycle facts read from a document's text with a few regular expressions, each with its evidence span.

Precise before complete: a relation is kept only when the text says who acts. "This order revokes EO 13960",
"Directive 95/46/EC is repealed", a title "Regulation (EU) 2016/679 ... repealing Directive 95/46/EC" or a
heading "Amendment to Regulation (EC) No 300/2008" are the document's own acts; "the revoked Executive Order
14110" or "rescinding Executive Order 14110" report another document's status (`refers_to` with a
`target_status`). Relations between two other acts (a footnote citing "Regulation (EU) 2016/679 ... repealing
Directive 95/46/EC" inside the AI Act) are left out. Dates are kept when the document says they are its own:
"It shall apply from 25 May 2018", "Chapters I and II shall apply from 2 February 2025", 自2023年8月15日起施行.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from . import identifiers as ids
from .model import Evidence, LifecycleDate, Relation

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_MONTH_NUMBER = {m.lower(): i for i, m in enumerate(_MONTHS.split("|"), start=1)}
DATE = (
    rf"(?:\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{4}}|(?:{_MONTHS})\s+\d{{1,2}},\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
)
_DATE = re.compile(DATE)

_VERB = re.compile(
    r"\b(?:(?P<revoke>revok(?:es|e|ed|ing)|rescind(?:s|ed|ing)?|repeal(?:s|ed|ing)?)"
    r"|(?P<amend>amend(?:s|ed|ing)?)|(?P<supersede>supersed(?:es|e|ed|ing)|replac(?:es|ed|ing)))\b",
    re.IGNORECASE,
)
_NOUN = re.compile(r"\b(?:rescission|revocation|repeal)\s+of\s+(?:the\s+)?(?=\S)", re.IGNORECASE)
_AUX = re.compile(
    r"\b(?P<aux>is|are|shall\s+be|should\s+be|was|were|has\s+been|have\s+been|had\s+been)\s+(?:hereby\s+)?$",
    re.IGNORECASE,
)
_PAST_AUX = re.compile(r"^(?:was|were|has\s+been|have\s+been|had\s+been)$", re.IGNORECASE)
_GAP = re.compile(r"(?:\s+(?:the|Biden|Biden[’']s|former|prior|previous|earlier))*\s+")
_SELF = re.compile(
    r"\b(?:[Tt]his|[Tt]he\s+present)\s+(?:[Oo]rder|Regulation|Directive|Decision|Act|[Pp]lan|[Mm]emorandum"
    r"|[Pp]roclamation)\b[^.;]{0,60}$|\bhereby\s*$"
)
_SELF_AGENT = re.compile(r"\s+by\s+(?:this|the\s+present)\b", re.IGNORECASE)
_INTENT = re.compile(
    r"\b(?:shall|should|will|would|may|might|could|consider|considering|propose|proposed|proposing|plans?\s+to"
    r"|intends?\s+to|to)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
# Where the subject of a title-like phrase ("Regulation X ... amending Y") can no longer be: a footnote's end,
# the end of a sentence, a semicolon.
_BOUNDARY = re.compile(r"\(OJ\b|\)\.|\.\s*\n|\.\s+(?=[A-Z(])|;|。")
# The subject of a passive ("Directive 95/46/EC is repealed") opens its sentence, on the same line.
_SENTENCE_BOUNDARY = re.compile(_BOUNDARY.pattern + r"|\n")
_HEADING = re.compile(
    r"^[ \t#*]*(?P<verb>Amendments?\s+to|Repeal\s+of)\s+(?=\S)", re.IGNORECASE | re.MULTILINE
)
_APPLY = re.compile(
    rf"\bshall\s+(?P<verb>apply|enter\s+into\s+force|take\s+effect|become\s+effective)\s+(?:from|on|as\s+from"
    rf"|as\s+of|with\s+effect\s+from)\s+(?P<date>{DATE})"
)
_OWN_SUBJECT = re.compile(
    r"^(?:It|This\s+(?:Regulation|Directive|Decision|Act|[Oo]rder|Law|Measures?|[Pp]olicy))$", re.IGNORECASE
)
_PART_SUBJECT = re.compile(r"^(?:Chapters?|Articles?|Sections?|Titles?|Annex(?:es)?|Points?|Paragraphs?)\b")
_LEAD = re.compile(r"\s*(?:(?:\(?\d{1,3}[.)]|\([a-z]{1,4}\))\s*)?(?:[Tt]he\s+)?")
_NUMBERING = re.compile(r"^(?:\(?\d{1,3}[.)]|\([a-z]{1,4}\))\s*")
_EFFECT_DATE = re.compile(rf"\s*,?\s*(?:with\s+effect\s+)?(?:from|on|as\s+of)\s+(?P<date>{DATE})")
# Chinese.
_CN_DATE = r"(\d{4})年(\d{1,2})月(\d{1,2})日"
_CN_IN_FORCE = re.compile(rf"自{_CN_DATE}起(?:施行|实施|生效)")
_CN_REVOKED_ALREADY = re.compile(r"《([^《》\n]{2,60})》(?:（[^）]{0,30}）)?已(?:被)?(?:废止|失效)")
_CN_REVOKES = re.compile(
    r"《([^《》\n]{2,60})》(?:（[^）]{0,30}）)?(?:同时)?(?:予以)?废止|废止《([^《》\n]{2,60})》"
)
_CN_AMENDS = re.compile(r"对《([^《》\n]{2,60})》(?:作出?如下|作)?(?:修改|修订|修正)")
_CN_BASIS = re.compile(r"(?:根据|依据)((?:《[^《》\n]{2,60}》[、，,和及与]?\s*)+)[^。；\n]{0,60}?制定本")
_CN_CARRY_OUT = re.compile(r"为(?:了)?(?:贯彻落实|贯彻|落实|实施)((?:《[^《》\n]{2,60}》[、，和及与]?)+)")

_FAMILY = {
    "revoke": ("revokes", "revoked"),
    "amend": ("amends", None),
    "supersede": ("supersedes", "superseded"),
}


def detect(text: str, own_keys: Iterable[str]) -> tuple[list[Relation], list[LifecycleDate]]:
    """The relations and dates a document's text states about itself and about the documents it cites."""
    own = set(own_keys)
    relations: list[Relation] = []
    for match in _VERB.finditer(text):
        relations.extend(_verb_relations(text, match, own))
    for match in _NOUN.finditer(text):
        if not _HEADING.match(text, text.rfind("\n", 0, match.start()) + 1):
            for ident, _s, e in _targets(text, match.end()):
                relations.append(_relation("refers_to", ident, text, match.start(), e, status="revoked"))
    for match in _HEADING.finditer(text):
        found, end = ids.parse_list(text, match.end())
        line_end = text.find("\n", end)
        if found and not text[end : line_end if line_end >= 0 else len(text)].strip():
            kind = "amends" if match.group("verb").lower().startswith("amend") else "revokes"
            for ident, _s, e in found:
                relations.append(_relation(kind, ident, text, match.start("verb"), e))
    relations.extend(_chinese_relations(text))
    return _dedupe(relations, own), _dates(text)


def _verb_relations(text: str, match: re.Match[str], own: set[str]) -> list[Relation]:
    family = next(name for name in _FAMILY if match.group(name))
    word = match.group(0).lower()
    acts, status = _FAMILY[family]
    before = text[max(0, match.start() - 600) : match.start()]
    out: list[Relation] = []
    aux = _AUX.search(before)
    if aux and word.endswith("ed"):
        # "Directive 95/46/EC is repealed", "Executive Order 13960 ..., is hereby revoked".
        head = before[: aux.start()]
        clause = _clause(head, _SENTENCE_BOUNDARY)
        clause_offset = match.start() - len(before) + len(head) - len(clause)
        lead = _LEAD.match(clause)
        found, _end = ids.parse_list(clause, lead.end() if lead else 0)
        if not found:
            return out
        after = text[match.end() : match.end() + 200]
        agent = re.match(r"\s+by\s+", after)
        foreign_agent = False
        if agent and not _SELF_AGENT.match(after):
            agents, _ = ids.parse_list(after, agent.end())
            foreign_agent = bool(agents) and not any(a.key in own for a, _s, _e in agents)
        past = bool(_PAST_AUX.match(aux.group("aux")))
        when = _EFFECT_DATE.match(after)
        date = _iso(when.group("date")) if when else None
        offset = clause_offset + found[0][1]
        for ident, _s, _e in found:
            if past or foreign_agent:
                if status:
                    out.append(
                        _relation("refers_to", ident, text, offset, match.end(), status=status, date=date)
                    )
            elif ident.key not in own:
                out.append(_relation(acts, ident, text, offset, match.end(), date=date))
        return out
    targets = _targets(text, match.end())
    if not targets:
        return out
    end = targets[-1][2]
    if word.endswith("ed"):
        # "the revoked Executive Order 14110", "President Trump revoked EO 14110".
        if status and not aux:
            tail = _EFFECT_DATE.match(text, end)
            date = _iso(tail.group("date")) if tail else None
            out = [
                _relation("refers_to", i, text, match.start(), end, status=status, date=date)
                for i, _, _ in targets
            ]
        return out
    if word.endswith("ing"):
        subject = _first_act(_clause(before))
        if subject is not None:
            if subject in own:
                out = [
                    _relation(acts, i, text, match.start(), end) for i, _, _ in targets if i.key not in own
                ]
        elif status == "revoked" and not _INTENT.search(before):
            out = [_relation("refers_to", i, text, match.start(), end, status=status) for i, _, _ in targets]
        return out
    if _SELF.search(_clause(before)):
        # "This order revokes Executive Order 13960", "I hereby revoke ...".
        out = [_relation(acts, i, text, match.start(), end) for i, _, _ in targets if i.key not in own]
    return out


def _targets(text: str, position: int) -> list[tuple[ids.Identifier, int, int]]:
    gap = _GAP.match(text, position)
    start = gap.end() if gap else position
    found, _end = ids.parse_list(text, start)
    return found


def _clause(before: str, boundary: re.Pattern[str] = _BOUNDARY) -> str:
    """The part of `before` after its last boundary: the sentence (or footnote) a match sits in."""
    ends = [m.end() for m in boundary.finditer(before)]
    return before[ends[-1] :] if ends else before


def _first_act(clause: str) -> str | None:
    """The key of the first act named in the clause (the subject of a title-like phrase)."""
    best: tuple[int, str] | None = None
    for pattern in (ids.EU_ACT, ids.EO_NUMBER):
        match = pattern.search(clause)
        if match and (best is None or match.start() < best[0]):
            if pattern is ids.EU_ACT:
                key = ids.eu_act(match.group("type"), match.group("num")).key
            else:
                key = ids.eo(match.group(1)).key
            best = (match.start(), key)
    return best[1] if best else None


def _chinese_relations(text: str) -> list[Relation]:
    if "《" not in text:
        return []
    out: list[Relation] = []
    already = set()
    for match in _CN_REVOKED_ALREADY.finditer(text):
        already.add(match.start())
        ident = ids.cn_title(match.group(1))
        out.append(_relation("refers_to", ident, text, match.start(), match.end(), status="revoked"))
    for match in _CN_REVOKES.finditer(text):
        if match.start() not in already:
            ident = ids.cn_title(match.group(1) or match.group(2))
            out.append(_relation("revokes", ident, text, match.start(), match.end()))
    for match in _CN_AMENDS.finditer(text):
        out.append(_relation("amends", ids.cn_title(match.group(1)), text, match.start(), match.end()))
    for pattern in (_CN_BASIS, _CN_CARRY_OUT):
        for match in pattern.finditer(text):
            for name in re.findall(r"《([^《》]+)》", match.group(1)):
                out.append(_relation("implements", ids.cn_title(name), text, match.start(), match.end()))
    return out


def _dates(text: str) -> list[LifecycleDate]:
    out: list[LifecycleDate] = []
    for match in _APPLY.finditer(text):
        before = text[max(0, match.start() - 300) : match.start()]
        cut = max(before.rfind("\n"), before.rfind(". "), before.rfind(";"))
        subject = _NUMBERING.sub("", before[cut + 1 :].strip()).strip()
        kind = "applies_from" if match.group("verb") == "apply" else "entry_into_force"
        if _OWN_SUBJECT.match(subject):
            scope = None
        elif _PART_SUBJECT.match(subject) and not ids.EU_ACT.search(subject) and len(subject) <= 160:
            scope = subject
        else:
            continue
        date = _iso(match.group("date"))
        if date:
            out.append(_date(kind, date, text, match.start(), match.end(), scope))
    for match in _CN_IN_FORCE.finditer(text):
        year, month, day = (int(g) for g in match.groups())
        out.append(
            _date("entry_into_force", f"{year:04d}-{month:02d}-{day:02d}", text, match.start(), match.end())
        )
    return out


def _iso(value: str) -> str | None:
    """'25 May 2018', 'January 23, 2025' or '2025-01-20' as YYYY-MM-DD."""
    value = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    match = re.fullmatch(rf"(\d{{1,2}})\s+({_MONTHS})\s+(\d{{4}})", value)
    if match:
        day, month, year = int(match.group(1)), _MONTH_NUMBER[match.group(2).lower()], int(match.group(3))
    else:
        match = re.fullmatch(rf"({_MONTHS})\s+(\d{{1,2}}),\s+(\d{{4}})", value)
        if not match:
            return None
        month, day, year = _MONTH_NUMBER[match.group(1).lower()], int(match.group(2)), int(match.group(3))
    return f"{year:04d}-{month:02d}-{day:02d}"


def evidence_span(text: str, start: int, end: int) -> Evidence:
    """The sentence around [start, end): from the last sentence end before it to the next one after it."""
    left_window = text[max(0, start - 400) : start]
    cuts = [
        left_window.rfind(m) + len(m) for m in (". ", ".\n", "\n\n", "。", "；", "? ") if m in left_window
    ]
    left = start - len(left_window) + max(cuts) if cuts else max(0, start - 400)
    right_window = text[end : end + 400]
    stops = [i + 1 for m in (". ", ".\n", "\n\n", "。") if (i := right_window.find(m)) >= 0]
    right = end + (min(stops) if stops else len(right_window))
    while left < start and text[left].isspace():
        left += 1
    while right > end and text[right - 1].isspace():
        right -= 1
    return Evidence(quote=text[left:right], start=left, end=right)


def _relation(
    kind: str,
    ident: ids.Identifier,
    text: str,
    start: int,
    end: int,
    *,
    status: str | None = None,
    date: str | None = None,
) -> Relation:
    return Relation(
        relation=kind,  # type: ignore[arg-type]
        target=ident.display,
        target_key=ident.key,
        target_status=status,  # type: ignore[arg-type]
        date=date,
        evidence=evidence_span(text, start, end),
    )


def _date(kind: str, date: str, text: str, start: int, end: int, scope: str | None = None) -> LifecycleDate:
    return LifecycleDate(kind=kind, date=date, scope=scope, evidence=evidence_span(text, start, end))  # type: ignore[arg-type]


def _dedupe(relations: list[Relation], own: set[str]) -> list[Relation]:
    """One relation per (kind, target, status), its first evidence kept (a later one fills in a date); a
    report that another document is revoked is dropped when this document itself revokes it."""
    acted = {(r.target_key) for r in relations if r.relation == "revokes"}
    out: dict[tuple[str, str, str | None], Relation] = {}
    for relation in relations:
        if relation.relation == "refers_to" and relation.target_key in acted:
            continue
        key = (relation.relation, relation.target_key, relation.target_status)
        kept = out.get(key)
        if kept is None:
            out[key] = relation
        elif kept.date is None and relation.date is not None:
            out[key] = kept.model_copy(update={"date": relation.date})
    return list(out.values())
