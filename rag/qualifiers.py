"""What a figure counts: its status, time frame, place and source, read from its sentence.

Two figures are rivals only when they measure the same thing: 1,500 troops "already
stationed" and 10,000 "expected by December" are different facts, not a disagreement
(:mod:`rag.conflicts` groups claims by what this module reads). A small rule set, read in order:

    >>> [(q.value, q.status, q.timeframe) for q in qualify(
    ...     "New intelligence suggests North Korea has already deployed around 3,000 soldiers, "
    ...     "with up to 10,000 expected by year’s end.")]
    [('3,000', 'already there', ''), ('10,000', 'expected', 'by year’s end')]
    >>> [(q.value, q.unit, q.status, q.timeframe) for q in qualify(
    ...     "Exports fell to 882 tonnes in March from 1,764 in February.", MEASURES)]
    [('882', 'tonnes', 'fell to', 'in March'), ('1,764', 'tonnes', 'previous', 'in February')]

Speakers are normalised so that one source is one source:

    >>> normalise_speaker("Seoul’s spy agency"), normalise_speaker("Ukrainian President Zelenskyy")
    ('NIS', 'Zelensky')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.figures import MEASURES, UNITS, Figure, figures, numbers_in, speaker

__all__ = ["MEASURES", "UNITS", "Qualified", "figures_in", "normalise_speaker",
           "overlapping", "qualify", "timeframe_key"]


@dataclass(frozen=True)
class Qualified:
    """A figure with what it counts: ``12,000 troops, committed in total, per the NIS``."""

    value: str
    number: float
    unit: str
    position: int
    status: str
    timeframe: str
    place: str
    speaker: str  # the report's own words, "" when it names no one
    speaker_normalised: str


# -- figures, with a unit carried over ----------------------------------------------------------
# "fell to 882 tonnes in March from 1,764 in February": 1,764 is tonnes too. A number carries
# the unit of the figure before it when it follows one of these words and is not a date or year.
_CARRY = re.compile(r"(?:\bfrom|\bagainst|\band|\bup to|\bvs\.?)\s+(?:about\s+|around\s+|some\s+"
                    r"|an estimated\s+)?$", re.I)
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|March|April|May|June|July|Aug(?:ust)?|Sept?(?:ember)?|"
          r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_AFTER_MONTH = re.compile(_MONTH + r"\.?\s+$")


def figures_in(sentence: str, units: dict[str, str] | None = None) -> list[Figure]:
    """The figures of ``sentence`` (:func:`rag.figures.figures`) plus numbers that carry the
    unit of the figure before them ("from 287,940 in January"), in order."""
    found = figures(sentence, units)
    taken = {f.position for f in found}
    for num in numbers_in(sentence):
        if num.position in taken or num.currency:
            continue
        before = [f for f in found if f.position < num.position]
        head = sentence[:num.position]
        tail = sentence[num.position + len(num.written):]
        is_year = re.fullmatch(r"(?:19|20)\d\d", num.written) is not None
        if (before and _CARRY.search(head) and not _AFTER_MONTH.search(head) and not is_year
                and not re.match(r"\s+of\b", tail)
                and (before[-1].unit != "troops" or num.value >= 100)):
            found.append(Figure(num.written, num.value, before[-1].unit, num.position))
    return sorted(found, key=lambda f: f.position)


# -- status: what the figure counts ---------------------------------------------------------
# (status, where the cue is looked for, pattern). "before" is the clause up to the figure,
# "near" the three words before it, "after" the words after it up to the next figure.
_TROOP_RULES = [
    ("killed", "after", r"^\W*(?:\S+\s+){0,4}?(?:were |was |have been )?(?:killed|dead|died)\b"),
    ("wounded", "after", r"^\W*(?:\S+\s+){0,4}?(?:were |was )?(?:wounded|injured)\b"),
    ("captured", "after", r"^\W*(?:\S+\s+){0,4}?(?:were |was )?captured\b"),
    ("already there", "before", r"\balready\b"),
    ("already there", "after", r"^\W*(?:\S+\s+){0,4}?(?:already|in transit)\b"),
    ("committed in total", "before", r"\btotal(?:ing|ling)?\b|\bin all\b|\bcommitted\b|"
                                     r"\bvanguard of\b"),
    ("committed in total", "after", r"^\W*(?:\S+\s+){0,3}?total(?:ing|ling)?\b|^\W*in all\b"),
    ("expected", "before", r"\bexpect\w*|\bprepar\w*|\bwill\b|\bto send\b|\badditional\b"),
    ("expected", "after", r"^\W*(?:\S+\s+){0,4}?(?:expected|preparing|to be sent)\b"),
    ("planned", "before", r"\bplan\w*|\bconsider\w*|\bwould\b|\bmay\b|\bcould\b"),
    ("deployed", "before", r"\bdeploy\w*|\bsen[td]\w*|\bdispatch\w*|\btransport\w*|\bstation\w*"),
]
_RISE = r"\b(?:rose|rise|rising|risen|increas\w*|gain\w*|climb\w*|jump\w*|tripled|doubled|up)\b"
_FALL = (r"\b(?:fell|fall|falling|fallen|declin\w*|drop\w*|decreas\w*|slipped|lowered|cut|"
         r"down)\b")
_MARKET_RULES = [
    ("previous", "near", r"\b(?:from|against|compared with|vs\.?)\s+(?:about\s+|around\s+|some\s+"
                         r"|an estimated\s+)?$"),
    ("total", "near", r"\btotal(?:led|ed|ling|ing)?\s+(?:about\s+|around\s+|some\s+)?$|"
                      r"\btotal (?:value )?of\s+(?:about\s+|around\s+)?$"),
    ("price", "near", r"\b(?:priced at|costs?|for)\s+(?:about\s+|around\s+)?$"),
    ("forecast", "before", r"\bforecast\w*|\bexpect\w*|\bestimated to\b|\blikely\b|\bproject\w*|"
                           r"\btarget\w*"),
    ("rose to", "before", _RISE + r".*\bto\s+(?:about\s+|around\s+|an estimated\s+)?$"),
    ("fell to", "before", _FALL + r".*\bto\s+(?:about\s+|around\s+|an estimated\s+)?$"),
    ("rose", "before", _RISE),
    ("fell", "before", _FALL),
    ("total", "before", r"\btotal\w*"),
    ("price", "after", r"^\W*(?:\S+\s+){0,1}?(?:a share|per share|each|a barrel|an ounce)\b"),
    ("price", "near", r"\bat\s+$"),
    ("bought", "before", r"\b(?:bought|purchas\w*|acquir\w*)\b"),
    ("sold", "before", r"\bsold\b|\bsell\w*"),
]
_CLAUSE = re.compile(r"[,;:]\s+|\s+(?:but|while|whereas)\s+")


def _clause_start(sentence: str, position: int) -> int:
    starts = [m.end() for m in _CLAUSE.finditer(sentence, 0, position)]
    return starts[-1] if starts else 0


def _status(sentence: str, fig: Figure, end: int, rules: list) -> str:
    before = sentence[_clause_start(sentence, fig.position):fig.position]
    near = " ".join(before.split()[-3:]) + " " if before.split() else ""
    after = sentence[fig.position + len(fig.value):end]
    windows = {"before": before, "near": near, "after": after}
    for status, where, pattern in rules:
        if re.search(pattern, windows[where], re.I):
            return status
    return ""


# -- time frame and place -------------------------------------------------------------------
_TIME = re.compile(
    r"(?:\b(?:by|in|on|at|during|since|until|through|between)\s+)?(?:"
    r"(?:just\s+)?the\s+(?:first|second|third|fourth|last|current|same|past)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:quarter|half|months?|weeks?|fiscal year|year|period)"
    r"(?:\s+of\s+(?:the|this|last|next)\s+year|\s+(?:this|last|next)\s+year|\s+of\s+\d{4})?"
    r"|(?:the\s+)?end\s+of\s+(?:the\s+)?year|year[’']s\s+end|the\s+period"
    r"|calendar\s+\d{4}"
    r"|" + _MONTH + r"\b(?:\s+\d{1,2}\b)?(?:\s+and\s+" + _MONTH + r"\s+\d{1,2}\b)?"
    r"(?:,?\s+(?:19|20)\d\d\b)?(?:\s+(?:this|last|next)\s+year)?"
    r"|(?:19|20)\d\d\b(?!\s*(?:pct|dlrs|tonnes))"
    r"|(?:first|second|third|fourth)\s+(?:quarter|half)"
    r"|(?:this|last|next)\s+(?:year|week|month)|a\s+year\s+(?:ago|earlier)|so\s+far"
    r"|(?:effective\s+)?today|(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
    r"Sunday))", re.I)
_PLACE = re.compile(r"\b(?:in|near|at|to|on|from)\s+(?:the\s+)?(?:front\s?lines?\b|"
                    r"(?!" + _MONTH + r"\b)[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)")


def _nearest(pattern: re.Pattern[str], sentence: str, fig: Figure, lo: int, hi: int) -> str:
    """The phrase nearest after the figure (up to ``hi``), else nearest before (from ``lo``)."""
    end = fig.position + len(fig.value)
    after = [m for m in pattern.finditer(sentence, end, hi) if m.group().strip()]
    if after:
        return after[0].group().strip()
    before = [m for m in pattern.finditer(sentence, lo, fig.position) if m.group().strip()
              and m.end() <= fig.position]
    return before[-1].group().strip() if before else ""


def _clause_end(sentence: str, position: int) -> int:
    m = _CLAUSE.search(sentence, position)
    return m.start() if m else len(sentence)


def _timeframe(sentence: str, figs: list[Figure], i: int) -> str:
    """In the stretch between the figure's neighbours; else in its clause; else a time phrase
    that opens the sentence ("In January this year, reserves rose by 143 mln dlrs")."""
    fig = figs[i]
    lo = figs[i - 1].position + len(figs[i - 1].value) if i else 0
    hi = figs[i + 1].position if i + 1 < len(figs) else len(sentence)
    found = _nearest(_TIME, sentence, fig, lo, hi)
    if not found:
        found = _nearest(_TIME, sentence, fig, _clause_start(sentence, fig.position),
                         _clause_end(sentence, fig.position))
    if not found:
        first = sentence[:_clause_end(sentence, 0)]
        m = _TIME.match(first.strip())
        if m and figs[0].position >= len(first):
            found = m.group().strip()
    return found


def _place(sentence: str, fig: Figure) -> str:
    lo, hi = _clause_start(sentence, fig.position), _clause_end(sentence, fig.position)
    return _nearest(_PLACE, sentence, fig, lo, hi)


# -- speaker ---------------------------------------------------------------------------------
_TRAILING = re.compile(r",\s+(?:the\s+)?(?P<who>[\w’'.&-]+(?:\s+[\w’'.&-]+){0,5}?)\s+"
                       r"(?:said|says|added|reported|show|showed)\.?\s*$", re.I)
_ACCORDING_ANY = re.compile(r"\baccording to (?:the )?(?P<who>[^,.;]{2,80}?)(?=,|\.\s*$|$)", re.I)
_SUBJECT = re.compile(r"\b(?:the|a|an)?\s*(?P<who>(?:he|she|they|(?:the|a|an)\s+[\w-]+"
                      r"(?:\s+[\w-]+){0,2}?))\s+(?:said|says|told|added|reported|forecasts?)\b",
                      re.I)
_RELATIVE = re.compile(r",\s+who\b[^,]*,")


def _speaker(sentence: str, position: int) -> str:
    """Who states the figure: :func:`rag.figures.speaker`, else "According to X", else a
    trailing "..., the exchange said.", else "the company said" / "he said" before it."""
    plain = _RELATIVE.sub(lambda m: " " * len(m.group()), sentence)
    who = speaker(plain, position)
    if who and who not in _NOT_SPEAKERS:
        return who
    for pattern, text in ((_ACCORDING_ANY, plain), (_TRAILING, plain.rstrip()),
                          (_SUBJECT, plain[:position])):
        hits = list(pattern.finditer(text))
        if hits:
            return hits[-1].group("who").strip()
    return ""


_NOT_SPEAKERS = {"As", "It", "While", "But", "And", "However", "The", "This", "That"}
# One source under its many names: (normalised name, pattern on the report's own words).
_SOURCES = [
    ("NIS", r"\bNIS\b|National Intelligence Service|(?:South Korea[’']?s?|South Korean|Seoul[’']?s?)"
            r"\s+(?:\w+\s+)?(?:intelligence|spy)"),
    ("Zelensky", r"\bZelensk[iy]y?\b"),
    ("Lloyd Austin", r"\bAustin\b"),
    ("Budanov", r"\bBudanov\b"),
    ("Peskov", r"\bPeskov\b"),
    ("US State Department", r"\bState Department\b"),
]
_RELEASED_BY = re.compile(r"^(?:figures|data|statistics)\s+(?:released|issued|published)\s+by\s+"
                          r"(?:the\s+)?", re.I)


def normalise_speaker(who: str) -> str:
    """One name per source: "South Korea's intelligence agency", "Seoul's spy agency" and
    "NIS" are "NIS"; otherwise the words without a leading article ("the exchange" ->
    "exchange"); bare "intelligence" stays unspecified ("intelligence").

    >>> [normalise_speaker(w) for w in ("the NIS", "South Korean intelligence",
    ...                                 "Intelligence reports", "A senior bank official")]
    ['NIS', 'NIS', 'intelligence', 'senior bank official']
    """
    who = " ".join(who.split())
    for name, pattern in _SOURCES:
        if re.search(pattern, who, re.I):
            return name
    who = _RELEASED_BY.sub("", who)
    who = re.sub(r"^(?:the|a|an)\s+", "", who, flags=re.I)
    if re.fullmatch(r"(?:new\s+)?intelligence(?:\s+reports?)?", who, re.I):
        return "intelligence"
    return who


def qualify(sentence: str, units: dict[str, str] | None = None) -> list[Qualified]:
    """Every figure of ``sentence`` with its status, time frame, place and speaker.

    ``units`` as for :func:`rag.figures.figures`: troops and brigades by default, or MEASURES
    (pct, dlrs, tonnes ...) read with the market statuses (rose, fell to, previous, price ...).
    """
    figs = figures_in(sentence, units)
    rules = _TROOP_RULES if units is None or units is UNITS else _MARKET_RULES
    out: list[Qualified] = []
    for i, fig in enumerate(figs):
        end = figs[i + 1].position if i + 1 < len(figs) else _clause_end(sentence, fig.position)
        status = _status(sentence, fig, end, rules)
        if out and out[-1].unit == fig.unit and _JOINED.search(sentence[:fig.position]):
            status = out[-1].status  # "priced at 3,934 dlrs and 4,256 dlrs": both prices
        who = _speaker(sentence, fig.position)
        out.append(Qualified(fig.value, fig.number, fig.unit, fig.position, status,
                             _timeframe(sentence, figs, i), _place(sentence, fig), who,
                             normalise_speaker(who)))
    return out


# A figure joined by "and" to the one before (after its unit or its time frame) counts the
# same thing: "from 1,764 in February and 3,008 in March 1986" are both the previous level.
_JOINED = re.compile(r"\band\s+(?:about\s+|around\s+|some\s+)?$", re.I)


# -- comparing time frames -----------------------------------------------------------------
_END_OF_YEAR = re.compile(r"year[’']s end|end of (?:the )?year|by (?:December|Dec\b)", re.I)


def timeframe_key(timeframe: str) -> str:
    """The period a time frame names, so that equal periods compare equal: "by December" and
    "by year’s end" are both "end of year"; "" stays "" (no time frame given).

    >>> timeframe_key("by December"), timeframe_key("by year’s end"), timeframe_key("In 1986")
    ('end of year', 'end of year', '1986')
    """
    if _END_OF_YEAR.search(timeframe):
        return "end of year"
    return re.sub(r"^(?:in|on|at|during|by)\s+", "", " ".join(timeframe.lower().split()))


def overlapping(a: str, b: str) -> bool:
    """Whether two time frames may name the same period: equal, or one of them not given."""
    ka, kb = timeframe_key(a), timeframe_key(b)
    return not ka or not kb or ka == kb
