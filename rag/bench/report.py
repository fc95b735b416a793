"""The benchmark report: targets checked, then ``report.json``, ``report.md``, ``latency.png``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _get(data: Any, *keys: Any) -> Any:
    for key in keys:
        if data is None:
            return None
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _target(name: str, value: float | bool | None, target: str, ok: bool | None,
            shown: str) -> dict[str, Any]:
    return {"figure": name, "value": value, "shown": shown, "target": target,
            "met": None if value is None else ok}


def targets(results: dict[str, Any], default_model: str) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value (None when not measured)."""
    out = []
    ratio = _get(results, "ingest", "ratio")
    out.append(_target("Ingest speed / raw encode speed", ratio, ">= 0.8",
                       ratio is not None and ratio >= 0.8, _fmt(ratio, "{:.2f}")))
    again = _get(results, "ingest", "reingest_ratio")
    out.append(_target("Unchanged re-ingest / first ingest", again, "<= 0.05",
                       again is not None and again <= 0.05, _fmt(again, "{:.1%}")))
    sizes = _get(results, "retrieval", "sizes") or []
    if sizes:
        top = sizes[-1]
        for key, label in (("hybrid_vs_brute_p50", "as users run it (embed + search)"),
                           ("search_vs_brute_p50", "search only (query vector given)")):
            out.append(_target(f"Hybrid p50 / brute-force p50 at {top['n']:,} chunks, {label}",
                               top[key], "<= 2", top[key] <= 2, f"{top[key]:.2f}x"))
        users = top["hybrid_vs_embed_plus_brute_p50"]
        out.append(_target(f"Hybrid p50 / (embed + brute force) p50 at {top['n']:,} chunks, "
                           "both embedding the question", users, "<= 2 (same bar)", users <= 2,
                           f"{users:.2f}x"))
        rebuilt = any(s["keyword_index_builds_during_queries"] or not s["keyword_index_reused"]
                      for s in sizes)
        out.append(_target("Keyword index rebuilt per query", rebuilt, "never", not rebuilt,
                           "yes" if rebuilt else "no"))
    out += corpus_targets(results.get("corpus"))
    answer = next((a for a in results.get("answer") or [] if a.get("llm") == default_model
                   and "error" not in a), None)
    if answer:
        overhead = answer["overhead_total"]
        out.append(_target(f"Engine time over llama.cpp alone ({default_model}, p50)",
                           overhead, "< 10%", overhead < 0.10, f"{overhead:+.1%}"))
        first = answer["engine"]["first_token_s"]["p50"]
        out.append(_target(f"First token ({default_model}, p50; model ready as in the app)",
                           first, "<= 2 s", first <= 2, f"{first:.2f} s"))
        total = answer["engine"]["total_s"]["p50"]
        out.append(_target(f"Whole answer ({default_model}, p50; model ready as in the app)",
                           total, "<= 5 s", total <= 5, f"{total:.2f} s"))
        cold = answer.get("cold")
        if cold:
            first, total = (cold["engine"][k]["p50"] for k in ("first_token_s", "total_s"))
            out.append(_target(f"First token / whole answer from an empty KV cache "
                               f"({default_model}, p50; not a target, for comparison)",
                               first, "-", None, f"{first:.2f} s / {total:.2f} s"))
    return out


def corpus_targets(corpus: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The real-collection figures (``--corpus DIR``) against the issue's targets."""
    if not corpus:
        return []
    ing, out = corpus.get("ingest") or {}, []
    n = ing.get("files")
    if "ratio" in ing:
        out.append(_target(f"Real collection ({n:,} reports): ingest / raw encode, same chunks",
                           ing["ratio"], ">= 0.9", ing["ratio"] >= 0.9, f"{ing['ratio']:.2f}"))
        whole = ing["ingest_s"] * ing["files"] / max(1, ing["files_indexed"])
        shown = (f"{whole / 60:.1f} min" if ing["complete"] else
                 f"~{whole / 60:.0f} min projected (stopped after {ing['ingest_s'] / 60:.1f} min "
                 f"at {ing['files_indexed']:,} files)")
        out.append(_target(f"Real collection ({n:,} reports): whole ingest", whole, "<= 5 min",
                           whole <= 300, shown))
    ret = _get(corpus, "query", "retrieval")
    if ret and "hybrid_vs_brute_p50" in ret:
        value = ret["hybrid_vs_brute_p50"]
        out.append(_target(f"Real collection ({ret['n']:,} chunks): hybrid p50 (as run) / "
                           "brute-force p50", value, "<= 2", value <= 2, f"{value:.2f}x"))
    src = _get(corpus, "query", "sources")
    if src:
        p50 = src["ms"]["p50"]
        out.append(_target(f"`store.sources()` at {src['reports']:,} reports (p50)", p50,
                           "<= 50 ms", p50 <= 50, f"{p50:.0f} ms (first call "
                           f"{src['first_ms']:.0f} ms)"))
    app = corpus.get("app")
    if app and app.get("page_served_s") is not None:
        out.append(_target(f"App start to a served page, {n:,} reports indexed",
                           app["page_served_s"], "-", None, f"{app['page_served_s']:.1f} s"))
    if app and app.get("model_load_s") and app.get("script_first_run_s") is not None:
        ratio = app["script_first_run_s"] / app["model_load_s"]
        out.append(_target(f"App usable (first script run) / the model's own load, {n:,} "
                           f"reports indexed", ratio, "<= 2", ratio <= 2,
                           f"{ratio:.2f}x ({app['script_first_run_s']:.1f} s vs "
                           f"{app['model_load_s']:.1f} s; model ready after "
                           f"{_fmt(app.get('model_ready_s'), '{:.1f}')} s)"))
    return out


def _fmt(value: float | None, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)


def errors(data: dict[str, Any]) -> list[str]:
    found = []
    for name, part in data["results"].items():
        if name == "corpus" and isinstance(part, dict):
            part = [v for v in part.values() if isinstance(v, dict)]
        for item in part if isinstance(part, list) else [part]:
            if isinstance(item, dict) and item.get("error"):
                found.append(f"{name}: {item['error']}")
    return found


def biggest_cost(results: dict[str, Any], default_model: str) -> str:
    """One sentence: where the default model's answer time goes."""
    answer = next((a for a in results.get("answer") or [] if a.get("llm") == default_model
                   and "error" not in a), None)
    if not answer:
        return "not measured (no answer phase for the default model)"
    total = answer["engine"]["total_s"]["p50"]
    llama = answer["llama_cpp"]["total_s"]["p50"]
    t = answer["engine_timings_ms"]
    first = answer["llama_cpp"]["first_token_s"]["p50"]
    read = answer["prompt"]["tokens"] - answer["prompt"].get("system_tokens", 0)
    return (f"generation in llama.cpp. Alone, on the engine's prompt, it takes {llama:.1f} s "
            f"(p50) with {default_model}: {first:.1f} s reading the prompt before the first "
            f"token ({read} tokens of evidence and question; the "
            f"{answer['prompt'].get('system_tokens', 0)}-token system prompt was read at "
            f"start-up), the rest "
            f"writing {answer['llama_cpp']['generated_tokens']} tokens. The engine's whole "
            f"answer takes {total:.1f} s; its own steps: retrieval {t.get('retrieve', 0):.0f} ms, "
            f"evidence selection {t.get('evidence', 0):.0f} ms.")


def build(results: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    return {"meta": meta, "targets": targets(results, meta["default_model"]),
            "biggest_cost": biggest_cost(results, meta["default_model"]), "results": results}


def write(out: Path, data: dict[str, Any]) -> str:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    plot(out / "latency.png", _get(data, "results", "retrieval", "sizes") or [])
    text = markdown(data)
    (out / "report.md").write_text(text, encoding="utf-8")
    return text


def plot(path: Path, sizes: list[dict[str, Any]]) -> None:
    """Retrieval latency (ms, p50 and hybrid p95) against corpus size, log-log."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    ns = [s["n"] for s in sizes]
    for key, stat, label, style in (
            ("hybrid", "p50", "hybrid, as users run it (p50)", "o-"),
            ("hybrid", "p95", "hybrid, as users run it (p95)", "o--"),
            ("search", "p50", "hybrid search only, query vector given (p50)", "s-"),
            ("dense", "p50", "Chroma dense query (p50)", "^-"),
            ("bm25", "p50", "BM25 keyword top-k (p50)", "v-"),
            ("embed", "p50", "embedding the question (p50)", "x:"),
            ("brute", "p50", "exact numpy brute force (p50)", "k-")):
        ys = [s["ms"][key].get(stat) for s in sizes]
        if ns and all(y is not None for y in ys):
            ax.plot(ns, ys, style, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("corpus size (chunks)")
    ax.set_ylabel("latency per query (ms)")
    ax.set_title("Retrieval latency against corpus size")
    ax.grid(True, which="both", alpha=0.3)
    if ns:
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _ms(row: dict[str, Any], key: str) -> str:
    s = row["ms"][key]
    return f"{s['p50']:.1f} / {s['p95']:.1f}"


def markdown(data: dict[str, Any]) -> str:
    meta, res = data["meta"], data["results"]
    lines = [
        "# Benchmark report", "",
        f"Command: `{meta['command']}`{' (quick: numbers mean little)' if meta['quick'] else ''}"
        f" — {meta['started']}, {meta['seconds'] / 60:.1f} min, {meta['cpus']} CPUs, "
        f"load average {meta['load_before'][0]:.1f} before / {meta['load_after'][0]:.1f} after.",
        "", "Each speed figure is a ratio measured side by side in this one run: the machine "
        "may be shared and noisy, so absolute times vary between runs more than ratios do.",
        "", "## Targets", "", "| Figure | Measured | Target | Met |", "|---|---|---|---|"]
    for t in data["targets"]:
        met = {True: "yes", False: "**no**", None: "n/a"}[t["met"]]
        lines.append(f"| {t['figure']} | {t['shown']} | {t['target']} | {met} |")
    lines += ["", f"**Biggest remaining cost:** {data['biggest_cost']}", ""]
    lines += _ingest_md(res.get("ingest")) + _retrieval_md(res.get("retrieval"))
    lines += _answer_md(res.get("answer")) + _memory_md(res) + _cold_md(res.get("coldstart"))
    lines += _threads_md(res.get("threads"), meta.get("threads"))
    lines += _corpus_md(res.get("corpus"))
    lines += ["## Method", "",
              "- Ingest: seeds plus synthetic reports (`rag/bench/corpus.py`: a word-bigram chain "
              "over the seeds), the whole `ingest()` (read, clean, chunk, embed, upsert) against "
              "`encode()` of the same chunk texts with the same loaded model, alternated; "
              "medians. Re-ingest: the same folder again, unchanged.",
              "- Retrieval: the first chunks are real MiniLM vectors of synthetic chunks; the "
              "rest are noisy copies of them (cosine ~0.85), inserted into Chroma directly "
              "(embedding 100,000 chunks on 2 cores would take most of an hour); texts are "
              "synthetic passages. The copies make clusters of near-duplicates, so exact top-k is "
              "decided by tiny differences there and recall understates the search; the "
              "similarity column (mean cosine of Chroma's results over the exact ones) shows "
              "how much closer the exact neighbours really are. Queries are the evaluation "
              "set's questions. `hybrid` is "
              "`hybrid_search()` as users run it (embeds the question); `search` is the same "
              "call with the question's vector precomputed; brute force is exact top-k with "
              "numpy over the same vectors, on one BLAS thread unless `--threads` is given "
              "(faster on two cores, and more threads spin after each product and slow the "
              "next step). Methods are interleaved query by query.",
              "- Answer: the engine's `stream()` against `llama.cpp`'s own streamed chat "
              "completion on the very prompt the engine built (same evidence, greedy), "
              "alternated. Before each run the KV cache is emptied (`Llama.reset()`) and "
              "the evidence vectors forgotten; for **ready** runs the system prompt is then "
              "read as `Engine.warm_up` does at start-up, for **cold** runs nothing is. "
              "Prompt tokens exclude "
              "the chat template's few tokens. Overhead is given at p50 (the target), for the "
              "best run of each side (noise only adds time), and as the engine's own measured "
              "steps (condense, retrieval, evidence) over llama.cpp's time.",
              "- Memory: peak RSS of each phase's own process (`os.wait4`). The app is "
              "`app.py` run by Streamlit's `AppTest` with one question.",
              "- Real collection (`--corpus DIR`): see `rag/bench/real.py`; the ingest, the "
              "queries and the app each run in a process of their own. The app: "
              "`streamlit run` to a served page (no model yet: a browser starts the script); "
              "then, in one process, the default model's own load time, and `AppTest`'s first "
              "script run with that model (the page usable: reports listed, question box "
              "drawn; the model loads in the background) and the time until it is ready.",
              "- Cold start: `python -m rag ask` as a new process until its first printed "
              "token (index built, models assembled, files in the page cache); the breakdown "
              "is the same path with marks inside one process.", ""]
    return "\n".join(lines)


def _err(part: dict[str, Any] | None) -> list[str]:
    return [f"_Error: {part['error']}_", ""] if part and part.get("error") else []


def _ingest_md(ing: dict[str, Any] | None) -> list[str]:
    if not ing:
        return []
    lines = ["## Ingest", ""] + _err(ing)
    if "ratio" in ing:
        lines += [
            f"{ing['files']} files ({ing['synthetic_reports']} synthetic), {ing['chunks']} chunks.",
            "", "| Figure | Value |", "|---|---|",
            f"| Whole ingest | {ing['ingest_chunks_per_s']:.1f} chunks/s "
            f"({', '.join(f'{s:.1f}' for s in ing['ingest_s'])} s) |",
            f"| Raw encode, same texts | {ing['encode_chunks_per_s']:.1f} chunks/s "
            f"({', '.join(f'{s:.1f}' for s in ing['encode_s'])} s) |",
            f"| Ratio | **{ing['ratio']:.2f}** |",
            f"| Unchanged re-ingest | {ing['reingest_s']:.2f} s = **{ing['reingest_ratio']:.1%}** "
            f"of the first ({ing['reingest_embedded']} chunks embedded) |",
            f"| Embedding model load | {ing['model_load_s']:.1f} s |", ""]
    return lines


def _retrieval_md(ret: dict[str, Any] | None) -> list[str]:
    if not ret:
        return []
    lines = ["## Retrieval", ""] + _err(ret)
    if ret.get("sizes"):
        lines += [f"k={ret['k']}, each retriever asked for {ret['fetch_k']}; "
                  f"{ret['sizes'][0]['ms']['hybrid']['n']} timed queries per size "
                  f"({ret['queries']} distinct). Times in ms, p50 / p95.", "",
                  "| Chunks | Hybrid (as run) | Search only | Dense (Chroma) | BM25 | Embed query "
                  "| Change check | Brute force | Hybrid / brute | Search / brute | Hybrid / "
                  f"(embed + brute) | Dense recall@{ret['fetch_k']} (similarity vs exact) "
                  "| Build | Keyword index build |",
                  "|---:|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for s in ret["sizes"]:
            build = "cached" if s["cached"] else f"{s['build_s']:.0f} s"
            recall = (f"{_fmt(s['dense_recall_at_fetch_k'], '{:.2f}')} "
                      f"({_fmt(s.get('dense_similarity_vs_exact'), '{:.3f}')})")
            lines.append(
                f"| {s['n']:,} | {_ms(s, 'hybrid')} | {_ms(s, 'search')} | {_ms(s, 'dense')} | "
                f"{_ms(s, 'bm25')} | {_ms(s, 'embed')} | {_ms(s, 'stamp')} | {_ms(s, 'brute')} | "
                f"{s['hybrid_vs_brute_p50']:.2f}x | {s['search_vs_brute_p50']:.2f}x | "
                f"{s['hybrid_vs_embed_plus_brute_p50']:.2f}x | {recall} | {build} | "
                f"{s['keyword_build_s']:.1f} s |")
        lines += ["", "![latency against corpus size](latency.png)", ""]
    return lines


def _answer_md(answers: list[dict[str, Any]] | None) -> list[str]:
    if not answers:
        return []
    lines = ["## Answer", "", f"Question: “{answers[0].get('question', '')}”. Seconds, p50 "
             "(runs per side in brackets). **Ready**: the model loaded and the system prompt "
             "read at start-up (`Engine.warm_up`, as the app and the terminal chat do), then "
             "the question; **cold**: an empty KV cache. Evidence vectors are never reused "
             "between runs.", "",
             "| Model | Load | Mode | First token: engine / llama.cpp | Whole answer: engine / "
             "llama.cpp | Engine overhead: p50 (best runs; own steps) | Prompt tokens (evidence) "
             "| Tokens written | Retrieve / evidence (ms) |", "|---|---|---|---|---|---|---|---|---|"]
    for a in answers:
        if "error" in a:
            lines.append(f"| {a.get('llm', '?')} | error: {a['error']} |||||||")
            continue
        t = a["engine_timings_ms"]
        for mode, side in (("ready", a), ("cold", a.get("cold"))):
            if not side:
                continue
            e, r = side["engine"], side["llama_cpp"]
            own = f"; {a['engine_own_steps_share']:.1%}" if mode == "ready" else ""
            lines.append(
                f"| {a['llm']} | {a['load_s']:.1f} | {mode} | {e['first_token_s']['p50']:.2f} / "
                f"{r['first_token_s']['p50']:.2f} | {e['total_s']['p50']:.2f} / "
                f"{r['total_s']['p50']:.2f} [{e['total_s']['n']}] | {side['overhead_total']:+.1%} "
                f"({side['overhead_total_best']:+.1%}{own}) | "
                f"{a['prompt']['tokens']} "
                f"({a['prompt']['evidence_sentences']} sentences) | {r['generated_tokens']} | "
                f"{t.get('retrieve', 0):.0f} / {t.get('evidence', 0):.0f} |")
    wide = next((a for a in answers if "passages_tokens" in a.get("prompt", {})), None)
    if wide:
        p = wide["prompt"]
        lines += ["", (f"Prompt size ({wide['llm']}): the evidence sentences make a "
                       f"{p['tokens']}-token prompt, first token after "
                       f"{p['evidence_first_token_s']:.2f} s; the whole retrieved passages would "
                       f"make {p['passages_tokens']} tokens, first token after "
                       f"{p['passages_first_token_s']:.2f} s (llama.cpp alone).")]
    lines.append("")
    return lines


def _memory_md(res: dict[str, Any]) -> list[str]:
    rows = []
    if res.get("ingest"):
        rows.append(("ingest (seeds + synthetic reports)", res["ingest"]["peak_rss_mb"]))
    if res.get("retrieval"):
        top = _get(res, "retrieval", "sizes", -1, "n")
        rows.append((f"retrieval benchmark (up to {top or '?':,} chunks + numpy copy)",
                     res["retrieval"]["peak_rss_mb"]))
    for a in res.get("answer") or []:
        rows.append((f"ask with {a.get('llm', '?')}", a["peak_rss_mb"]))
    if res.get("coldstart") and res["coldstart"].get("peak_rss_mb_at_first_token"):
        rows.append((f"`python -m rag ask` ({res['coldstart']['llm']}), up to its first token",
                     res["coldstart"]["peak_rss_mb_at_first_token"]))
    if res.get("app"):
        app = res["app"]
        note = f"; error: {'; '.join(app.get('errors') or [app.get('error')])}" if (
            app.get("errors") or app.get("error")) else ""
        rows.append((f"the app (`app.py`, start + one question{note})", app["peak_rss_mb"]))
    corpus = res.get("corpus") or {}
    for key, name in (("ingest", "ingest of the real collection"),
                      ("query", "re-ingest, retrieval and sources() on the real collection"),
                      ("app", "the app process on the real collection (AppTest run)")):
        if (corpus.get(key) or {}).get("peak_rss_mb"):
            rows.append((name, corpus[key]["peak_rss_mb"]))
    if (corpus.get("app") or {}).get("server_peak_rss_mb"):
        rows.append(("`streamlit run app.py` server on the real collection, page served "
                     "(no browser: the script not yet run)", corpus["app"]["server_peak_rss_mb"]))
    if not rows:
        return []
    return (["## Memory (peak RSS)", "", "| Process | MB |", "|---|---:|"]
            + [f"| {name} | {mb:.0f} |" for name, mb in rows] + [""])


def _cold_md(cold: dict[str, Any] | None) -> list[str]:
    if not cold:
        return []
    lines = ["## Cold start", ""] + _err(cold)
    if cold.get("first_token_s") is None:
        return lines
    b = cold.get("breakdown") or {}
    lines += [f"`{cold['command']}` with {cold['llm']}: first token after "
              f"**{cold['first_token_s']:.1f} s** (a new process, stopped there).", ""]
    if "total_s" in b:
        imports = b["python_s"] + b["import_app_s"] + b["import_onnxruntime_s"] + b["import_llama_cpp_s"]
        loads = (b["open_index_s"] + b["load_embedding_model_s"] + b["load_llm_s"]
                 + b.get("system_prompt_s", 0.0))
        lines += ["| Step | Seconds |", "|---|---:|",
                  f"| Python start + `import rag` | {b['python_s']:.2f} |",
                  f"| Import app (LangChain, Chroma) | {b['import_app_s']:.2f} |",
                  f"| Import onnxruntime + tokenizers | {b['import_onnxruntime_s']:.2f} |",
                  f"| Import llama-cpp-python | {b['import_llama_cpp_s']:.2f} |",
                  f"| Open the index | {b['open_index_s']:.2f} |",
                  f"| Load the embedding model | {b['load_embedding_model_s']:.2f} |",
                  f"| Load the LLM | {b['load_llm_s']:.2f} |",
                  f"| System prompt (saved state restored, or read) | "
                  f"{b.get('system_prompt_s', float('nan')):.2f} |",
                  f"| Question to first token | {b['question_to_first_token_s']:.2f} |",
                  f"| **Total to first token** | **{b['total_s']:.2f}** |", "",
                  f"Imports: {imports:.1f} s ({imports / b['total_s']:.0%}); model loading and "
                  f"index: {loads:.1f} s ({loads / b['total_s']:.0%}); answering: "
                  f"{b['question_to_first_token_s']:.1f} s.", ""]
    return lines


def _corpus_md(corpus: dict[str, Any] | None) -> list[str]:
    if not corpus:
        return []
    ing = corpus.get("ingest") or {}
    lines = ["## Real collection", "", f"`{corpus['corpus']}`; steps: "
             f"{', '.join(corpus['steps'])}.", ""] + _err(ing)
    if "partial" in ing:
        p = ing["partial"]
        lines += [f"Partial: {p['files_done']:,} files, {p['chunks']:,} chunks in "
                  f"{p['seconds']:.0f} s ({p['chunks'] / p['seconds']:.1f} chunks/s).", ""]
    if "ratio" in ing:
        state = ("complete" if ing["complete"] else
                 f"**stopped at the {ing['limit_s']:.0f} s limit** after "
                 f"{ing['files_indexed']:,} files")
        lines += ["| Figure | Value |", "|---|---|",
                  f"| Reports / chunks stored | {ing['files']:,} / {ing['chunks']:,} ({state}) |",
                  f"| Ingest into a fresh data dir | {ing['ingest_s']:.0f} s, "
                  f"{ing['ingest_chunks_per_s']:.1f} chunks/s |",
                  f"| Raw encode, same chunks ({ing['encode_sample_chunks']:,} chunks of every "
                  f"{ing['encode_sample_every_nth_file']}. file, before and after) | "
                  f"{ing['encode_chunks_per_s']:.1f} chunks/s "
                  f"({', '.join(f'{s:.1f}' for s in ing['encode_s'])} s) |",
                  f"| Ratio | **{ing['ratio']:.2f}** |",
                  f"| Peak RSS of the ingest process | {ing.get('peak_rss_mb', 0):.0f} MB |",
                  f"| Embedding threads | {ing['threads']} |"]
        if ing.get("skipped"):
            lines.append(f"| Skipped | {'; '.join(ing['skipped'])} |")
    query = corpus.get("query") or {}
    lines += _err(query) if query.get("error") else []
    if "reingest_s" in query:
        part = "" if query["reingest_whole_corpus"] else " of the files indexed"
        lines.append(f"| Unchanged re-ingest{part} | {query['reingest_s']:.1f} s for "
                     f"{query['reingest_files']:,} files ({query['reingest_embedded']} chunks "
                     f"embedded) |")
    src = query.get("sources")
    if src:
        lines.append(f"| `store.sources()` ({src['reports']:,} reports) | first "
                     f"{src['first_ms']:.0f} ms, then p50 {src['ms']['p50']:.0f} ms |")
    app = corpus.get("app") or {}
    if app:
        lines += _err(app) if app.get("error") else []
        lines.append(f"| App: `streamlit run` to health / page served | "
                     f"{_fmt(app.get('health_s'), '{:.1f}')} s / "
                     f"{_fmt(app.get('page_served_s'), '{:.1f}')} s |")
        errs = "; ".join(app.get("script_errors") or [])
        lines.append(f"| App ({app.get('llm', 'n/a')}): the model's own load | "
                     f"{_fmt(app.get('model_load_s'), '{:.1f}')} s |")
        lines.append(f"| App: first script run, page usable (AppTest; store, sidebar, "
                     f"question box) | {_fmt(app.get('script_first_run_s'), '{:.1f}')} s"
                     f"{'; errors: ' + errs if errs else ''} |")
        lines.append(f"| App: model ready (weights, system prompt) | "
                     f"{_fmt(app.get('model_ready_s'), '{:.1f}')} s |")
    lines.append("")
    ret = query.get("retrieval")
    if ret and "ms" in ret:
        lines += [f"Retrieval on {ret['n']:,} real chunks, k={ret['k']} (each retriever asked "
                  f"for {ret['fetch_k']}), {ret['ms']['hybrid']['n']} timed queries "
                  f"({ret['queries']} distinct: the Reuters set's questions, then the seed "
                  f"set's); vectors fetched from Chroma in {ret['vectors_fetch_s']:.1f} s. "
                  "Times in ms, p50 / p95.", "",
                  "| Hybrid (as run) | Search only | Dense (Chroma) | BM25 | Embed query | "
                  "Brute force | Hybrid / brute | Hybrid / (embed + brute) | Dense recall "
                  "(similarity vs exact) |", "|---|---|---|---|---|---|---|---|---|",
                  f"| {_ms(ret, 'hybrid')} | {_ms(ret, 'search')} | {_ms(ret, 'dense')} | "
                  f"{_ms(ret, 'bm25')} | {_ms(ret, 'embed')} | {_ms(ret, 'brute')} | "
                  f"{ret['hybrid_vs_brute_p50']:.2f}x | "
                  f"{ret['hybrid_vs_embed_plus_brute_p50']:.2f}x | "
                  f"{_fmt(ret['dense_recall_at_fetch_k'], '{:.2f}')} "
                  f"({_fmt(ret.get('dense_similarity_vs_exact'), '{:.3f}')}) |", ""]
    return lines


def _threads_md(th: dict[str, Any] | None, used: int | None) -> list[str]:
    if not th:
        return []
    lines = ["## Threads", ""] + _err(th)
    if "embed_query_ms_p50" in th:
        counts = list(th["embed_query_ms_p50"])
        lines += [f"The other phases ran with {used} thread(s) for llama.cpp, onnxruntime and numpy. "
                  "One thread against every core, side by side:", "",
                  "| Threads | Embed one question (ms, p50) | llama.cpp "
                  f"{th['model']}: short prompt, 8 tokens (s) |", "|---:|---:|---:|"]
        lines += [f"| {n} | {th['embed_query_ms_p50'][n]:.1f} | {th['llama_8_tokens_s'][n]:.2f} |"
                  for n in counts]
        lines.append("")
    return lines
