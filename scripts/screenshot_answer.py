"""Ask the app one question in a real browser and save a screenshot of the answer, with its
disagreement table and its Timeline opened, as a reader sees them.

    .venv/bin/python scripts/screenshot_answer.py "How many North Korean troops are in Russia?" \
        --out test-artifacts/headline.png [--llm local] [--data-dir DIR] [--corpus DIR]

Starts ``streamlit run app.py`` on 127.0.0.1 (a free port), drives Debian's headless Chromium
through playwright (``bash scripts/install_browser.sh`` installs it), and stops the app. Prints
the answer text, the timings, and the screenshot's path. Uses the real model the spec names.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_browser import (  # noqa: E402  (one copy of the browser plumbing)
    ANSWER,
    CHROMIUM,
    CHROMIUM_ARGS,
    DONE,
    _wait_idle,
    running_app,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("question")
    parser.add_argument("--out", default=str(ROOT / "test-artifacts" / "answer.png"))
    parser.add_argument("--llm", default="local")
    parser.add_argument("--data-dir", help="index folder (default: a new temporary one)")
    parser.add_argument("--corpus", default=str(ROOT / "seeds"), help="reports folder")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"No Chromium at {CHROMIUM}: run `bash scripts/install_browser.sh` as root.",
              file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="rag-shot-"))
    with running_app(work, timeout=300, RAG_DATA_DIR=args.data_dir or str(work / "data"),
                     RAG_LLM=args.llm, RAG_CORPUS_DIR=args.corpus) as url, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        started = time.perf_counter()
        page.goto(url, timeout=60_000)
        box = page.get_by_test_id("stChatInputTextArea")
        box.wait_for(timeout=600_000)
        usable = time.perf_counter() - started
        box.fill(args.question)
        asked = time.perf_counter()
        box.press("Enter")
        page.wait_for_selector(DONE, timeout=600_000)
        answered = time.perf_counter() - asked
        _wait_idle(page, 1)
        timeline = page.locator("details summary", has_text="Timeline (")
        if timeline.count():  # open the last answer's timeline
            timeline.last.click()
            page.wait_for_timeout(1500)
        text = page.locator(ANSWER).last.inner_text() if page.locator(ANSWER).count() else ""
        height = page.evaluate(
            "document.querySelector('[data-testid=stMainBlockContainer]').scrollHeight")
        page.set_viewport_size({"width": 1280, "height": min(int(height) + 300, 8000)})
        time.sleep(0.8)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=args.out, full_page=True)
        browser.close()
    print(text)
    print(f"\npage usable {usable:.1f}s, answer {answered:.1f}s; screenshot {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
