"""``python -m rag bench``: ingest, retrieval, answer, memory, cold-start and thread benchmarks.

Each phase runs in its own process (:mod:`rag.bench.phases`), so its peak RSS is its own and
comes from ``os.wait4``. Every speed figure is a ratio taken side by side in one run, since
the machine may be shared. Writes ``report.json``, ``report.md`` and ``latency.png`` to
``--out`` (default ``reports/bench/<timestamp>/``) and prints the Markdown.

    files                 what it does
    bench/__init__.py     options, the phase runner, peak memory of each process
    bench/phases.py       the measurements, one function per phase
    bench/real.py         --corpus DIR: a real collection indexed, searched, listed, served
    bench/corpus.py       synthetic reports from the seeds' vocabulary, at any size
    bench/report.py       targets, Markdown and the latency plot
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rag.config import PROJECT_ROOT

PHASES = ("ingest", "retrieval", "answer", "coldstart", "app", "threads", "corpus")
CORPUS_STEPS = ("ingest", "reingest", "retrieval", "sources", "app")
QUESTION = "How many North Korean troops are in Russia?"
FULL = {"sizes": [1000, 10_000, 100_000], "llm": ["local:qwen2.5-coder-1.5b",
        "local:qwen2.5-coder-0.5b", "local:smollm2-135m"], "repeats": 5, "reports": 40,
        "samples": 100, "max_tokens": None}
QUICK = {"sizes": [200, 500], "llm": ["local:smollm2-135m"], "repeats": 1, "reports": 2,
         "samples": 10, "max_tokens": 16}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", help="report folder (default: reports/bench/<timestamp>/)")
    parser.add_argument("--quick", action="store_true",
                        help="a tiny run of every phase (the CI smoke test); numbers mean little")
    parser.add_argument("--sizes", help="corpus sizes in chunks, comma-separated "
                                        "(default 1000,10000,100000; quick 200,500)")
    parser.add_argument("--llm", action="append", help="embedded model to time; repeat for "
                        "several (default: every local model; quick: local:smollm2-135m)")
    parser.add_argument("--repeats", type=int, help="answers per side for the first model "
                        "(default 5; one fewer for the others; quick 1)")
    parser.add_argument("--samples", type=int, help="timed queries per size (default 100)")
    parser.add_argument("--reports", type=int,
                        help="synthetic reports added to the seeds for ingest (default 40)")
    parser.add_argument("--phases", help=f"comma-separated subset of {','.join(PHASES)} "
                                         "(ingest runs with any other synthetic phase: they need its "
                                         "index; corpus needs --corpus)")
    parser.add_argument("--threads", type=int, help="CPU threads for llama.cpp (RAG_THREADS), "
                        "onnxruntime and numpy in every phase (default: as configured, all cores)")
    parser.add_argument("--data-dir", help="RAG_DATA_DIR: the large generated collections "
                                           "are cached in its bench-cache/ folder")
    parser.add_argument("--no-cache", action="store_true",
                        help="build the generated collections in a temporary folder")
    parser.add_argument("--corpus", metavar="DIR",
                        help="a real collection (e.g. the unpacked Reuters reuters21578/): "
                             "indexed whole into a fresh data dir, re-ingested, searched, "
                             "listed and served by the app (the 'corpus' phase)")
    parser.add_argument("--corpus-steps", help=f"comma-separated subset of "
                        f"{','.join(CORPUS_STEPS)} (default: all; ingest always runs)")
    parser.add_argument("--corpus-limit", type=float, default=3600, metavar="S",
                        help="stop the corpus ingest after S seconds and report the partial "
                             "rate (default 3600)")
    parser.add_argument("--corpus-encode-sample", type=int, default=2000, metavar="N",
                        help="chunks (of every n-th file) encoded raw before and after the "
                             "ingest, for the ratio (default 2000; 0: every chunk, twice)")


def _plan(args: argparse.Namespace) -> dict[str, Any]:
    from rag.bench.corpus import GENERATOR_VERSION
    from rag.bench.phases import settings_for

    plan = dict(QUICK if args.quick else FULL)
    if args.sizes:
        plan["sizes"] = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    for key in ("llm", "repeats", "samples", "reports"):
        if getattr(args, key):
            plan[key] = getattr(args, key)
    plan["phases"] = [p.strip() for p in (args.phases or ",".join(PHASES)).split(",")]
    if args.corpus and "corpus" not in plan["phases"]:
        plan["phases"].append("corpus")
    elif not args.corpus and "corpus" in plan["phases"]:
        plan["phases"].remove("corpus")
        if args.phases:
            raise SystemExit("The corpus phase needs --corpus DIR.")
    unknown = set(plan["phases"]) - set(PHASES)
    if unknown:
        raise SystemExit(f"Unknown phase(s) {', '.join(sorted(unknown))}; use {', '.join(PHASES)}.")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else PROJECT_ROOT / "reports" / "bench" / stamp
    settings = settings_for(data_dir=args.data_dir)
    plan |= {"out": out, "work": out / "work", "generator": GENERATOR_VERSION, "seed": 7,
             "seeds": str(settings.corpus_dir), "k": settings.k,
             "cache_dir": str(out / "work" if args.quick or args.no_cache
                              else settings.data_dir / "bench-cache")}
    plan["seed_index"] = str(plan["work"] / "seed-index")
    return plan


def _command(args: argparse.Namespace) -> str:
    """The command line that reproduces this run."""
    parts = ["python -m rag bench"] + (["--quick"] if args.quick else [])
    for key in ("sizes", "repeats", "samples", "reports", "threads", "phases", "data_dir",
                "out", "corpus", "corpus_steps"):
        if getattr(args, key):
            parts.append(f"--{key.replace('_', '-')} {getattr(args, key)}")
    if args.corpus:
        parts += [f"--corpus-limit {args.corpus_limit:g}",
                  f"--corpus-encode-sample {args.corpus_encode_sample}"]
    parts += [f"--llm {spec}" for spec in args.llm or []]
    return " ".join(parts + (["--no-cache"] if args.no_cache else []))


def _queries(name: str = "questions.jsonl", answerable_only: bool = True) -> list[str]:
    """Questions of an evaluation set in ``eval/`` (the README's question if it is missing);
    follow-ups are left out (they need their history)."""
    path = PROJECT_ROOT / "eval" / name
    if not path.is_file():
        return [QUESTION]
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r["question"] for r in rows if r["category"] != "followup"
            and (r.get("answerable") or not answerable_only)]


def spawn(cmd: list[str], timeout: float, stdin: bytes | None = None, capture: bool = False,
          env: dict[str, str] | None = None, stop_at_first_byte: bool = False) -> dict[str, Any]:
    """Run ``cmd``; wall time, time to its first stdout byte, exit code and peak RSS (MB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdin=subprocess.PIPE if stdin else
                            subprocess.DEVNULL, stdout=subprocess.PIPE if capture else None)
    if stdin:
        proc.stdin.write(stdin)
        proc.stdin.close()
    first, out, deadline = None, b"", started + timeout
    if capture:
        fd = proc.stdout.fileno()
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.perf_counter()))
            data = os.read(fd, 65536) if ready else b""
            if not data:
                break
            first = first if first is not None else time.perf_counter() - started
            out += data
            if stop_at_first_byte:
                proc.kill()
                break
        proc.stdout.close()
    while True:  # os.wait4: this child's own peak RSS (ru_maxrss is in KiB on Linux)
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": time.perf_counter() - started, "first_byte_s": first,
            "rc": proc.returncode, "timed_out": time.perf_counter() > deadline,
            "peak_rss_mb": usage.ru_maxrss / 1024, "stdout": out.decode("utf-8", "replace")}


def run_phase(name: str, cfg: dict[str, Any], work: Path, timeout: float,
              env: dict[str, str] | None = None) -> dict[str, Any]:
    """One phase in a child process: its result, wall time and peak RSS (or its error)."""
    config, result = work / f"{name}.config.json", work / f"{name}.result.json"
    config.write_text(json.dumps(cfg, default=str), encoding="utf-8")
    result.unlink(missing_ok=True)
    proc = spawn([sys.executable, "-m", "rag.bench.phases", name.split(":")[0], str(config),
                  str(result)], timeout, env=env)
    out: dict[str, Any] = json.loads(result.read_text()) if result.is_file() else {}
    if proc["rc"] != 0 or not out:
        out["error"] = (f"timed out after {timeout:.0f}s" if proc["timed_out"]
                        else f"exit code {proc['rc']}; see the messages above")
    out["seconds"], out["peak_rss_mb"] = proc["seconds"], proc["peak_rss_mb"]
    print(f"{name}: {proc['seconds']:.1f}s, peak RSS {proc['peak_rss_mb']:.0f} MB"
          + (f" — ERROR {out['error']}" if "error" in out else ""), file=sys.stderr, flush=True)
    return out


def run(args: argparse.Namespace) -> int:
    from rag.bench import report

    plan = _plan(args)
    out, work = plan["out"], plan["work"]
    work.mkdir(parents=True, exist_ok=True)
    started, load_before = time.perf_counter(), os.getloadavg()
    started_at = time.strftime("%Y-%m-%d %H:%M:%S")
    common = {k: plan[k] for k in ("work", "seeds", "seed", "seed_index", "generator", "k",
                                   "cache_dir")}
    results: dict[str, Any] = {}
    steps = plan["phases"]
    # every child: the embedded store; --threads for llama.cpp, onnxruntime and numpy alike
    env = {k: v for k, v in os.environ.items() if k not in ("CHROMA_HOST", "CHROMA_PORT")}
    if args.threads:
        env |= {var: str(args.threads) for var in ("RAG_THREADS", "OMP_NUM_THREADS",
                                                   "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    threads = int(env.get("RAG_THREADS") or os.cpu_count() or 1)
    # Exact search (numpy's matrix-vector product) on one BLAS thread unless --threads says
    # otherwise: it is memory-bound, so faster on one thread here (100,000 x 384: 4.9 vs
    # 7.0 ms on 2 cores), and more threads keep spinning after each product, taking the cores
    # from what runs next (the question's embedding: 3.1 -> 6.9 ms; hybrid 8.6 -> 20.5 ms).
    search_env = env if args.threads else env | {"OPENBLAS_NUM_THREADS": "1"}
    print(f"Benchmarks ({'quick' if args.quick else 'full'}) -> {out}", file=sys.stderr)
    # ingest runs whenever another synthetic phase runs: it builds the seed index and the
    # vectors the others use
    if set(steps) - {"corpus"}:
        results["ingest"] = run_phase("ingest", common | {"reports": plan["reports"],
                                      "repeats": 1 if args.quick else 2}, work, 900, env)
    if "retrieval" in steps:
        results["retrieval"] = run_phase("retrieval", common | {
            "sizes": plan["sizes"], "samples": plan["samples"], "queries": _queries()},
            work, 1800, search_env)
    if "answer" in steps:
        results["answer"] = [run_phase(f"answer:{spec}", common | {
            "llm": spec, "question": QUESTION,
            "repeats": plan["repeats"] if i == 0 else max(1, plan["repeats"] - 1),
            "max_tokens": plan["max_tokens"], "compare_passages": i == 0 and not args.quick},
            work, 900, env)
            for i, spec in enumerate(plan["llm"])]
    # the command line and the app read RAG_MAX_TOKENS (quick: short answers)
    env |= {"RAG_MAX_TOKENS": str(plan["max_tokens"])} if plan["max_tokens"] else {}
    if "coldstart" in steps:
        results["coldstart"] = cold_start(plan, common, work, env)
    if "app" in steps and (PROJECT_ROOT / "app.py").is_file():
        results["app"] = run_phase("app", common | {
            "llm": plan["llm"][0], "question": QUESTION, "app": str(PROJECT_ROOT / "app.py"),
            "timeout": 600}, work, 700, env)
    if "threads" in steps:
        results["threads"] = run_phase("threads", common | {"model": "smollm2-135m"}, work, 600)
    if "corpus" in steps:
        results["corpus"] = corpus_phase(args, plan, work, env, search_env)
    meta = {"command": _command(args), "threads": threads,
            "quick": args.quick, "started": started_at,
            "seconds": time.perf_counter() - started, "cpus": os.cpu_count(),
            "load_before": load_before, "load_after": os.getloadavg(),
            "python": sys.version.split()[0], "cache_dir": plan["cache_dir"],
            "default_model": plan["llm"][0]}
    shutil.rmtree(work, ignore_errors=True)
    data = report.build(results, meta)
    markdown = report.write(out, data)
    print(markdown)
    print(f"Written: {out / 'report.json'}, {out / 'report.md'}, {out / 'latency.png'}",
          file=sys.stderr)
    return 1 if report.errors(data) else 0


def corpus_phase(args: argparse.Namespace, plan: dict[str, Any], work: Path,
                 env: dict[str, str], search_env: dict[str, str]) -> dict[str, Any]:
    """A real collection: ingest (own process and peak RSS), then queries (``search_env``:
    see ``run``), then the app."""
    corpus = Path(args.corpus).expanduser().resolve()
    if not corpus.is_dir():
        raise SystemExit(f"--corpus {corpus}: no such folder.")
    chosen = [s.strip() for s in (args.corpus_steps or ",".join(CORPUS_STEPS)).split(",")]
    unknown = set(chosen) - set(CORPUS_STEPS)
    if unknown:
        raise SystemExit(f"Unknown corpus step(s) {', '.join(sorted(unknown))}; use "
                         f"{', '.join(CORPUS_STEPS)}.")
    index = work / "corpus-index"
    cfg = {"corpus": str(corpus), "index": str(index), "k": plan["k"]}
    ingest = run_phase("corpus_ingest", cfg | {
        "limit_s": args.corpus_limit, "encode_sample": args.corpus_encode_sample,
        "progress": str(work / "corpus-progress.json")}, work, args.corpus_limit + 1800, env)
    out: dict[str, Any] = {"corpus": str(corpus), "steps": chosen, "ingest": ingest}
    if "error" in ingest:
        progress = work / "corpus-progress.json"
        if progress.is_file():
            out["ingest"]["partial"] = json.loads(progress.read_text())
        return out
    queries = (_queries("reuters_questions.jsonl", answerable_only=False)
               + _queries())[:50]
    if {"reingest", "retrieval", "sources"} & set(chosen):
        out["query"] = run_phase("corpus_query", cfg | {
            "steps": chosen, "complete": ingest["complete"], "queries": queries,
            "samples": max(plan["samples"], len(queries))}, work, 3600, search_env)
    if "app" in chosen and (PROJECT_ROOT / "app.py").is_file():
        out["app"] = run_phase("corpus_app", cfg | {"app": str(PROJECT_ROOT / "app.py"),
                                                    "llm": plan["llm"][0], "timeout": 600},
                               work, 1300, env)
    return out


def cold_start(plan: dict[str, Any], common: dict[str, Any], work: Path,
               env: dict[str, str]) -> dict[str, Any]:
    """``python -m rag ask`` to its first printed token, then the same with marks inside."""
    spec = plan["llm"][0]
    cmd = [sys.executable, "-m", "rag", "ask", QUESTION, "--llm", spec,
           "--data-dir", plan["seed_index"]]
    cli = spawn(cmd, 600, capture=True, env=env, stop_at_first_byte=True)
    print(f"coldstart: first token after {cli['first_byte_s'] or float('nan'):.1f}s",
          file=sys.stderr, flush=True)
    marks = run_phase("coldstart", common | {"llm": spec, "question": QUESTION,
                                             "spawned_at": time.time()}, work, 600, env)
    return {"llm": spec, "command": " ".join(["python", *cmd[1:4]]) + f' "{QUESTION}" ...',
            "first_token_s": cli["first_byte_s"], "peak_rss_mb_at_first_token": cli["peak_rss_mb"],
            "breakdown": marks,
            **({} if cli["first_byte_s"] else {"error": f"ask printed nothing (exit {cli['rc']})"})}
