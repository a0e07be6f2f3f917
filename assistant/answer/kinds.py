"""What kind of fact a question asks for — a date, a figure, an amount of money, a name — and whether a
sentence states one.

"When must providers comply?" is answered by a sentence with a date, "How many principles ...?" by one that
puts a figure before the principles, "Who chairs ...?" by one that names someone the question does not; in
English and in Chinese. The evidence scorer ranks sentences lower that state no fact of the kind asked
(`KindCheck`), the direct answer quotes the words that state it (answer/direct.py), and an amount of money
asked for must be stated by the best sentences (answer/specifics.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..language.chinese import has_cjk
from ..language.terms import terms

# A question asking when: "When ...?", "Since when", "by when" anywhere, "What date / year / deadline ...",
# "How soon", a "deadline". Shared by the evidence scorer's kind check and the direct answer.
ASKS_DATE = re.compile(
    r"^\W*(?:and\s+)?(?:(?:since|until|by|from|starting|beginning|effective)\s+)?when\b|\b(?:since|until|by) when\b"
    r"|\bhow soon\b|\b(?:what|which|by what|from what|on what|until what|in what)\s+(?:date|day|year|month|"
    r"deadline|time ?frame)\b|\bdeadline\b",
    re.IGNORECASE,
)
_ASKS_NUMBER = re.compile(
    r"\bhow (?:many|much|long|often|large|big|high|low)\b|\b(?:what|which)\s+(?:\w+\s+){0,2}?(?:percentage|"
    r"share|proportion|number|amount|fine|threshold|budget|sum|rate|level|figure|target|cap|ceiling|"
    r"penalty|size|count)s?\b|\b(?:maximum|minimum|at most|at least|per cent|percent)\b",
    re.IGNORECASE,
)
MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_STATES_DATE = re.compile(
    rf"(?<![A-Za-z0-9.,])(?:19|20)\d{{2}}(?![A-Za-z0-9%]|[.,]\d)|\b(?:{MONTHS})\b|\b\d+\s*(?:days?|weeks?|months?|"
    r"years?)\b|\b(?:within|no later than|not later than|by the end of|annually|quarterly|every)\b|[年月日]",
    re.IGNORECASE,
)
NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    "hundred|thousand|million|billion|trillion|half|double|twice|dozen"
)
# The first digit of a figure that is neither a year standing alone ("the 2018 Coordinated Plan") nor a footnote
# mark glued to a word ("processes4").
_FIGURE_DIGIT = r"(?<![A-Za-z0-9.,])(?!(?:19|20)\d{2}(?![\d%]|[.,]\d))\d"
# A figure written in Chinese numerals with its measure word: 六大领域, 三年, 两倍, 十项 (not an ordinal, 第七条, nor
# a word that holds a numeral, 统一, 进一步).
_CJK_COUNT = re.compile(
    r"(?<![第一二三四五六七八九十百千万两])[一二三四五六七八九十百千万两]+[个项条大类种年月日次倍成家所名]"
)
# A figure: such digits, a number word, a share, or a Chinese count.
_STATES_NUMBER = re.compile(
    rf"{_FIGURE_DIGIT}|\b(?:{NUMBER_WORDS})\b|[%％]|{_CJK_COUNT.pattern}",
    re.IGNORECASE,
)


_ASKS_MONEY = re.compile(
    r"\b(?:budget|budgets|funding|funds?|fines?|prize money|money|cost|costs|spend|spending|invest|investment|"
    r"investments|grants?|subsid(?:y|ies)|in (?:dollars|euros?|yuan|renminbi|pounds|yen)|how many (?:dollars|"
    r"euros|yuan|pounds|yen))\b|预算|资金|经费|拨款|资助|投资|罚款|美元|欧元|英镑|日元|人民币",
    re.IGNORECASE,
)
# A currency's name ("5 billion euros", "元"), and any currency: a sign, a code or a name.
CURRENCY_NAME = r"(?:\b(?:euros?|dollars?|pounds?|sterling|yuan|renminbi|yen)\b|元)"
CURRENCY = rf"(?:[$€£¥]|US\$|\b(?:EUR|USD|GBP|CNY|RMB|JPY|CAD)\b|{CURRENCY_NAME})"
STATES_MONEY = re.compile(
    rf"{CURRENCY}\s?\d|\d[\d,.]*\s*(?:(?:{NUMBER_WORDS}|bn|m)\s+|[万亿]+)?{CURRENCY}",
    re.IGNORECASE,
)


def asks_money(question: str) -> bool:
    """Whether the question asks for an amount of money (a budget, a fine, funding, a prize)."""
    return bool(_ASKS_MONEY.search(question)) and bool(
        _ASKS_NUMBER.search(question) or _ASKS_NUMBER_ZH.search(question)
    )


def states_money(sentence: str) -> bool:
    """Whether the sentence states an amount of money ("EUR 35 000 000", "€109 billion", "2 billion euros")."""
    return bool(STATES_MONEY.search(sentence))


# A question asking who: "Who chairs ...?", "Which agency heads ...", "Through which body ...".
# "Where" asks for a place, unless it asks for a position or a goal ("Where does the UK stand on ...?", "Where
# does the plan expect China to be by 2035?").
_ASKS_WHERE = re.compile(
    r"^\W*(?:and\s+)?where\b|\bwhere\s+(?:is|are|was|were|will|would|did|does|do)\b", re.I
)
_FIGURATIVE_WHERE = re.compile(
    r"\b(?:stands?|standing|expects?|expected|aims?|wants?|sees?|envisag\w*|envision\w*|headed|heading|going|"
    r"leaves?|left|lie|lies)\b",
    re.IGNORECASE,
)
_ASKS_WHO = re.compile(
    r"^\W*(?:and\s+)?who\b|\bwho\s+(?:is|are|was|were|will|would|must|shall|should|chairs?|chaired|leads?|led|"
    r"sits?|coordinates?|signed|issues?|issued|oversees?|runs?|makes?\s+up)\b|\b(?:which|what)\s+(?:body|bodies|"
    r"agency|agencies|authority|authorities|organi[sz]ations?|office|offices|department|departments|ministry|"
    r"ministries|minister|official|officials|person|persons|committee|council|board|institution|institutions)\b",
    re.IGNORECASE,
)
# Capitalised words that name nothing specific when they open a question or sit inside one: a sentence's use
# of them names no one, and a question's use of them is no proper name it asks about (answer/specifics.py).
COMMON_CAPITALS = frozenset(
    [
        "i",
        "a",
        "an",
        "the",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "must",
        "may",
        "might",
        "has",
        "have",
        "had",
        "in",
        "on",
        "at",
        "by",
        "for",
        "of",
        "to",
        "under",
        "according",
        "per",
        "and",
        "or",
        "if",
        "article",
        "articles",
        "section",
        "annex",
        "chapter",
        "recital",
        "title",
        "part",
        "order",
        "executive",
        "act",
        "regulation",
        "directive",
        "plan",
        "strategy",
        "framework",
        "guideline",
        "guidelines",
        "paper",
        "report",
        "response",
        "government",
        "commission",
        "council",
        "union",
        "member",
        "states",
        "state",
        "office",
        "agency",
        "department",
        "ministry",
        "national",
        "federal",
        "english",
    ]
)
_NAME_WORD = re.compile(r"(?<![\w'’])(?:[A-Z][a-z]+[\w'’-]*|[A-Z]{2,}s?)\b")


# "How many principles does ...": the words after "how many" up to the first function word; the last is the
# thing counted.
_HOW_MANY = re.compile(
    r"\bhow many\s+((?:[A-Za-z][\w'’-]*\s+){0,3}?[A-Za-z][\w'’-]*)\b(?=\s+(?:does|do|did|is|are|was|were|has|have|"
    r"had|must|shall|should|will|would|can|could|may|in|of|under|per|for|from|at|on|and|or)\b|\s*[?,])",
    re.IGNORECASE,
)
# A figure (digits or a number word) and the three words after it.
_COUNT = re.compile(
    rf"(?:{_FIGURE_DIGIT}[\d,.]*|\b(?:{NUMBER_WORDS})\b)((?:\W+[\w'’-]+){{1,3}})",
    re.IGNORECASE,
)
_BETWEEN_COUNT_AND_NOUN_NOT = frozenset(
    ["of", "on", "in", "for", "to", "from", "per", "by", "with", "and", "or"]
)


def counted_noun(question: str) -> str | None:
    """The thing a "how many" question counts ("principles", "responses", "Member States" -> "States")."""
    match = _HOW_MANY.search(question)
    return match.group(1).split()[-1] if match else None


def counts(sentence: str, noun: Callable[[str], bool]) -> bool:
    """Whether the sentence puts a number before the counted thing (`noun` tells its words), within three words:
    "10 core principles", "the “three principles”", "19 Member States"."""
    for match in _COUNT.finditer(sentence):
        for word in re.findall(r"[\w'’-]+", match.group(1)):
            if noun(word):
                return True
            if word.lower() in _BETWEEN_COUNT_AND_NOUN_NOT:
                break
    return False


# The same questions asked in Chinese: 何时 / 哪一年 (when), 多少 / 几年 / 多长 / 比例 / 最短 (how many, how long,
# what share, the least), 谁 / 哪个机构 (who, which body).
_ASKS_DATE_ZH = re.compile(r"何时|什么时候|哪一?年|哪一?天|哪一?日|哪个月|截止日期|起施行")
_ASKS_NUMBER_ZH = re.compile(
    r"多少|多久|多长|多大|多高|几[年个项条次岁天月倍家所名人类]|比例|百分之|占比|上限|下限|门槛|最[高低长短多少]"
)
_ASKS_WHO_ZH = re.compile(r"谁|何人|哪[个些家](?:机构|部门|组织|机关|单位|委员会|人)|由哪")


# A leading condition ("When data annotation is done, what rules ...?", "If no law sets a penalty, which ..."):
# its "when" or "where" asks nothing.
_CONDITION = re.compile(
    r"^\W*(?:when|whenever|where|if|once|after|before)\b[^,?]{3,},\s*(?=(?:what|which|who|whom|how|when|where|"
    r"must|does|do|did|is|are|can|could|should|shall|will|would|may)\b)",
    re.IGNORECASE,
)


def asked_kind(question: str) -> str | None:
    """'date' for a question asking when, 'number' for how many / how much / what share, 'who' for who,
    which body or where (a name answers them), else None; in English or in Chinese."""
    question = _CONDITION.sub("", question)
    if ASKS_DATE.search(question) or _ASKS_DATE_ZH.search(question):
        return "date"
    if _ASKS_NUMBER.search(question) or _ASKS_NUMBER_ZH.search(question):
        return "number"
    if _ASKS_WHO_ZH.search(question):
        return "who"
    if _ASKS_WHO.search(question) or (
        _ASKS_WHERE.search(question) and not _FIGURATIVE_WHERE.search(question)
    ):
        return "who"
    return None


def states_kind(sentence: str, kind: str | None, asked: Callable[[str], bool] = lambda word: False) -> bool:
    """Whether the sentence states the kind of fact asked for (any sentence does when none is asked). For
    "who", a name the question does not already use (`asked` says whether it does): "The Assistant to the
    President ... shall serve as Chair" names someone, "The Chair may create subgroups of the White House AI
    Council" only repeats the question."""
    if kind == "date":
        return bool(_STATES_DATE.search(sentence))
    if kind == "number":
        return bool(_STATES_NUMBER.search(sentence))
    if kind == "who":
        if has_cjk(sentence):
            return True  # Chinese writes names without capitals: no telling, so no penalty
        words = _NAME_WORD.findall(sentence)
        first = sentence.lstrip()[:1].isupper()
        return any(
            not (i == 0 and first) and word.lower() not in COMMON_CAPITALS and not asked(word)
            for i, word in enumerate(words)
        )
    return True


@dataclass(frozen=True)
class KindCheck:
    """The kind of fact a question asks for, and how far a sentence falls short of stating one."""

    kind: str | None
    stemmer: str | None
    asked_terms: frozenset[str]  # the question's index terms: a name among them is no answer to "who"
    counted_terms: frozenset[str]  # the thing a "how many" question counts

    @classmethod
    def of(cls, question: str, stemmer: str | None) -> KindCheck:
        kind = asked_kind(question)
        noun = counted_noun(question) if kind == "number" else None
        return cls(
            kind,
            stemmer,
            frozenset(terms(question, stemmer)),
            frozenset(terms(noun, stemmer)) if noun else frozenset(),
        )

    def shortfall(self, sentence: str) -> float:
        """1 when the sentence states no fact of the kind asked, 0.5 when it states a figure that counts
        something else than a "how many X" question's X, else 0."""
        if not states_kind(sentence, self.kind, self._asked):
            return 1.0
        if self.counted_terms and not counts(sentence, self._counted):
            return 0.5
        return 0.0

    def _asked(self, word: str) -> bool:
        return set(terms(word, self.stemmer)) <= self.asked_terms

    def _counted(self, word: str) -> bool:
        return bool(self.counted_terms & set(terms(word, self.stemmer)))
