#!/usr/bin/env python3
# ruff: noqa: E501  (the items are data: one question, answer or quote a line)
"""Build eval/reuters_questions.jsonl: a question set on the Reuters-21578 collection.

Written before any tuning on that collection. The articles are never committed: the corpus
is unpacked outside the repository (``../shared/corpora/README.md``), and this script finds
each gold quote in it with code:

* A report's text is ``rag.text.read_text(path)``, exactly as the ingest decodes it;
  ``start``/``end`` are ``str`` offsets into that text, so ``text[start:end] == quote``.
* Quotes below are typed with single spaces; the articles are hard-wrapped, so any run of
  whitespace in a quote matches any run of whitespace (line break and indent included) in
  the article. The quote written to the JSONL file is the article's own slice.
* A quote that is not found, or found more than once in its article, is an error.

Every question was checked for ambiguity by searching all 19,043 articles (case-insensitive,
whitespace collapsed) for its names and figures: where a story repeats over days, the
question names the company, date or place that picks one article, and the key fact is one
only that article states (notes beside the items say what else matched).

Usage:  python3 eval/make_reuters_gold.py [--corpus DIR]           # (re)writes the file
        python3 eval/make_reuters_gold.py [--corpus DIR] --check   # validate only
DIR defaults to /tmp/reuters/reuters21578 (or $REUTERS_DIR).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from gold import build, item, write  # noqa: E402  (eval/gold.py, next to this script)

from rag.evaluation.metrics import has_form  # noqa: E402
from rag.text import read_text  # noqa: E402

OUT = ROOT / "eval" / "reuters_questions.jsonl"
DEFAULT_CORPUS = Path(os.environ.get("REUTERS_DIR", "/tmp/reuters/reuters21578"))
CORPUS = DEFAULT_CORPUS
_TEXTS: dict[str, str] = {}


def text_of(name: str) -> str:
    if name not in _TEXTS:
        _TEXTS[name] = read_text(CORPUS / name)
    return _TEXTS[name]


def locate(source: str, quote: str) -> dict:
    """The one place ``quote`` (whitespace-flexible) occurs in ``source``."""
    text = text_of(source)
    pattern = re.compile(r"\s+".join(re.escape(word) for word in quote.split()))
    found = list(pattern.finditer(text))
    if not found:
        raise SystemExit(f"quote not found in {source}: {quote!r}")
    if len(found) > 1:
        raise SystemExit(f"quote occurs {len(found)} times in {source}: {quote!r}")
    m = found[0]
    return {"source": source, "quote": m.group(), "start": m.start(), "end": m.end()}


def r(n: int) -> str:
    return f"reuters-{n:05d}.txt"



MLN = lambda n: [f"{n} mln", f"{n} million"]  # noqa: E731

ITEMS = [
    # ------------------------------------------------ fact: one article each ----
    item("rfact-01", "fact",
         "Who was the manager of Texas Petroleum Co, Texaco's Colombian subsidiary, who said its operations in Colombia would not be affected by the Pennzoil dispute?",
         "John Buttle, its manager, said so in a communique.",
         [["Buttle"]],
         [(r(16742), "The operations in Colombia of Texas Petroleum Co, a subsidiary of Texaco Inc, will not be affected by the legal dispute with the Pennzoil Co, its manager John Buttle said in a communique.")]),
    item("rfact-02", "fact",
         "Who was elected president and chief operating officer of Wurlitzer Co in April 1987, and which company had he been president of before?",
         "Frank Rubury, effective April 27; he was formerly president of Horsman Inc, a subsidiary of Drew Industries.",
         [["Rubury"], ["Horsman"]],
         [(r(17150), "In other action, Frank Rubury was elected president and chief operating officer of Wurlitzer, effective April 27. Rubury was formerly president of Horsman Inc, a subsidiary of Drew Industries Inc <DRWI.O>.")]),
    item("rfact-03", "fact",
         "Before Ottawa registered concern, how much had the Reagan administration asked for to combat acid rain, according to White House spokesman Marlin Fitzwater?",
         "350 mln dlrs (the new pledge is 2.5 billion dlrs over five years).",
         [MLN(350)],
         [(r(6645), "White House spokesman Marlin Fitzwater said the administration had asked for 350 mln dlrs but that Ottawa had registered concern about the level of funding.")]),
    item("rfact-04", "fact",
         "What size of acquisitions did Westinghouse chairman Douglas Danforth say in March 1987 the company was leaning toward?",
         "Acquisitions in the 300 mln to 500 mln dlr range (larger ones possible if the fit is right).",
         [MLN(300), MLN(500)],
         [(r(10555), "saying the company is leaning toward acquisitions in the 300 mln to 500 mln dlr range.")]),
    item("rfact-05", "fact",
         "How many billion yen in bills did the Bank of Japan say on June 29, 1987 it would sell the next day to absorb a projected money market surplus?",
         "1,200 billion yen (against a projected surplus of 2,100 billion).",
         [["1,200 billion", "1.2 trillion"]],
         [(r(19512), "The Bank of Japan will tomorrow sell 1,200 billion yen in bills from its holdings to help absorb a projected money market surplus of 2,100 billion, money market traders said.")]),
    item("rfact-06", "fact",
         "After Sweden's Central Bureau of Statistics corrected its calculation error, what was the January 1987 rise in consumer prices?",
         "1.0 pct, instead of the previously announced 1.3 pct.",
         [["1.0 pct", "1.0 percent", "1.0%", "1 pct", "1 percent", "one pct", "one percent"]],
         [(r(6965), "The January rise in consumer prices was 1.0 pct instead of the previously announced 1.3 pct, the bureau said, without explaining how the error arose.")]),
    item("rfact-07", "fact",
         "According to Drexel Burnham Lambert analyst Daniel Lee, how much revenue does the average McDonald's restaurant take in a year?",
         "About 1.369 mln dlrs, against 1.1 mln for the average Burger King and 800,000 dlrs for the average Wendy's.",
         [["1.369"]],
         [(r(7722), "the average McDonald's does about 1.369 mln dlrs in revenues a year.")]),
    item("rfact-08", "fact",
         "Which Italian airline was to receive a 14 billion lire European Investment Bank loan to buy one MD82 and improve an airport on Sardinia?",
         "Alisarda, the internal Italian airline.",
         [["Alisarda"]],
         [(r(5837), "A further 14 billion lire loan will be made to the internal Italian airline Alisarda for the purchase of one MD82 and the improvement of an airport on the island of Sardinia.")]),
    item("rfact-09", "fact",
         "How much did Affiliated Publications, the parent of the Boston Globe's publisher, agree to pay for Billboard Publications Inc?",
         "100 mln dlrs in cash, to a shareholder group led by Boston Ventures.",
         [MLN(100)],
         [(r(7810), "Affiliated Publications Inc said it agreed to acquire all the outstanding stock of <Billboard Publications Inc> for 100 mln dlrs in cash")]),
    item("rfact-10", "fact",
         "Where is the gold mine that Skyline Explorations expected to begin building in July 1987?",
         "At Johnny Mountain Camp, 600 miles north of Vancouver.",
         [["Johnny Mountain"], ["600 miles"]],
         [(r(18176), "construction can begin next month on a gold mine at Johnny Mountain Camp, located 600 miles north of Vancouver.")]),
    item("rfact-11", "fact",
         "What did Abdoulaye Fadiga, governor of the central bank of the West African CFA franc zone (UMOA), urge West Africans to do with their money?",
         "He urged action to persuade West Africans to transfer more money through the regular banking system rather than non-official channels.",
         [["banking system", "banks"]],
         [(r(10936), "He also urged action to persuade West Africans to transfer more money through the regular banking system rather than using non-official channels.")]),
    item("rfact-12", "fact",
         "How long is the Industries Assistance Commission's inquiry into the Australian wheat industry announced by Primary Industry Minister John Kerin?",
         "12 months.",
         [["12-month", "12 month", "twelve month", "twelve-month", "one year"]],
         [(r(874), "will hold a 12-month inquiry into the Australian wheat industry, Primary Industry Minister John Kerin said.")]),
    item("rfact-13", "fact",
         "Under South Korea's April 1987 industrial realignment programme, which company was to take over Korea Development Corp?",
         "Daelim Industrial Co Ltd.",
         [["Daelim"]],
         [(r(13235), "<Korea Develpoment Corp> by <Daelim Industrial Co Ltd>")]),
    item("rfact-14", "fact",
         "Under Fidata Corp's preliminary settlement of the E.S.M. Government Securities lawsuits, how much would be paid for distribution to the public body plaintiffs and Home State Savings Bank?",
         "8.425 mln dlrs (besides releasing its claims to 1.125 mln dlrs held by the ESM estate).",
         [["8.425"]],
         [(r(11001), "the further payment of 8.425 mln dlrs for distribution to the public body plaintiffs and Home State Savings Bank.")]),
    item("rfact-15", "fact",
         "How large will the April 1 Teamster labor increase be for ABF Freight System, Arkansas Best's largest unit?",
         "3.2 pct.",
         [["3.2"]],
         [(r(6784), "It said the labor increase then will be 3.2 pct for ABF Freight System, its largest unit.")]),
    item("rfact-16", "fact",
         "At what level did the European Commission's March 1987 report on EC finances put the Community's accumulated liabilities at the end of 1986?",
         "12.2 billion European Currency Units, expected to rise by a further five billion Ecus in 1987.",
         [["12.2 billion"]],
         [(r(1482), "It put the EC's accumulated liabilities at the end of last year at 12.2 billion European Currency Units")]),
    item("rfact-17", "fact",
         "How large was the first tranche of the city of The Hague's commercial paper program, which ended March 10, 1987?",
         "50 mln guilders (of a 100 mln guilder program).",
         [MLN(50)],
         [(r(16355), "the first tranche, ended March 10, was for 50 mln guilders.")]),
    item("rfact-18", "fact",
         "What share of its new telemarketing subsidiary Seven Oaks Direct Inc does Seven Oaks International own?",
         "80 pct; Seven Oaks Direct's management owns the remaining 20 pct.",
         [["80 pct", "80 percent", "80%", "eighty"]],
         [(r(5620), "it has formed a new 80 pct owned subsidiary called Seven Oaks Direct Inc to offer a full line of telemarketing services.")]),
    item("rfact-19", "fact",
         "In 1986, Orion Capital Corp booked a pretax gain from selling common stock in which company?",
         "Guaranty National Corp (a gain of 5,722,000 dlrs for the year).",
         [["Guaranty National"]],
         [(r(11713), "Includes pretax gain from sale of common stock in Guaranty National Corp of 5,722,000 for year.")]),
    item("rfact-20", "fact",
         "How many Bojangles' Chicken 'N Biscuits restaurants in Florida did Horn and Hardart dispose of in April 1987?",
         "33 restaurants (in the Orlando, Tampa and Jacksonville markets).",
         [["33", "thirty-three"]],
         [(r(12127), "Horn and Hardart Co said it disposed of 33 Bojangles' Chicken 'N Biscuits restaurants in Florida")]),
    item("rfact-21", "fact",
         "According to the Bank of France's April 1987 report, March trade figures showed France's first deficit in industrial trade since when?",
         "Since June 1982.",
         [["June 1982"]],
         [(r(16853), "The upbeat report comes in the wake of grim March trade balance figures which showed a deficit in industrial trade for the first time since June 1982.")]),
    item("rfact-22", "fact",
         "How much in total was the European Investment Bank lending Italy in its March 1987 package for transport, industry and infrastructure, in lire?",
         "460.6 billion lire (318.5 billion European Currency Units, as the report puts it).",
         [["460.6"]],
         [(r(5837), "The European Investment Bank said it was advancing loans to Italy worth a total of 318.5 billion European Currency Units, equivalent to 460.6 billion lire, to finance transport, industry and infrastructure projects.")]),
    item("rfact-23", "fact",
         "Varity Corp, which said in March 1987 it expected a fourth-quarter and full-year loss, used to be known by what name?",
         "Massey-Ferguson Ltd.",
         [["Massey-Ferguson", "Massey Ferguson"]],
         [(r(5092), "Varity Corp, formerly Massey-Ferguson Ltd, said it expected to report on March 25 a loss for the fourth quarter and full-year ended January 31.")]),
    item("rfact-24", "fact",
         "Which Canadian environment minister called Reagan's March 1987 acid rain announcement a major step toward eliminating acid rain?",
         "Tom McMillan.",
         [["McMillan"]],
         [(r(6829), "Environment Minister Tom McMillan said the Reagan announcement was a major step toward elimination of acid rain and that Canada was pleased with the U.S. decision.")]),

    # ----------------------------------------------- multi: two articles each ----
    item("rmulti-01", "multi",
         "Which bank was lead manager of the city of Amsterdam's 300 mln guilder commercial paper program, and which bank launched the second tranche of The Hague's program in April 1987?",
         "Amsterdam-Rotterdam Bank (Amro) led Amsterdam's; Bank Mees en Hope, an Algemene Bank Nederland subsidiary, launched The Hague's second tranche.",
         [["Amsterdam-Rotterdam Bank", "Amro"], ["Mees en Hope"]],
         [(r(5419), "The city of Amsterdam launched a 300 mln guilder commercial paper program in the Dutch market, lead manager Amsterdam-Rotterdam Bank NV said."),
          (r(16355), "Bank Mees en Hope NV, a fully-owned subsidiary of Algemene Bank Nederland NV, said it launched the second tranche of a 100 mln guilders commercial paper program for the city of The Hague.")]),
    item("rmulti-02", "multi",
         "In April 1987, to what stake did the Farny R. Wurlitzer Foundation cut its holding in Wurlitzer Co, and who was named Wurlitzer's chief executive officer?",
         "The foundation cut its stake to 89,000 shares, 4.98 pct; Sid Weiss was named chief executive officer (George Howell succeeded him as vice chairman).",
         [["4.98"], ["Weiss"]],
         [(r(16873), "it cut its stake in Wurlitzer Co to 89,000 shares, or 4.98 pct of the total outstanding common stock"),
          (r(17150), "Wurlitzer Co said George Howell was elected vice chairman, succeeding Sid Weiss who was named chief executive officer.")]),
    item("rmulti-03", "multi",
         "Which analysts recommended McDonald's stock on March 20 and on March 23, 1987, and at which firms?",
         "On March 20, Daniel Lee of Drexel Burnham Lambert reiterated his recommendation; on March 23, Richard Simon of Goldman Sachs reaffirmed his and put it on his focus list.",
         [["Lee"], ["Drexel"], ["Simon"], ["Goldman"]],
         [(r(7722), "The stock of McDonald's Corp rose sharply this morning after analyst Daniel Lee of Drexel Burnham Lambert Inc reiterated his recommendation of the stock, traders said."),
          (r(8349), "Today, analyst Richard Simon of Goldman Sachs and Co reaffirmed his recommendation of the stock and put it on his \"focus list,\"")]),
    item("rmulti-04", "multi",
         "Varity Corp said in mid-March 1987 on which day it would report its fourth-quarter loss; how large was the fourth-quarter net loss it then reported?",
         "It said it would report on March 25; the fourth-quarter net loss was 18.6 mln U.S. dlrs (18,600,000), against a 3.3 mln profit a year earlier.",
         [["March 25"], ["18,600,000", "18.6 mln", "18.6 million"]],
         [(r(5092), "said it expected to report on March 25 a loss for the fourth quarter and full-year ended January 31."),
          (r(9605), "Net loss 18,600,000 vs profit 3,300,000")]),

    # --------------------------- conflict: the Ecuador earthquake, March 1987 ----
    # The pipeline story runs in some 40 articles; 03048 repeats 02973 word for word,
    # 03594 repeats 03556's 120 mln; 04983 gives 145-150 mln (Espinosa), 05179/05270 150.
    item("rconflict-01", "conflict",
         "How much would it cost to repair Ecuador's oil pipeline damaged by the March 1987 earthquake? Do the reports agree?",
         "No: an unnamed senior Energy Ministry official put it at about 100 mln dlrs; energy and mines minister Javier Espinosa Teran said 120 mln dlrs; the authorities (President Febres Cordero) put it at 150 mln dlrs.",
         [MLN(100), MLN(120), MLN(150)],
         [(r(2973), "It would take about 100 mln U.S. Dlrs to repair the pipeline, the official, who did not want to be named, told Reuters."),
          (r(3556), "Ecuador needs 120 mln dlrs to repair the damage to its oil export pipeline caused by last week\"s earthquake, which will stop crude exports for five months, energy and mines minister Javier Espinosa Teran said."),
          (r(3332), "It would cost 150 mln dlrs to repair the pipelline")],
         claims=[(r(2973), "100 mln", MLN(100), "a senior Energy Ministry official (unnamed)"),
                 (r(3556), "120 mln", MLN(120), "energy and mines minister Javier Espinosa Teran"),
                 (r(3332), "150 mln", MLN(150), "President Leon Febres Cordero / the authorities")]),
    item("rconflict-02", "conflict",
         "How long would Ecuador's crude oil exports be stopped after the March 1987 earthquake broke its pipeline? Do the reports agree?",
         "No: a senior Energy Ministry official and President Febres Cordero said four months; energy and mines minister Javier Espinosa Teran said five months.",
         [["four months", "4 months"], ["five months", "5 months"]],
         [(r(2973), "The suspension of Ecuador's crude oil shipments after an earthquake cut an oil pipeline will last at least four months, a senior Energy Ministry official said."),
          (r(3556), "which will stop crude exports for five months, energy and mines minister Javier Espinosa Teran said.")],
         claims=[(r(2973), "four months", ["4 months"], "a senior Energy Ministry official (unnamed)"),
                 (r(3556), "five months", ["5 months"], "energy and mines minister Javier Espinosa Teran")]),
    item("rconflict-03", "conflict",
         "How long a stretch of Ecuador's oil pipeline did the March 1987 earthquake damage? Do the reports agree?",
         "No: 40 km according to President Febres Cordero's statement (and the Energy Ministry official: a 40 km section of the 510 km line); 50 km according to the report quoting minister Patricio Quevedo on the Andean Development Corp loan.",
         [["40 km"], ["50 km"]],
         [(r(3332), "The quake damaged 40 km of an oil pipeline, forcing this opec nation to suspend crude exports for four months, president febres cordero said"),
          (r(3556), "He added the Caracas-based Andean Development Corp had granted a loan of 11.7 mln dlrs towards repairing the pipeline, 50 km of which had been damaged in the quake.")],
         claims=[(r(3332), "40 km", [], "President Leon Febres Cordero (presidential press office statement)"),
                 (r(3556), "50 km", [], "minister at the Presidency Patricio Quevedo")]),

    # ------------------------------------------ unanswerable: near a real article ----
    item("runans-01", "unanswerable",
         "What salary will Frank Rubury receive as president of Wurlitzer Co?",
         "The reports do not say; only his election and his previous job at Horsman Inc are reported.",
         answerable=False),
    item("runans-02", "unanswerable",
         "What interest rate will Alitalia pay on its European Investment Bank loan for MD82 aircraft?",
         "The reports do not say; the bank gave no details of interest rates or other terms.",
         answerable=False),
    item("runans-03", "unanswerable",
         "How many people will work at Seven Oaks Direct's new Memphis telemarketing center?",
         "The reports do not say.",
         answerable=False),
    item("runans-04", "unanswerable",
         "Who will chair the Industries Assistance Commission's inquiry into the Australian wheat industry?",
         "The reports do not say who chairs it.",
         answerable=False),
    item("runans-05", "unanswerable",
         "How much profit did Texas Petroleum Co, Texaco's Colombian subsidiary, make in 1985?",
         "The reports do not say; only its 1986 profit in Colombia (seven mln dlrs) is reported.",
         answerable=False),

    # --------------------------------------------------------- false premise ----
    item("rfp-01", "false_premise",
         "Why did Westinghouse complete the merger of its radio operations with NBC's in March 1987?",
         "It did not: talks with NBC on merging the radio units were suspended in December; in March chairman Douglas Danforth only said Westinghouse had left the door open.",
         [["suspended", "door open"]],
         [(r(10555), "Discussions with NBC on the merger of the two companies' radio units were suspended in December.")],
         answerable=False),
    item("rfp-02", "false_premise",
         "Why did Japan retaliate against American farm products, as U.S. Trade Representative Clayton Yeutter predicted after Reagan's April 17, 1987 tariffs?",
         "Yeutter predicted the opposite: he was \"99 plus pct sure\" the tariffs would not provoke retaliation; farm products were only what Japan would probably target if it did.",
         [["99"]],
         [(r(16929), "\"I'd say it's 99 plus pct sure that it (the tariffs) will not provoke a retaliation on American products,\" Yeutter told Cable News Network.")],
         answerable=False),
    item("rfp-03", "false_premise",
         "Why did the Bank of France's April 1987 monthly report forecast a fall in French industrial production?",
         "It did not: it expected the pickup in industrial production registered in March to gather steam over the next few months.",
         [["pickup", "pick-up", "pick up", "gather steam", "rise", "increase"]],
         [(r(16853), "it expected a pickup in industrial production registered in March to gather steam over the next few months.")],
         answerable=False),
    item("rfp-04", "false_premise",
         "Why did Texas Petroleum Co, Texaco's Colombian subsidiary, file for Chapter 11 protection in April 1987?",
         "It did not: Texaco Inc filed; its manager said Texas Petroleum's operations in Colombia were not affected.",
         [["not be affected", "not affected", "unaffected", "Texaco Inc"]],
         [(r(16742), "The operations in Colombia of Texas Petroleum Co, a subsidiary of Texaco Inc, will not be affected by the legal dispute with the Pennzoil Co")],
         answerable=False),
]


def main(argv: list[str]) -> int:
    global CORPUS
    if "--corpus" in argv:
        CORPUS = Path(argv[argv.index("--corpus") + 1])
    if not CORPUS.is_dir():
        raise SystemExit(f"No corpus at {CORPUS}: unpack ../shared/corpora/reuters21578.tar.gz "
                         f"outside the repository and pass --corpus DIR/reuters21578.")
    return write(build(ITEMS, text_of, locate, has_form), OUT, "--check" in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
