"""Two embedded-model processes at once: do they queue (the machine-wide generation lock) or
thrash? Times one ``python -m rag ask`` alone, then two started together, and prints each
against the one alone (the target: each at most about twice the time of one alone).

    .venv/bin/python scripts/bench_concurrent_ask.py [--llm local] [--data-dir DIR]

Needs a quiet machine: anything else running llama.cpp or embeddings changes the numbers.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

QUESTIONS = ("Who is Kim Jong Gyu?", "How many North Korean troops are in Russia?")


def ask(question: str, llm: str, data_dir: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rag", "ask", question, "--json", "--llm", llm,
                             "--data-dir", data_dir], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", default="local")
    parser.add_argument("--data-dir", default="data")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "rag", "ingest", "--data-dir", args.data_dir],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t = time.perf_counter()
    assert ask(QUESTIONS[0], args.llm, args.data_dir).wait() == 0
    alone = time.perf_counter() - t
    t = time.perf_counter()
    procs = [ask(q, args.llm, args.data_dir) for q in QUESTIONS]
    ends = []
    for p in procs:
        assert p.wait() == 0
        ends.append(time.perf_counter() - t)
    print(f"one alone: {alone:.1f} s")
    for q, end in zip(QUESTIONS, ends, strict=True):
        print(f"two at once, {q!r}: {end:.1f} s = {end / alone:.2f}x one alone")


if __name__ == "__main__":
    main()
