"""Benchmark phases. Each runs in its own process, started by :mod:`rag.bench`, so that its
peak memory is its own and one phase's warm caches never flatter the next:

    python -m rag.bench.phases PHASE CONFIG.json RESULT.json

Every figure is taken side by side with its reference in the same process (the machine is
shared and noisy): ingest against raw encoding of the same texts, retrieval against exact
numpy search over the same vectors, the engine against llama.cpp alone on the same prompt.
"""

from __future__ import annotations

import time

STARTED = time.time()  # before any heavy import: the cold-start breakdown's first mark

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

_SERVER_VARS = ("CHROMA_HOST", "CHROMA_PORT", "RAG_DATA_DIR", "RAG_COLLECTION")


def log(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def stats(values: list[float]) -> dict[str, float]:
    """p50, p95, mean, min and count of a list of timings (in the list's unit)."""
    import numpy as np

    if not values:
        return {"n": 0}
    arr = np.asarray(values, dtype=float)
    return {"n": len(values), "p50": float(np.percentile(arr, 50)),
            "p95": float(np.percentile(arr, 95)), "mean": float(arr.mean()),
            "min": float(arr.min())}


def settings_for(**overrides: Any):
    """Settings from the environment, always on an embedded store in the bench's folders."""
    from rag.config import Settings

    env = {k: v for k, v in os.environ.items() if k not in _SERVER_VARS}
    return Settings.resolve(env=env, **overrides)


def chunk_texts(paths: list[Path]) -> list[str]:
    """The chunk texts ingest will embed for ``paths`` (same cleaning and chunking)."""
    from rag.chunking import chunk_report
    from rag.clean import clean
    from rag.text import read_text

    texts: dict[str, str] = {}
    for path in paths:
        for chunk in chunk_report(clean(path.name, read_text(path))):
            texts[chunk.id] = chunk.text
    return list(texts.values())


# -- ingest ----------------------------------------------------------------------------------
def phase_ingest(cfg: dict[str, Any]) -> dict[str, Any]:
    """Whole ingest vs raw encoding of the same chunk texts; then an unchanged re-ingest."""
    import shutil

    import numpy as np

    from rag.bench.corpus import write_reports
    from rag.embeddings import build_embeddings
    from rag.ingest import ingest
    from rag.store import ReportStore

    work, seeds = Path(cfg["work"]), Path(cfg["seeds"])
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for path in sorted(seeds.glob("*.txt")):
        shutil.copy(path, corpus / path.name)
    write_reports(corpus, cfg["reports"], seeds, seed=cfg["seed"])
    files = sorted(corpus.glob("*.txt"))
    texts = chunk_texts(files)

    settings = settings_for(data_dir=work / "ingest-0")
    embeddings = build_embeddings(settings)
    t = time.perf_counter()
    embeddings.encode(["warm up"])
    load_s = time.perf_counter() - t
    log(f"ingest: {len(files)} files, {len(texts)} chunks")

    encode_s, ingest_s, stores = [], [], []
    vectors = None
    for run in range(cfg["repeats"]):  # encode, ingest, encode, ingest, ..., encode
        t = time.perf_counter()
        vectors = embeddings.encode(texts)
        encode_s.append(time.perf_counter() - t)
        run_settings = settings_for(data_dir=work / f"ingest-{run}")
        store = ReportStore.open(run_settings, embeddings)
        t = time.perf_counter()
        summary = ingest(store, [corpus], lock_path=run_settings.data_dir / "ingest.lock")
        ingest_s.append(time.perf_counter() - t)
        stores.append((store, run_settings, summary))
        log(f"ingest run {run + 1}: encode {encode_s[-1]:.1f}s, ingest {ingest_s[-1]:.1f}s")
    t = time.perf_counter()
    vectors = embeddings.encode(texts)
    encode_s.append(time.perf_counter() - t)

    store, run_settings, first = stores[0]
    t = time.perf_counter()
    again = ingest(store, [corpus], lock_path=run_settings.data_dir / "ingest.lock")
    reingest_s = time.perf_counter() - t

    # the retrieval phase grows its large corpora from these real vectors
    np.save(work / "base_vectors.npy", np.asarray(vectors, dtype=np.float32))
    (work / "base_texts.json").write_text(json.dumps(texts), encoding="utf-8")
    seed_settings = settings_for(data_dir=Path(cfg["seed_index"]))
    seed_store = ReportStore.open(seed_settings, embeddings)
    ingest(seed_store, [seeds], lock_path=seed_settings.data_dir / "ingest.lock")

    chunks = first.chunks_embedded
    ingest_p50, encode_p50 = stats(ingest_s)["p50"], stats(encode_s)["p50"]
    return {
        "files": len(files), "synthetic_reports": cfg["reports"], "chunks": chunks,
        "model_load_s": load_s, "encode_s": encode_s, "ingest_s": ingest_s,
        "ingest_chunks_per_s": chunks / ingest_p50,
        "encode_chunks_per_s": len(texts) / encode_p50,
        "ratio": (chunks / ingest_p50) / (len(texts) / encode_p50),
        "reingest_s": reingest_s, "reingest_ratio": reingest_s / ingest_s[0],
        "reingest_embedded": again.chunks_embedded, "reingest_unchanged": len(again.unchanged),
    }


# -- retrieval -------------------------------------------------------------------------------
class _FixedQuery:
    """An embeddings stand-in that returns a precomputed query vector (pure search timing)."""

    def __init__(self, vector: list[float]) -> None:
        self.vector = vector

    def embed_query(self, text: str) -> list[float]:
        return self.vector


def synthetic_vectors(n: int, base, seed: int):
    """``n`` unit vectors: the real ``base`` vectors first, then noisy copies of them.

    Noise of 0.03 per dimension keeps each copy at cosine ~0.85 to its original, so the
    collection has the cluster structure of real embeddings (random unit vectors have none).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    first = min(n, len(base))
    out[:first] = base[:first]
    if n > first:
        picks = rng.integers(0, len(base), n - first)
        noisy = base[picks] + 0.03 * rng.standard_normal((n - first, base.shape[1]),
                                                         dtype=np.float32)
        out[first:] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    return out


def build_collection(folder: Path, n: int, base, base_texts: list[str], cfg: dict[str, Any],
                     embeddings) -> tuple[float, bool]:
    """A store of ``n`` generated chunks in ``folder`` (kept and reused when complete)."""
    import shutil

    from rag.bench.corpus import Writer
    from rag.store import ReportStore

    done = folder / "complete.json"
    if done.is_file() and json.loads(done.read_text()).get("n") == n:
        return 0.0, True
    shutil.rmtree(folder, ignore_errors=True)
    writer = Writer.from_folder(Path(cfg["seeds"]), seed=cfg["seed"] + n)
    vectors = synthetic_vectors(n, base, cfg["seed"] + n)
    store = ReportStore.open(settings_for(data_dir=folder, collection="bench"), embeddings)
    batch = min(5000, store.client.get_max_batch_size())
    t = time.perf_counter()
    for lo in range(0, n, batch):
        hi = min(n, lo + batch)
        texts = [base_texts[i] if i < len(base_texts) else writer.passage() for i in range(lo, hi)]
        metas = [{"source": f"synthetic_{i // 8:05d}.txt", "title": f"Synthetic report {i // 8}",
                  "publisher": "", "start": (i % 8) * 700, "end": (i % 8) * 700 + len(text),
                  "index": i % 8} for i, text in zip(range(lo, hi), texts, strict=True)]
        store.collection.add(ids=[f"c{i:07d}" for i in range(lo, hi)],
                             embeddings=vectors[lo:hi], documents=texts, metadatas=metas)
    build_s = time.perf_counter() - t
    done.write_text(json.dumps({"n": n, "build_s": build_s}))
    return build_s, False


def phase_retrieval(cfg: dict[str, Any]) -> dict[str, Any]:
    """Hybrid retrieval p50/p95 at each size, against exact brute-force top-k in numpy."""
    import numpy as np

    from rag.embeddings import build_embeddings
    from rag.store import ReportStore

    work = Path(cfg["work"])
    embeddings = build_embeddings(settings_for(data_dir=work))
    base = np.load(work / "base_vectors.npy")
    base_texts = json.loads((work / "base_texts.json").read_text(encoding="utf-8"))
    queries = cfg["queries"]
    query_vectors = embeddings.encode(queries)
    results = []
    for n in cfg["sizes"]:
        folder = Path(cfg["cache_dir"]) / f"retrieval-{n}-g{cfg['generator']}-s{cfg['seed']}"
        cached = (folder / "complete.json").exists()
        log(f"retrieval: {n:,} chunks ({'cached' if cached else 'building'})")
        build_s, cached = build_collection(folder, n, base, base_texts, cfg, embeddings)
        store = ReportStore.open(settings_for(data_dir=folder, collection="bench"), embeddings)
        assert store.count() == n, (store.count(), n)
        matrix = synthetic_vectors(n, base, cfg["seed"] + n)
        stored = store.collection.get(ids=["c0000000", f"c{n - 1:07d}"], include=["embeddings"])
        assert np.allclose(np.asarray(stored["embeddings"]), matrix[[0, n - 1]], atol=1e-5)
        row = {"n": n, "build_s": build_s, "cached": cached}
        row |= measure_queries(store, matrix, queries, query_vectors, cfg)
        log(f"  hybrid p50 {row['ms']['hybrid']['p50']:.1f} ms, search p50 "
            f"{row['ms']['search']['p50']:.1f} ms, brute p50 {row['ms']['brute']['p50']:.1f} ms")
        results.append(row)
    return {"k": cfg["k"], "fetch_k": max(20, 4 * cfg["k"]), "queries": len(queries),
            "sizes": results}


def measure_queries(store, matrix, queries: list[str], query_vectors,
                    cfg: dict[str, Any], ids: list[str] | None = None) -> dict[str, Any]:
    """Each retrieval step timed on the same queries, interleaved query by query.

    ``ids[j]`` is the chunk id of ``matrix[j]`` (default: the generated ``c0000000``...)."""
    import numpy as np

    import rag.keywords
    from rag.retrieve import hybrid_search

    k = cfg["k"]
    fetch_k = max(20, 4 * k)  # what hybrid_search asks each retriever for
    embeddings = store.embeddings
    t = time.perf_counter()
    snapshot = store.keyword_snapshot()
    keyword_build_s = time.perf_counter() - t

    def brute(v):
        scores = matrix @ v
        top_k = min(fetch_k, len(scores))  # a collection smaller than fetch_k: all of it
        top = np.argpartition(-scores, top_k - 1)[:top_k]
        return top[np.argsort(-scores[top])]

    def search(i: int, q: str):
        store.embeddings = _FixedQuery(query_vectors[i].tolist())
        try:
            return hybrid_search(store, q, k)
        finally:
            store.embeddings = embeddings

    builds = []  # any keyword index update while queries run (there must be none)

    def counting_synced(*a: Any, **kw: Any) -> Any:
        builds.append(1)
        return original(*a, **kw)

    methods = {
        "hybrid": lambda i, q: hybrid_search(store, q, k),
        "search": search,
        "dense": lambda i, q: store.dense_search(query_vectors[i].tolist(), fetch_k,
                                                 len(store.keyword_snapshot().ids)),
        "bm25": lambda i, q: store.keyword_snapshot().index.top(q, fetch_k),
        "brute": lambda i, q: brute(query_vectors[i]),
        "embed": lambda i, q: embeddings.embed_query(q),
        "stamp": lambda i, q: store.stamp(),  # the per-query "did another process write?"
    }
    times: dict[str, list[float]] = {m: [] for m in methods}
    recall, similarity = [], []
    for i in range(min(5, len(queries))):  # warm caches (HNSW pages, code paths)
        for fn in methods.values():
            fn(i, queries[i])
    original, rag.keywords.synced = rag.keywords.synced, counting_synced
    try:
        names = list(methods)
        for s in range(cfg["samples"]):
            i = s % len(queries)
            order = names[s % len(names):] + names[:s % len(names)]  # rotate: share the noise
            for name in order:
                t = time.perf_counter()
                out = methods[name](i, queries[i])
                times[name].append((time.perf_counter() - t) * 1000)
                if name == "dense" and s < len(queries):  # approximate vs exact neighbours
                    top = brute(query_vectors[i])
                    exact = {ids[j] if ids else f"c{j:07d}" for j in top}
                    recall.append(len(exact & {row[0] for row in out}) / len(exact))
                    best = float(np.mean(matrix[top] @ query_vectors[i]))
                    similarity.append(float(np.mean([row[3] for row in out])) / best)
    finally:
        rag.keywords.synced = original
    ms = {m: stats(v) for m, v in times.items()}
    return {"keyword_build_s": keyword_build_s,
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "numpy's default"),
            "keyword_index_builds_during_queries": len(builds),
            "keyword_index_reused": store.keyword_snapshot() is snapshot,
            "dense_recall_at_fetch_k": float(np.mean(recall)) if recall else None,
            "dense_similarity_vs_exact": float(np.mean(similarity)) if similarity else None,
            "ms": ms, "hybrid_vs_brute_p50": ms["hybrid"]["p50"] / ms["brute"]["p50"],
            "hybrid_vs_embed_plus_brute_p50": ms["hybrid"]["p50"] / (ms["embed"]["p50"]
                                                                    + ms["brute"]["p50"]),
            "search_vs_brute_p50": ms["search"]["p50"] / ms["brute"]["p50"]}


# -- answer ----------------------------------------------------------------------------------
MODES = ("ready", "cold")  # ready: as the app is when a question comes; cold: empty KV cache


def _prepare(llama, lock, engine, mode: str) -> None:
    """Empty the KV cache; for ``ready``, read the system prompt as ``Engine.warm_up`` does
    when the app or the terminal chat starts. Evidence vectors are forgotten either way."""
    with lock:
        llama.reset()
    engine.sentence_vectors.clear()
    if mode == "ready":
        engine.warm_up()


def _raw_stream(llama, lock, messages: list[dict[str, str]], max_tokens: int,
                extras: dict[str, Any] | None = None) -> dict[str, Any]:
    """llama.cpp alone: time to the first content token and to the end (from the KV cache
    as the caller left it); ``extras``: the engine's grammar and logits processor, if any
    (``LlamaCppChatModel.generation_extras``)."""
    with lock:
        t = time.perf_counter()
        first, pieces = None, []
        for part in llama.create_chat_completion(messages=messages, max_tokens=max_tokens,
                                                 temperature=0.0, stop=[], stream=True,
                                                 **(extras or {})):
            delta = part["choices"][0].get("delta", {}).get("content")
            if delta:
                first = first if first is not None else time.perf_counter() - t
                pieces.append(delta)
        return {"first_token_s": first, "total_s": time.perf_counter() - t,
                "tokens": len(pieces), "text": "".join(pieces)}


def _sides(runs: list[dict[str, Any]], raw_runs: list[dict[str, Any]]) -> dict[str, Any]:
    e = {"first_token_s": stats([x["first_token_s"] or x["total_s"] for x in runs]),
         "total_s": stats([x["total_s"] for x in runs])}
    r = {"first_token_s": stats([x["first_token_s"] or x["total_s"] for x in raw_runs]),
         "total_s": stats([x["total_s"] for x in raw_runs]),
         "generated_tokens": raw_runs[-1]["tokens"]}
    return {"engine": e, "llama_cpp": r,
            "overhead_total": e["total_s"]["p50"] / r["total_s"]["p50"] - 1,
            "overhead_total_best": e["total_s"]["min"] / r["total_s"]["min"] - 1,
            "overhead_first_token": e["first_token_s"]["p50"] / r["first_token_s"]["p50"] - 1}


def phase_answer(cfg: dict[str, Any]) -> dict[str, Any]:
    """The engine's first token and whole answer, against llama.cpp alone on the same prompt,
    with the model ready (system prompt read at start-up, as the app does) and from cold."""
    from rag.engine import build_engine, generation_kwargs
    from rag.evidence import format_evidence
    from rag.llms.llamacpp import load_llama

    settings = settings_for(data_dir=Path(cfg["seed_index"]), llm=cfg["llm"],
                            max_tokens=cfg["max_tokens"])
    engine = build_engine(settings)
    llm = engine.llm
    if not hasattr(llm, "model_path"):
        raise SystemExit(f"{cfg['llm']} is not an embedded model; the bench times local models")
    t = time.perf_counter()
    llama, lock = load_llama(llm.model_path, llm.n_ctx, llm.n_threads)
    load_s = time.perf_counter() - t
    engine.warm_up()
    _raw_stream(llama, lock, [{"role": "user", "content": "Hi"}], 1)  # page the weights in
    template = engine.answer_prompt  # the engine's own (its answer format's prompt files)
    role = {"system": "system", "human": "user", "ai": "assistant"}

    def extras():  # what the engine binds for this answer (a grammar, a refusal gate)
        return llm.generation_extras(generation_kwargs(engine, len(answer.evidence)))

    question, messages, answer = cfg["question"], None, None
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    raw_runs: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    for r in range(cfg["repeats"]):
        for mode in MODES:
            for which in (("engine", "raw") if r % 2 == 0 else ("raw", "engine")):
                _prepare(llama, lock, engine, mode)
                if which == "engine":
                    t = time.perf_counter()
                    stream = engine.stream(question)
                    first = None
                    for _piece in stream:
                        first = first if first is not None else time.perf_counter() - t
                    total = time.perf_counter() - t
                    answer = stream.answer
                    runs[mode].append({"first_token_s": first, "total_s": total,
                                       "timings_ms": answer.timings_ms,
                                       "answerable": answer.answerable,
                                       "complete": answer.complete,
                                       "citations": len(answer.citations)})
                    if messages is None:
                        messages = [{"role": role[m.type], "content": m.text} for m in
                                    template.invoke({"evidence": format_evidence(answer.evidence),
                                                     "question": answer.standalone_question}
                                                    ).messages]
                else:  # the first run is the engine's (r == 0), which builds the prompt
                    raw = _raw_stream(llama, lock, messages, settings.max_tokens, extras())
                    raw_runs[mode].append({k: v for k, v in raw.items() if k != "text"})
        log(f"{cfg['llm']} run {r + 1}: engine {runs['ready'][-1]['total_s']:.1f}s ready, "
            f"{runs['cold'][-1]['total_s']:.1f}s cold; llama.cpp "
            f"{raw_runs['ready'][-1]['total_s']:.1f}s / {raw_runs['cold'][-1]['total_s']:.1f}s")

    def tokens(text: str) -> int:
        return len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    prompt_tokens = sum(tokens(m["content"]) for m in messages)
    ready = runs["ready"]
    result: dict[str, Any] = {
        "llm": cfg["llm"], "question": question, "n_threads": llm.n_threads,
        "max_tokens": settings.max_tokens, "load_s": load_s, "mode": "ready",
        **_sides(ready, raw_runs["ready"]),
        "cold": _sides(runs["cold"], raw_runs["cold"]),
        "engine_timings_ms": {key: stats([x["timings_ms"][key] for x in ready
                                          if key in x["timings_ms"]])["p50"]
                              for key in ready[-1]["timings_ms"]},
        "prompt": {"evidence_sentences": len(answer.evidence),
                   "chars": sum(len(m["content"]) for m in messages),
                   "tokens": prompt_tokens,
                   "system_tokens": tokens(messages[0]["content"])},
        "last_answer": {"answerable": answer.answerable, "complete": answer.complete,
                        "citations": len(answer.citations), "text": answer.answer[:400]},
    }
    raw = result["llama_cpp"]
    own = sum(result["engine_timings_ms"].get(k, 0) for k in ("condense", "retrieve", "evidence"))
    result["engine_own_steps_share"] = own / 1000 / raw["total_s"]["p50"]
    if cfg.get("compare_passages"):  # the same question with whole passages as evidence
        passages = "\n".join(f"[{i}] {' '.join(p.text.split())}"
                             for i, p in enumerate(answer.passages, start=1))
        wide = [{"role": role[m.type], "content": m.text} for m in
                template.invoke({"evidence": passages,
                                 "question": answer.standalone_question}).messages]
        _prepare(llama, lock, engine, "cold")
        raw_wide = _raw_stream(llama, lock, wide, 1)
        result["prompt"]["passages_tokens"] = sum(tokens(m["content"]) for m in wide)
        result["prompt"]["passages_first_token_s"] = (raw_wide["first_token_s"]
                                                      or raw_wide["total_s"])
        result["prompt"]["evidence_first_token_s"] = result["cold"]["llama_cpp"][
            "first_token_s"]["p50"]
    return result


# -- cold start --------------------------------------------------------------------------
def phase_coldstart(cfg: dict[str, Any]) -> dict[str, Any]:
    """Where a cold ``ask`` spends its time before the first token (marks inside one process)."""
    marks = {"python_s": STARTED - cfg["spawned_at"]}
    t = time.perf_counter()
    import rag.cli  # noqa: F401
    from rag.engine import build_engine
    marks["import_app_s"] = time.perf_counter() - t
    t = time.perf_counter()
    import onnxruntime  # noqa: F401  (the embedding model's runtime)
    import tokenizers  # noqa: F401
    marks["import_onnxruntime_s"] = time.perf_counter() - t
    t = time.perf_counter()
    import llama_cpp  # noqa: F401
    marks["import_llama_cpp_s"] = time.perf_counter() - t

    from rag.embeddings import build_embeddings
    from rag.llms.llamacpp import load_llama
    from rag.store import ReportStore

    settings = settings_for(data_dir=Path(cfg["seed_index"]), llm=cfg["llm"])
    t = time.perf_counter()
    embeddings = build_embeddings(settings)
    store = ReportStore.open(settings, embeddings)
    marks["open_index_s"] = time.perf_counter() - t
    t = time.perf_counter()
    embeddings.embed_query("warm up")
    marks["load_embedding_model_s"] = time.perf_counter() - t
    t = time.perf_counter()
    engine = build_engine(settings, store=store)
    llm = engine.llm
    load_llama(llm.model_path, llm.n_ctx, llm.n_threads)
    marks["load_llm_s"] = time.perf_counter() - t
    t = time.perf_counter()
    engine.warm_up()  # as ``ask`` does: the saved system prompt state, or reading it
    marks["system_prompt_s"] = time.perf_counter() - t
    t = time.perf_counter()
    for _piece in engine.stream(cfg["question"]):
        break
    marks["question_to_first_token_s"] = time.perf_counter() - t
    marks["total_s"] = time.time() - cfg["spawned_at"]
    return marks


# -- threads -------------------------------------------------------------------------------
def phase_threads(cfg: dict[str, Any]) -> dict[str, Any]:
    """One thread against every core, for the embedding model and for llama.cpp.

    Both spin their worker threads while they wait for each other; on a machine whose cores
    are busy with other work, a descheduled thread makes the others spin, and more threads
    can be many times slower than one.
    """
    from llama_cpp import Llama

    from rag.embeddings import build_embeddings
    from rag.llms.local_models import ensure_model
    from rag.text import read_text

    cores = os.cpu_count() or 1
    counts = [1] if cores == 1 else [1, cores]
    settings = settings_for()
    models = {n: build_embeddings(settings.replace(n_threads=n)) for n in counts}
    for model in models.values():  # an onnxruntime session per thread count
        model.embed_query("warm up")
    embed: dict[int, list[float]] = {n: [] for n in counts}
    for _round in range(2):  # alternated: 1, N, 1, N
        for n in counts:
            for i in range(10):
                t = time.perf_counter()
                models[n].embed_query(f"How many North Korean troops are in Russia? {i}")
                embed[n].append((time.perf_counter() - t) * 1000)
    path = ensure_model(cfg["model"], settings.model_cache_dir)
    seed = sorted(Path(cfg["seeds"]).glob("*.txt"))[0]
    messages = [{"role": "user", "content": read_text(seed)[:600] + "\nSummarize this."}]
    llama_s: dict[int, float] = {}
    for n in counts:
        llama = Llama(model_path=str(path), n_ctx=2048, n_threads=n, n_threads_batch=n,
                      verbose=False)
        _raw_stream(llama, _NoLock(), messages, 1)
        llama_s[n] = _raw_stream(llama, _NoLock(), messages, 8)["total_s"]
        del llama
    return {"cores": cores, "model": cfg["model"],
            "embed_query_ms_p50": {str(n): stats(v)["p50"] for n, v in embed.items()},
            "llama_8_tokens_s": {str(n): v for n, v in llama_s.items()}}


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


# -- the app ---------------------------------------------------------------------------------
def phase_app(cfg: dict[str, Any]) -> dict[str, Any]:
    """The Streamlit app (run in-process by streamlit's AppTest): start, then one question."""
    os.environ["RAG_DATA_DIR"] = cfg["seed_index"]
    os.environ["RAG_LLM"] = cfg["llm"]
    for var in ("CHROMA_HOST", "CHROMA_PORT", "RAG_COLLECTION"):
        os.environ.pop(var, None)
    from streamlit.testing.v1 import AppTest

    t = time.perf_counter()
    app = AppTest.from_file(cfg["app"], default_timeout=cfg["timeout"]).run()
    start_s = time.perf_counter() - t
    t = time.perf_counter()
    app.chat_input[0].set_value(cfg["question"]).run()
    ask_s = time.perf_counter() - t
    errors = [str(e.value)[:200] for e in app.exception]
    return {"start_s": start_s, "ask_s": ask_s, "errors": errors}


PHASES = {"ingest": phase_ingest, "retrieval": phase_retrieval, "answer": phase_answer,
          "coldstart": phase_coldstart, "app": phase_app, "threads": phase_threads}


def main(argv: list[str]) -> int:
    phase, config, result = argv
    cfg = json.loads(Path(config).read_text(encoding="utf-8"))
    if phase.startswith("corpus_"):  # the real-collection phase (--corpus DIR)
        from rag.bench.real import PHASES as REAL

        out = REAL[phase](cfg)
    else:
        out = PHASES[phase](cfg)
    Path(result).write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
