#!/usr/bin/env python3
# ruff: noqa: E501  (the items are data: one sentence a line)
"""Build tests/gold/figures_gold.jsonl: figure sentences with their qualifiers, written by hand.

Every figure sentence of the five seeds (``seeds/*.txt``) and 30 sentences of the Reuters-21578
collection. Each figure is a number with its unit (or, after "from", "against", "and" or "up
to", a number that carries the unit of the figure before it: "fell to 882 tonnes in March from
1,764 in February" holds two tonnes figures). For each: ``value`` as written, ``unit``,
``status``, ``timeframe`` and ``place`` as written (empty when the sentence gives none), and
``speaker`` normalised (see :mod:`rag.qualifiers`). Statuses: troops are "already there",
"deployed", "expected", "planned", "committed in total", "killed", "wounded", "captured";
market figures are "rose" / "fell" (a change), "rose to" / "fell to" (the level reached),
"previous" (the level compared with), "forecast", "total", "price", "bought", "sold".

Written by reading each sentence, before the rules were measured on them. The quotes are typed
with single spaces; the Reuters articles are hard-wrapped, so a run of whitespace matches any
run in the article, and ``start``/``end`` are offsets into ``rag.text.read_text(path)``. The
Reuters articles themselves are never committed (``REUTERS_DIR``, default
/tmp/reuters/reuters21578).

Usage:  python3 tests/gold/make_figures_gold.py [--check]
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from rag.text import read_text  # noqa: E402

OUT = ROOT / "tests" / "gold" / "figures_gold.jsonl"
REUTERS = Path(os.environ.get("REUTERS_DIR", "/tmp/reuters/reuters21578"))


def f(value, unit, status, timeframe="", place="", speaker=""):
    return {"value": value, "unit": unit, "status": status, "timeframe": timeframe,
            "place": place, "speaker": speaker}


S0, S1, S2, S3, S4 = ("000_024fd79d73a92d59.txt", "001_edb18dec551e976d.txt",
                      "002_31c0e05864ee0baf.txt", "003_ca6e3800ea5608bd.txt",
                      "004_968b073979ff03d3.txt")
NIS, Z = "NIS", "Zelensky"

SEEDS = [
    (S0, "This development follows claims by South Korea’s intelligence agency that North Korea has committed to sending 12,000 special forces troops to support Russia, with 1,500 soldiers already stationed in the Russian Far East.",
     [f("12,000", "troops", "committed in total", speaker=NIS),
      f("1,500", "troops", "already there", place="in the Russian Far East", speaker=NIS)]),
    (S1, "According to the NIS, North Korea is believed to have deployed four brigades, totaling approximately 12,000 soldiers, which includes special forces.",
     [f("four", "brigades", "committed in total", speaker=NIS),
      f("12,000", "troops", "committed in total", speaker=NIS)]),
    (S1, "According to Ukrainian President Volodymyr Zelenskyy, North Korean forces are already operating in Russian-occupied territories in Ukraine, with an additional 10,000 troops reportedly preparing for deployment to support Moscow’s military efforts.",
     [f("10,000", "troops", "expected", speaker=Z)]),
    (S2, "This briefing follows concerns from the U.S. and South Korea, as new intelligence suggests North Korea has already deployed around 3,000 soldiers, with up to 10,000 expected by year’s end.",
     [f("3,000", "troops", "already there", speaker="intelligence"),
      f("10,000", "troops", "expected", timeframe="by year’s end", speaker="intelligence")]),
    (S3, "South Korean intelligence had earlier reported that North Korea has already sent approximately 1,500 special forces soldiers to Russia to fight alongside Russian forces.",
     [f("1,500", "troops", "already there", place="to Russia", speaker=NIS)]),
    (S3, "Intelligence reports suggest this could be the vanguard of up to 12,000 troops Pyongyang will send to Russia.",
     [f("12,000", "troops", "committed in total", place="to Russia", speaker="intelligence")]),
    (S4, "South Korea’s National Intelligence Service (NIS) reported on Wednesday that North Korea is preparing to send 10,000 soldiers to Russia by December to support its war against Ukraine.",
     [f("10,000", "troops", "expected", timeframe="by December", place="to Russia", speaker=NIS)]),
    (S4, "3,000 North Korean Troops Already in Transit",
     [f("3,000", "troops", "already there")]),
    (S4, "Democratic Party Representative Park Sun-won, who attended the briefing, said the NIS revealed that 3,000 North Korean soldiers have already been transported to Russia.",
     [f("3,000", "troops", "already there", place="to Russia", speaker=NIS)]),
    (S4, "This comes after Ukrainian President Volodymyr Zelensky disclosed that North Korea had already dispatched a total of 12,000 soldiers in two brigades to bolster Russian forces on the frontlines.",
     [f("12,000", "troops", "already there", place="on the frontlines", speaker=Z),
      f("two", "brigades", "already there", place="on the frontlines", speaker=Z)]),
]

R = "reuters-{:05d}.txt".format
REUTERS_ITEMS = [
    (R(855), "Oats volume tripled to 27,662 contracts, and corn volume increased 35 pct to 580,204 contracts.",
     [f("27,662", "contracts", "rose to"), f("35", "pct", "rose"), f("580,204", "contracts", "rose to")]),
    (R(3353), "Revolving credit in January fell by 366 mln dlrs after rising by 552 mln dlrs in December.",
     [f("366 mln", "dlrs", "fell", "in January"), f("552 mln", "dlrs", "rose", "in December")]),
    (R(5218), "Cpo stocks fell to an estimated 286,440 tonnes in February from 287,940 in January and 653,411 in February last year.",
     [f("286,440", "tonnes", "fell to", "in February"), f("287,940", "tonnes", "previous", "in January"),
      f("653,411", "tonnes", "previous", "in February last year")]),
    (R(4074), "Recurrent profits were estimated to fall 20 pct in the current fiscal year with sales forecast to drop 14 pct.",
     [f("20", "pct", "forecast", "in the current fiscal year"), f("14", "pct", "forecast", "in the current fiscal year")]),
    (R(19565), "As reported, group net profit rose 28 pct to 226 mln marks in 1986.",
     [f("28", "pct", "rose", "in 1986"), f("226 mln", "marks", "rose to", "in 1986")]),
    (R(274), "Exports are forecast to rise to 720,000 tonnes against 695,000 tonnes in 1986, the report added.",
     [f("720,000", "tonnes", "forecast", speaker="report"),
      f("695,000", "tonnes", "previous", "in 1986", speaker="report")]),
    (R(15768), "In January this year, the Central Bank's foreign reserves rose by 143 mln dlrs, while financial institutions' foreign currency position fell by 118 mln dlrs.",
     [f("143 mln", "dlrs", "rose", "In January this year"), f("118 mln", "dlrs", "fell", "In January this year")]),
    (R(20264), "A senior bank official, who declined to be named, told Reuters the reserves were likely to reach 72 billion dlrs at the end of the year.",
     [f("72 billion", "dlrs", "forecast", "at the end of the year", speaker="senior bank official")]),
    (R(14882), "Thai zinc ingot exports fell to 882 tonnes in March from 1,764 in February and 3,008 in March 1986, the Mineral Resources Department said.",
     [f("882", "tonnes", "fell to", "in March", speaker="Mineral Resources Department"),
      f("1,764", "tonnes", "previous", "in February", speaker="Mineral Resources Department"),
      f("3,008", "tonnes", "previous", "in March 1986", speaker="Mineral Resources Department")]),
    (R(20431), "Aceto Corp said its board increased its authorized share repurchase program to 500,000 shares from 200,000.",
     [f("500,000", "shares", "rose to", speaker="Aceto Corp"), f("200,000", "shares", "previous", speaker="Aceto Corp")]),
    (R(13865), "Motorola said the MVME135 and the MVME136, both VMEmodule 32-bit monoboard microcomputers, are available now, priced at 3,934 dlrs and 4,256 dlrs, respectively.",
     [f("3,934", "dlrs", "price", speaker="Motorola"), f("4,256", "dlrs", "price", speaker="Motorola")]),
    (R(13256), "Company stocks on land in the OECD rose to 326 mln tonnes on April 1 against 316 mln on April 1 1986.",
     [f("326 mln", "tonnes", "rose to", "on April 1", "in the OECD"),
      f("316 mln", "tonnes", "previous", "on April 1 1986", "in the OECD")]),
    (R(8763), "According to official figures, prices rose by 33 pct in just the first two months of the year.",
     [f("33", "pct", "rose", "in just the first two months of the year", speaker="official figures")]),
    (R(4679), "According to Customs figures, cotton exports rose to 558,089 tonnes in calendar 1986 from 347,026 in 1985.",
     [f("558,089", "tonnes", "rose to", "in calendar 1986", speaker="Customs figures"),
      f("347,026", "tonnes", "previous", "in 1985", speaker="Customs figures")]),
    (R(11882), "Coffee deliveries to the state-run Coffee Board of Kenya rose 17 pct and tea deliveries rose four pct during the period, he said.",
     [f("17", "pct", "rose", "during the period", speaker="he"), f("four", "pct", "rose", "during the period", speaker="he")]),
    (R(3826), "The printer, called Primage 90-GT, is priced at 1,500 dlrs and can be combined with the company's paper-handling systems, Primage said.",
     [f("1,500", "dlrs", "price", speaker="Primage")]),
    (R(18084), "Earlier the company said its second quarter net rose to 86 cts a share from 73 cts a year ago.",
     [f("86", "cts", "rose to", "second quarter", speaker="company"),
      f("73", "cts", "previous", "a year ago", speaker="company")]),
    (R(5220), "China's trade deficit totalled 700 mln dlrs in the first two months of this year, according to figures released by the State Statistics Bureau.",
     [f("700 mln", "dlrs", "total", "in the first two months of this year", speaker="State Statistics Bureau")]),
    (R(20936), "Atlantic Richfield's Arco Oil and Gas Co said it increased contract prices for crude oil by 50 cts a barrel, effective today.",
     [f("50", "cts", "rose", "effective today", speaker="Atlantic Richfield's Arco Oil and Gas Co")]),
    (R(275), "Exports of these teas are likely to rise to 95,000 tonnes in 1987 from 85,000 in 1986 and around 90,000 in 1985.",
     [f("95,000", "tonnes", "forecast", "in 1987"), f("85,000", "tonnes", "previous", "in 1986"),
      f("90,000", "tonnes", "previous", "in 1985")]),
    (R(18945), "However, he said production of zinc ingots this year was expected to fall to around 86,000 tonnes this year at Cajamarquilla, from 94,000 tonnes in 1986 because of the stoppage.",
     [f("86,000", "tonnes", "forecast", "this year", "at Cajamarquilla", "he"),
      f("94,000", "tonnes", "previous", "in 1986", "at Cajamarquilla", "he")]),
    (R(275), "The report forecasts cocoa exports to rise to 35,000 tonnes this year, from 33,000 tonnes in 1986 and 31,000 in 1985.",
     [f("35,000", "tonnes", "forecast", "this year", speaker="report"),
      f("33,000", "tonnes", "previous", "in 1986", speaker="report"),
      f("31,000", "tonnes", "previous", "in 1985", speaker="report")]),
    (R(17207), "In 1986, the bank approved loans totalling two billion dlrs, but only to 19 of its 29 developing members.",
     [f("two billion", "dlrs", "total", "In 1986")]),
    (R(19181), "Chrysler agreed to purchase the Texas-based defense electronics contractor in a tender offer of 27 dlrs a share for a total value of about 367 mln dlrs.",
     [f("27", "dlrs", "price"), f("367 mln", "dlrs", "total")]),
    (R(4908), "In a filing with the Securities and Exchange Commission, Bryson said it bought 440,000 Cenergy common shares on March 10 at eight dlrs each.",
     [f("440,000", "shares", "bought", "on March 10", speaker="Bryson"),
      f("eight", "dlrs", "price", "on March 10", speaker="Bryson")]),
    (R(135), "In a filing with the Securities and Exchange Commission, the group said it bought 32,800 Robeson common shares between Jan 26 and Feb 9 for 175,691 dlrs.",
     [f("32,800", "shares", "bought", "between Jan 26 and Feb 9", speaker="group"),
      f("175,691", "dlrs", "price", "between Jan 26 and Feb 9", speaker="group")]),
    (R(3156), "The company said on a comparable store basis, considering stores open for at least 24 months, sales declined 10 pct.",
     [f("10", "pct", "fell", speaker="company")]),
    (R(1616), "In line with that decrease, California's crude oil output fell about 10 pct last year due to low oil prices and is expected to remain at that lower level, analysts said.",
     [f("10", "pct", "fell", "last year", speaker="analysts")]),
    (R(19565), "World group sales rose six pct in the first five months this year compared with the same 1986 period but group turnover rose only two pct because of currency factors, he said.",
     [f("six", "pct", "rose", "in the first five months this year", speaker="he"),
      f("two", "pct", "rose", "in the first five months this year", speaker="he")]),
    (R(8759), "USDA said government outlays to rice farmers in 1987 are expected to reach 403 dlrs per acre planted, followed by corn at 135 dlrs per planted acre.",
     [f("403", "dlrs", "forecast", "in 1987", speaker="USDA"), f("135", "dlrs", "forecast", "in 1987", speaker="USDA")]),
]


def locate(text: str, quote: str) -> tuple[int, int]:
    pattern = r"\s+".join(re.escape(w) for w in quote.split())
    hits = [m.span() for m in re.finditer(pattern, text)]
    if len(hits) != 1:
        raise SystemExit(f"quote found {len(hits)} times: {quote[:60]!r}")
    return hits[0]


def rows() -> list[dict]:
    out = []
    for corpus, items, folder in (("seeds", SEEDS, ROOT / "seeds"),
                                  ("reuters", REUTERS_ITEMS, REUTERS)):
        for source, quote, figs in items:
            text = read_text(folder / source)
            start, end = locate(text, quote)
            out.append({"corpus": corpus, "source": source, "start": start, "end": end,
                        "sentence": text[start:end], "figures": figs})
    return out


if __name__ == "__main__":
    lines = [json.dumps(r, ensure_ascii=False) for r in rows()]
    if "--check" in sys.argv:
        same = OUT.read_text(encoding="utf-8").splitlines() == lines
        print("up to date" if same else "out of date: run without --check")
        raise SystemExit(0 if same else 1)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} sentences, {sum(len(json.loads(x)['figures']) for x in lines)} figures to {OUT}")
