r"""Dates: a report's own date where the report states it, and the dates its sentences mention.

A report's date is taken only from where the report states it, never guessed: a line that is
only a date near the headline, a "Published ..." (else "Updated ...") line near the top, then
the file's metadata (an HTML page's ``<meta>``, a PDF's creation date). A date in a teaser
list at the bottom of a page is not the report's date.

    >>> report_date("BAHIA COCOA REVIEW\nFebruary 26, 1987\n\nSALVADOR, Feb 26 - Showers ...")
    ReportDate(date='1987-02-26', how='date line')
    >>> report_date("Troops move\nBy Jane Roe | Published: 23 Oct. 2024, 10:05 GMT\nText.")
    ReportDate(date='2024-10-23', how='published line')
    >>> report_date("Seoul said on Monday that 3,000 troops had gone.") is None
    True

A date a sentence mentions is resolved to a calendar date only when that is certain: a full
date always; "Oct. 19", "Monday", "last week" only from the report's own date:

    >>> s = "Austin said on Oct. 19 that he could not confirm it; on Monday he did."
    >>> [(m.text, m.date) for m in mentions(s, "2024-10-23")]
    [('Oct. 19', '2024-10-19'), ('Monday', '2024-10-21')]
    >>> [(m.text, m.date) for m in mentions(s)]  # an undated report: kept as written
    [('Oct. 19', None), ('Monday', None)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
          "sep": 9, "oct": 10, "nov": 11, "dec": 12}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH = (r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
          r"aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_WEEKDAY = r"(?P<weekday>" + "|".join(WEEKDAYS) + r")"
# A full date: "February 26, 1987", "Oct. 19 2024", "23 October 2024", "2024-10-23".
_MONTH2, _DAY2, _YEAR2 = (p.replace(">", "2>", 1) for p in (_MONTH, _DAY, _YEAR))
_FULL = (rf"(?:{_MONTH}\s+{_DAY},?\s+{_YEAR}|{_DAY2}\s+{_MONTH2},?\s+{_YEAR2}"
         r"|(?P<iso>(?:19|20)\d\d-[01]\d-[0-3]\d))(?![\d-])")
_TIME = r"(?:(?:,|\s+at)?\s+\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s*[ap]\.?m\.?)?(?:\s+[A-Z]{2,4})?)?"
_DATE_LINE = re.compile(rf"^(?:{_WEEKDAY},?\s+)?{_FULL}{_TIME}\s*$", re.IGNORECASE)
_STAMP = re.compile(rf"\b(?P<kind>first published|published|posted|last updated|updated)"
                    rf"(?:\s+on)?\s*:?\s*(?:{_WEEKDAY},?\s+)?{_FULL}", re.IGNORECASE)
_HEAD_LINES = 4  # a date line counts within the first lines (headline, byline, date)
_STAMP_LINES = 20  # a Published/Updated line counts within the first lines

# Mentions, most specific first; a stretch of text is claimed by the first pattern that matches.
_MENTIONS = [
    ("full", re.compile(rf"\b(?:{_WEEKDAY},?\s+)?{_FULL}", re.IGNORECASE)),
    ("month-year", re.compile(rf"\b{_MONTH}\s+{_YEAR}\b", re.IGNORECASE)),
    ("month-day", re.compile(rf"\b(?:{_WEEKDAY},?\s+)?(?:{_MONTH}\s+{_DAY}|{_DAY2}\s+{_MONTH2})"
                             r"(?![\d,.:]*\d)\b", re.IGNORECASE)),
    ("relative", re.compile(r"\b(?P<rel>today|tonight|yesterday|tomorrow|"
                            r"(?:last|this|next|earlier this|later this) (?:week|month|year))\b",
                            re.IGNORECASE)),
    ("weekday", re.compile(rf"\b(?:(?P<which>last|next|this past|this coming|on)\s+)?"
                           rf"{_WEEKDAY}\b", re.IGNORECASE)),
]
_FUTURE = re.compile(r"\b(?:will|shall|is to|are to|to be held|expected to|plans? to|"
                     r"scheduled|due to|set to)\b", re.IGNORECASE)
_CLOSE = 92  # a year-less date is resolved when within this many days of the report's date


@dataclass(frozen=True)
class ReportDate:
    """A report's own date (ISO ``YYYY-MM-DD``) and how it was found."""

    date: str
    how: str  # "date line", "published line", "updated line", "html meta", "pdf metadata"


@dataclass(frozen=True)
class DateMention:
    """A date a text mentions: ``text[start:end]`` as written, and the calendar date it is,
    when that is certain (else None). ``precision`` says what ``date`` stands for: the day,
    or the first day of the week, month or year ("last week")."""

    text: str
    start: int
    end: int
    kind: str  # "full", "month-year", "month-day", "relative", "weekday"
    date: str | None
    precision: str = "day"  # "day", "week", "month", "year"
    month: int | None = None  # a year-less date's month and day, resolved or not
    day: int | None = None


def _month(name: str | None) -> int | None:
    return MONTHS.get(name[:3].lower()) if name else None


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _group(m: re.Match, name: str) -> str | None:
    """A group of either word order ("Oct. 19" is ``month``, "19 Oct." ``month2``)."""
    groups = m.groupdict()
    return groups.get(name) or groups.get(name + "2")


def _full_date(m: re.Match) -> date | None:
    if m.group("iso"):
        try:
            return date.fromisoformat(m.group("iso"))
        except ValueError:
            return None
    return _make(int(_group(m, "year")), _month(_group(m, "month")), int(_group(m, "day")))


def parse_date(text: str) -> str | None:
    """An ISO date for a string that is one full date ("Feb. 26, 1987", "2024-10-23T08:10Z").

    >>> parse_date("Thursday, October 13, 2022, 08:10:56 AM"), parse_date("Oct. 13")
    ('2022-10-13', None)
    """
    text = text.strip()
    m = re.match(r"((?:19|20)\d\d-[01]\d-[0-3]\d)(?:[T ][\d:.]+(?:Z|[+-][\d:]+)?)?$", text)
    if m:
        try:
            return date.fromisoformat(m.group(1)).isoformat()
        except ValueError:
            return None
    m = _DATE_LINE.match(text)
    found = _full_date(m) if m else None
    return found.isoformat() if found else None


def _weekday_ok(m: re.Match, d: date) -> bool:
    """A stated weekday ("Friday, Oct. 18") must be that date's weekday, or it is not certain."""
    wd = m.group("weekday")
    return wd is None or WEEKDAYS.index(wd.lower()) == d.weekday()


def report_date(text: str, meta_date: str | None = None,
                meta_how: str = "html meta") -> ReportDate | None:
    """The report's own date; see the module docstring. ``meta_date``: the file's metadata
    date (ISO, or anything :func:`parse_date` reads), used when the text states none."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines[:_HEAD_LINES]:
        m = _DATE_LINE.match(line)
        d = _full_date(m) if m else None
        if d and _weekday_ok(m, d):
            return ReportDate(d.isoformat(), "date line")
    stamps: dict[str, date] = {}
    for line in lines[:_STAMP_LINES]:
        if len(line.split()) > 25:
            continue
        for m in _STAMP.finditer(line):
            d = _full_date(m)
            kind = "updated" if "updated" in m.group("kind").lower() else "published"
            if d and _weekday_ok(m, d):
                stamps.setdefault(kind, d)
    for kind in ("published", "updated"):
        if kind in stamps:
            return ReportDate(stamps[kind].isoformat(), f"{kind} line")
    parsed = parse_date(meta_date) if meta_date else None
    return ReportDate(parsed, meta_how) if parsed else None


def _nearest(month: int, day: int, anchor: date) -> date | None:
    """The date with this month and day closest to ``anchor``, if within ``_CLOSE`` days."""
    options = [d for y in (anchor.year - 1, anchor.year, anchor.year + 1)
               if (d := _make(y, month, day)) is not None]
    if not options:
        return None
    best = min(options, key=lambda d: abs((d - anchor).days))
    return best if abs((best - anchor).days) <= _CLOSE else None


def _relative(phrase: str, anchor: date) -> tuple[date, str]:
    phrase = phrase.lower()
    if phrase in ("today", "tonight"):
        return anchor, "day"
    if phrase in ("yesterday", "tomorrow"):
        return anchor + timedelta(days=-1 if phrase == "yesterday" else 1), "day"
    which, unit = phrase.rsplit(" ", 1)
    step = {"last": -1, "next": 1}.get(which, 0)
    if unit == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return monday + timedelta(weeks=step), "week"
    if unit == "month":
        index = anchor.year * 12 + anchor.month - 1 + step
        return date(index // 12, index % 12 + 1, 1), "month"
    return date(anchor.year + step, 1, 1), "year"


def _weekday(m: re.Match, text: str, anchor: date) -> date | None:
    """A weekday: the latest one on or before the report's date ("said on Monday"), or for
    a sentence about the future ("will brief NATO on Monday") the first one on or after it.
    "next Monday" is left unresolved: English uses it for two different Mondays."""
    which = (m.group("which") or "").lower()
    target = WEEKDAYS.index(m.group("weekday").lower())
    if which == "next":
        return None
    back = (anchor.weekday() - target) % 7
    forward = (target - anchor.weekday()) % 7
    if which == "this coming":
        return anchor + timedelta(days=forward or 7)
    if which in ("last", "this past"):
        return anchor - timedelta(days=back or 7)
    sentence_start = max(text.rfind(".", 0, m.start()), text.rfind("\n", 0, m.start())) + 1
    if _FUTURE.search(text, sentence_start, m.start()):
        return anchor + timedelta(days=forward)
    return anchor - timedelta(days=back)


def mentions(text: str, report: str | None = None) -> list[DateMention]:
    """Dates ``text`` mentions, in order, with offsets into ``text``; ``report``: the report's
    own ISO date, which resolves year-less and relative dates (see the module docstring).

    >>> [(m.text, m.date, m.precision) for m in mentions("Turner last week appealed.",
    ...                                                  "2024-10-23")]
    [('last week', '2024-10-14', 'week')]
    >>> [(m.text, m.date) for m in mentions("Videos appeared Friday, Oct. 18.", "2024-10-23")]
    [('Friday, Oct. 18', '2024-10-18')]
    """
    anchor = date.fromisoformat(report) if report else None
    taken: list[tuple[int, int]] = []
    found: list[DateMention] = []
    for kind, pattern in _MENTIONS:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            month_name = _group(m, "month")
            if month_name and not month_name[0].isupper():  # "may", "march": not months
                continue
            if kind == "weekday" and not m.group("weekday")[0].isupper():
                continue
            resolved, precision, month, day = None, "day", None, None
            if kind == "full":
                d = _full_date(m)
                if d is None:
                    continue
                resolved = d if _weekday_ok(m, d) else None
            elif kind == "month-year":
                resolved, precision = date(int(m.group("year")), _month(month_name), 1), "month"
            elif kind == "month-day":
                month, day = _month(month_name), int(_group(m, "day"))
                if _make(2000, month, day) is None:  # "Feb 30" is no date (2000: leap year)
                    continue
                d = _nearest(month, day, anchor) if anchor else None
                resolved = d if d and _weekday_ok(m, d) else None
            elif kind == "relative":
                if anchor:
                    resolved, precision = _relative(m.group("rel"), anchor)
            elif anchor:
                resolved = _weekday(m, text, anchor)
            on = kind == "weekday" and (m.group("which") or "").lower() == "on"
            start = m.start("weekday") if on else m.start()
            taken.append((m.start(), m.end()))
            found.append(DateMention(text[start:m.end()], start, m.end(), kind,
                                     resolved.isoformat() if resolved else None, precision,
                                     month, day))
    return sorted(found, key=lambda x: x.start)


def iso_of(value: datetime | date | None) -> str | None:
    """The ISO day of a datetime or date (as stated, no time-zone conversion), or None."""
    return value.date().isoformat() if isinstance(value, datetime) else (
        value.isoformat() if isinstance(value, date) else None)
