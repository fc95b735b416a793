"""``python -m rag``: ingest, ask, chat, serve, conversations, sources, remove, repair, models,
eval, bench, timeline.

Every command takes ``--llm SPEC``, ``--k N``, ``--data-dir DIR`` and ``--embeddings SPEC``;
each overrides the matching environment variable (see ``rag/config.py``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
from pathlib import Path

from rag.config import Settings
from rag.errors import InputError, RagError
from rag.terminal import printable


def say(text: str = "", end: str = "\n", file=None, flush: bool = False) -> None:
    """Print text that may come from a report, a file name or a model: escape sequences and
    control characters are removed first (see ``rag.terminal``)."""
    print(printable(text), end=end, file=file or sys.stdout, flush=flush)


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--llm", help="model spec (RAG_LLM), e.g. local, local:qwen2.5-coder-0.5b, "
                                      "openai:gpt-4o-mini, ollama:qwen2.5")
    common.add_argument("--k", type=int, help="passages retrieved per question (RAG_K)")
    common.add_argument("--data-dir", help="index and uploads folder (RAG_DATA_DIR)")
    common.add_argument("--embeddings", help="embedding spec (RAG_EMBEDDINGS)")
    return common


def settings_from(args: argparse.Namespace) -> Settings:
    llm = getattr(args, "llm", None)
    if isinstance(llm, list):  # eval takes several --llm
        llm = llm[0] if llm else None
    return Settings.resolve(llm=llm, k=getattr(args, "k", None),
                            data_dir=getattr(args, "data_dir", None),
                            embeddings=getattr(args, "embeddings", None))


def _engine(args: argparse.Namespace):
    from rag.engine import build_engine

    engine = build_engine(settings_from(args))
    _warn_if_missing(engine.store)
    return engine


def _store(args: argparse.Namespace, warn: bool = True):
    from rag.embeddings import build_embeddings
    from rag.store import ReportStore

    settings = settings_from(args)
    store = ReportStore.open(settings, build_embeddings(settings))
    if warn:
        _warn_if_missing(store)
    return settings, store


def _warn_if_missing(store) -> None:
    """On opening: say so when the index holds less than the catalog lists."""
    warning = store.missing_from_index()
    if warning:
        say(f"warning: {warning}", file=sys.stderr)


def _progress_bar():
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int, name: str) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="file", file=sys.stderr, dynamic_ncols=True)
        bar.n = done
        bar.set_postfix_str(name[:40])
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def cmd_ingest(args: argparse.Namespace) -> int:
    from rag.errors import StoreError
    from rag.ingest import ingest

    if args.reset:
        try:
            settings, store = _store(args, warn=False)
        except StoreError:  # a damaged database: move it aside and start a new one
            from rag.repair import move_aside
            from rag.store import make_client

            settings = settings_from(args)
            moved = move_aside(settings)
            make_client(settings, fresh=True)
            say(f"The damaged index was moved to {moved}.", file=sys.stderr)
            settings, store = _store(args, warn=False)
        store.reset()
        print("Index cleared.", file=sys.stderr)
    else:
        settings, store = _store(args)
    paths = [Path(p) for p in args.paths] or [settings.corpus_dir]
    summary = ingest(store, paths, lock_path=settings.data_dir / "ingest.lock",
                     progress=_progress_bar())
    say("\n".join(summary.lines()))
    return 0


def _print_stream(stream) -> str:
    """Print an answer as it streams; returns the text shown."""
    from rag.terminal import TerminalStream

    streamed = ""
    screen = TerminalStream()  # an escape sequence split across tokens is removed whole
    for token in stream:
        streamed += token
        print(screen.feed(token), end="", flush=True)
    print(screen.flush())
    return streamed


def _print_sources(answer, streamed: str = "") -> None:
    if not answer.answerable:
        if streamed.strip() != answer.answer.strip():  # refused after (or before) streaming
            say(("[withdrawn] " if streamed.strip() else "") + answer.answer)
        say(f"({answer.refusal_reason})", file=sys.stderr)
        return
    print("\nSources:")
    for c in answer.citations:
        who = f" — {c.publisher}" if c.publisher else ""
        when = f", {c.date}" if c.date else ""
        page = f", p. {c.page}" if c.page else ""
        say(f"  [{c.n}] {c.title}{who} ({c.source}{when}{page}, chars {c.start}-{c.end})")
        say(f"      “{' '.join(c.quote.split())}”")


def _load_history(path: str | None) -> list[dict[str, str]] | None:
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"Cannot read history file {path}: {exc}. It must be a JSON list of "
                         f"{{\"role\", \"content\"}} messages.") from None
    return data


def _announce(settings: Settings) -> None:
    """Say on stderr which model and server answer, and whether a ``.env`` chose them."""
    from rag.llms import describe_backend

    say(describe_backend(settings), file=sys.stderr)


def cmd_ask(args: argparse.Namespace) -> int:
    _announce(settings_from(args))
    engine = _engine(args)
    history = _load_history(args.history)
    _warm_up(engine)  # an embedded model restores its saved system prompt (milliseconds)
    if args.json:
        answer = engine.answer(args.question, history, sources=args.source)
        print(_json_text(answer.to_json()))
        return 0
    stream = engine.stream(args.question, history, sources=args.source)
    streamed = _print_stream(stream)
    _print_sources(stream.answer, streamed)
    return 0


def _warm_up(engine) -> None:
    try:
        engine.warm_up()
    except Exception:  # noqa: BLE001 - the first question reports the same error properly
        pass


def cmd_chat(args: argparse.Namespace) -> int:
    from rag.conversations import ConversationStore

    saved = ConversationStore.open(settings_from(args))
    conversation_id = None
    history: list[dict[str, str]] = []
    if args.resume:
        conversation = saved.get(args.resume)
        conversation_id, history = conversation.id, conversation.history()
    _announce(settings_from(args))
    engine = _engine(args)
    summary = engine.ensure_indexed()
    if summary:
        say("Indexed: " + summary.lines()[0], file=sys.stderr)
    say(f"Chat about {len(engine.sources())} reports with {engine.model_name}. "
        f"Type a question; /new starts over, /quit leaves.")
    if conversation_id:
        say(f"(resumed {conversation_id}: {conversation.title}, {len(history)} messages)")
    threading.Thread(target=_warm_up, args=(engine,), daemon=True).start()  # while you type
    while True:
        try:
            question = input("\nyou> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if question in ("/quit", "/exit"):
            return 0
        if question == "/new":
            history, conversation_id = [], None
            print("(new conversation)")
            continue
        if not question:
            continue
        try:
            stream = engine.stream(question, history, sources=args.source)
            print("bot> ", end="", flush=True)
            streamed = _print_stream(stream)
            answer = stream.answer
            _print_sources(answer, streamed)
            history += [{"role": "user", "content": question},
                        {"role": "assistant", "content": answer.text_with_notes}]
            if conversation_id is None:
                conversation_id = saved.create(question)
                print(f"(saved as {conversation_id}; resume with "
                      f"python -m rag chat --resume {conversation_id})", file=sys.stderr)
            saved.append_turn(conversation_id, question, answer)
        except RagError as exc:  # one failed answer never ends the chat
            say(f"\n[error] {exc}")


def cmd_conversations(args: argparse.Namespace) -> int:
    from rag.conversations import ConversationStore, export_markdown

    saved = ConversationStore.open(settings_from(args))
    if args.export:
        if args.markdown:
            print(export_markdown(saved.get(args.export)), end="")
        else:
            print(json.dumps(saved.export_json(args.export), ensure_ascii=False, indent=1))
        return 0
    if args.import_file:
        cid = saved.import_json(_load_history(args.import_file))
        print(f"Imported as {cid}; resume with python -m rag chat --resume {cid}")
        return 0
    if args.delete:
        saved.delete(args.delete)
        print(f"Deleted {args.delete}.")
        return 0
    rows = saved.list(args.search or "", limit=args.limit)
    if not rows:
        print("No saved conversations" + (" match." if args.search else " yet; "
                                          "python -m rag chat saves each one."))
    for info in rows:
        print(f"{info.id}\t{info.updated[:16].replace('T', ' ')}\t{info.messages} messages"
              f"\t{info.title}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from rag.api.serve import serve

    return serve(settings_from(args), args.host, args.port)


def cmd_sources(args: argparse.Namespace) -> int:
    _settings, store = _store(args)
    rows = store.sources()
    if getattr(args, "json", False):  # one JSON list: every report, with its date
        print(_json_text([{"source": i.source, "title": i.title, "publisher": i.publisher,
                           "date": i.date, "date_source": i.date_source, "chunks": i.chunks}
                          for i in rows]))
        return 0
    if not rows:
        print("Nothing is indexed yet; run: python -m rag ingest")
    for info in rows:
        who = f" — {info.publisher}" if info.publisher else ""
        when = f" ({info.date})" if info.date else ""
        say(f"{info.source}\t{info.chunks} chunks\t{info.title}{who}{when}")
    return 0


def cmd_timeline(args: argparse.Namespace) -> int:
    from rag.timeline import WIDER, describe, timeline_for

    settings, store = _store(args)
    k = args.k or WIDER * settings.k  # wider than an answer: see rag.timeline.WIDER
    entries = timeline_for(store, args.question, k, settings.max_evidence, settings.min_relevance)
    if args.json:
        print(_json_text({"question": args.question, "entries": [e.to_json() for e in entries]}))
        return 0
    if not entries:
        say("Nothing in the reports is relevant enough to this question.")
    for e in entries:
        n = f"[{e.n}] " if e.n else ""
        who = f" — {e.publisher}" if e.publisher else ""
        say(f"{describe(e)}\t{n}{e.title}{who} ({e.source}, chars {e.start}-{e.end})")
        say(f"      “{' '.join(e.quote.split())}”")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    _settings, store = _store(args)
    removed = store.delete_source(args.source)
    if not removed:
        raise InputError(f"No indexed report is called {args.source!r}; see python -m rag sources.")
    say(f"Removed {args.source} ({removed} chunks).")
    return 0


def cmd_repair(args: argparse.Namespace) -> int:
    from rag.embeddings import build_embeddings
    from rag.repair import repair

    settings = settings_from(args)
    summary = repair(settings, build_embeddings(settings), progress=_progress_bar())
    say("\n".join(summary.lines()))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from rag.llms import SPEC_FORMS
    from rag.llms.local_models import CATALOG, DEFAULT_LOCAL, ensure_model

    settings = settings_from(args)
    for name in CATALOG:
        mark = " (default: local)" if name == DEFAULT_LOCAL else ""
        try:
            path = ensure_model(name, settings.model_cache_dir) if args.verify else None
            status = f"verified {path}" if path else "not checked (use --verify)"
        except RagError as exc:
            status = f"ERROR {exc}"
        print(f"local:{name}{mark}\t{status}")
    print("Valid spec forms: " + ", ".join(SPEC_FORMS))
    return 0


def _lazy(module: str, parser: argparse.ArgumentParser):
    """Register a subcommand implemented in ``module`` (``add_arguments`` + ``run``).

    Only a missing third-party package is tolerated (the command then says which one to
    install); a broken import inside the project is a bug and is raised as it is.
    """
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if not exc.name or exc.name.split(".")[0] == "rag":
            raise
        return lambda args, missing=exc.name: _missing(parser.prog, missing)
    mod.add_arguments(parser)
    return mod.run


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="python -m rag", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", parents=[common], help="index .txt/.md/.html reports")
    p.add_argument("paths", nargs="*", help="files or folders (default: seeds/)")
    p.add_argument("--reset", action="store_true", help="drop the index first")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", parents=[common], help="answer one question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--history", help="JSON file: list of {role, content} messages")
    p.add_argument("--source", action="append", metavar="FILE",
                   help="ask only this report (repeatable; names as `sources` lists them)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", parents=[common], help="interactive terminal chat")
    p.add_argument("--resume", metavar="ID", help="continue a saved conversation")
    p.add_argument("--source", action="append", metavar="FILE",
                   help="ask only this report (repeatable)")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("conversations", parents=[common], help="list saved conversations")
    p.add_argument("--search", help="only those whose title or messages contain this text")
    p.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    p.add_argument("--export", metavar="ID", help="print one as JSON (the --history format)")
    p.add_argument("--markdown", action="store_true", help="with --export: as Markdown")
    p.add_argument("--import", dest="import_file", metavar="FILE",
                   help="save an exported JSON file as a new conversation")
    p.add_argument("--delete", metavar="ID", help="delete one")
    p.set_defaults(func=cmd_conversations)

    p = sub.add_parser("serve", parents=[common], help="serve the HTTP API (OpenAI-compatible)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; any other needs RAG_API_KEY)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("sources", parents=[common], help="list indexed reports")
    p.add_argument("--json", action="store_true",
                   help="print one JSON list of {source, title, publisher, date, ...}")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("timeline", parents=[common],
                       help="the dated claims on a question, in date order (no model needed)")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_timeline)

    p = sub.add_parser("remove", parents=[common], help="remove a report from the index")
    p.add_argument("source", help="the report's file name")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("repair", parents=[common],
                       help="move a damaged index aside and re-index the catalog's reports")
    p.set_defaults(func=cmd_repair)

    p = sub.add_parser("models", parents=[common], help="list (and verify) embedded models")
    p.add_argument("--verify", action="store_true", help="assemble and checksum each model")
    p.set_defaults(func=cmd_models)

    for name, module, help_text in (("eval", "rag.evaluation.cli", "run the evaluation suite"),
                                    ("bench", "rag.bench", "run the benchmarks")):
        p = sub.add_parser(name, help=help_text)
        p.set_defaults(func=_lazy(module, p))
    return parser


def _missing(command: str, package: str) -> int:
    print(f"{command} needs the package {package}, which is not installed; run "
          f"scripts/setup.sh (or pip install -r requirements.txt).", file=sys.stderr)
    return 2


def _json_text(data: object) -> str:
    """One JSON line; control characters are escaped (json leaves DEL and C1 raw)."""
    text = json.dumps(data, ensure_ascii=False)
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


def _json_error(exc: BaseException | None, kind: str = "", message: str = "") -> None:
    """The one JSON object ``ask --json`` prints when it fails."""
    error = {"type": kind or type(exc).__name__, "message": message or str(exc)}
    print(_json_text({"error": error}))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        if exc.code and "--json" in argv:  # argparse explained it on stderr
            _json_error(None, "UsageError", "invalid arguments; see python -m rag ask --help")
        raise
    as_json = bool(getattr(args, "json", False))
    try:
        return args.func(args) or 0
    except RagError as exc:
        if as_json:
            _json_error(exc)
        say(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one JSON object, even for a bug
        if not as_json:
            raise
        _json_error(exc, message=f"unexpected error: {exc}")
        return 1
