"""The browser chat: ``streamlit run app.py``. Rendering only; answers come from ``rag.engine``.

Every piece of report, question or model text goes through ``rag.ui`` escaping before it
reaches ``st.markdown``; no HTML is ever rendered.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from rag import ui
from rag.config import Settings
from rag.conversations import ConversationStore
from rag.errors import RagError
from rag.llms import canonical
from rag.llms.llamacpp import MAX_LOADED
from rag.store import ReportStore
from rag.timeline import answer_timeline

REPORT_PAGE = 50  # reports listed at once: a collection of 19,043 is searched, never drawn

st.set_page_config(page_title="Reports chat")  # no icon: a Material icon favicon is fetched online


@st.cache_resource(show_spinner="Opening the report index…")
def get_store(settings: Settings) -> ReportStore:
    return ui.make_store(settings)


@st.cache_resource(show_spinner="Opening the model…", max_entries=MAX_LOADED)
def get_engine(spec: str, settings: Settings) -> ui.WarmingEngine:
    engine = ui.make_engine(spec, settings, get_store(settings))
    engine.ensure_indexed()
    return ui.WarmingEngine(engine)  # weights and system prompt while the page is drawn


@st.fragment(run_every=0.5)
def model_loading(loading: ui.WarmingEngine) -> None:
    """Says the model is loading until it is ready, then redraws the page once."""
    if loading.ready:
        st.rerun()
    st.caption("Loading the model… You can type your question meanwhile.")


@st.cache_resource(show_spinner=False)
def get_conversations(settings: Settings) -> ConversationStore:
    return ui.make_conversations(settings)


def new_chat() -> None:
    st.session_state.messages = []
    st.session_state.conversation_id = None
    st.query_params.pop("c", None)


# -- saved conversations: the URL's ?c=ID names the one shown, so a reload reopens it -------
def open_conversation(cid: str) -> None:
    st.query_params["c"] = cid


def sync_conversation(saved: ConversationStore) -> None:
    """Show the conversation the URL names (after a reload, a restart, or a click)."""
    wanted, current = st.query_params.get("c"), st.session_state.get("conversation_id")
    if wanted and wanted != current:
        try:
            st.session_state.messages = saved.get(wanted).messages
            st.session_state.conversation_id = wanted
        except RagError as exc:
            new_chat()
            st.session_state.conversation_note = str(exc)
    elif current and not wanted:
        st.query_params["c"] = current


def save_message(saved: ConversationStore, msg: ui.ChatMessage) -> None:
    """Append a message to the current conversation (started by its first question)."""
    try:
        cid = st.session_state.get("conversation_id")
        if cid is None:
            cid = saved.create(msg.content)
            st.session_state.conversation_id = cid
            st.query_params["c"] = cid
        saved.append(cid, msg)
    except RagError as exc:
        st.warning(ui.escape_markdown(f"This conversation could not be saved: {exc}"))


def rename_current(saved: ConversationStore, cid: str) -> None:
    try:
        saved.rename(cid, st.session_state.get(f"title-{cid}", ""))
    except RagError as exc:
        st.session_state.conversation_note = str(exc)


def delete_current(saved: ConversationStore, cid: str) -> None:
    try:
        saved.delete(cid)
    except RagError as exc:
        st.session_state.conversation_note = str(exc)
    new_chat()


def import_chosen(saved: ConversationStore) -> None:
    upload = st.session_state.get("import_file")
    if upload is None:
        return
    try:
        open_conversation(saved.import_json(ui.read_conversation_file(upload.getvalue())))
    except RagError as exc:
        st.session_state.conversation_note = str(exc)


def save_feedback(message_id: str, settings: Settings) -> None:
    msg = next((m for m in st.session_state.messages if m.id == message_id), None)
    if msg is not None and msg.answer is not None:
        ui.write_feedback(settings, msg.answer, st.session_state.get(f"fb-{message_id}"),
                          message_id)
        st.toast("Thanks, your feedback was saved.", icon=":material/check:")


def remove_chosen(store: ReportStore, settings: Settings) -> None:
    source = st.session_state.get("remove_choice")
    if source:
        try:
            n = ui.remove_report(store, settings, source)
            st.session_state.corpus_note = ("success", f"Removed {source} ({n} chunks).")
        except RagError as exc:
            st.session_state.corpus_note = ("error", str(exc))


# -- sidebar ------------------------------------------------------------------------------
def conversations_panel(saved: ConversationStore) -> None:
    note = st.session_state.pop("conversation_note", None)
    if note:
        st.warning(ui.escape_markdown(note))
    total = saved.count()
    search = ""
    if total > 8:
        search = st.text_input("Search conversations", key="conversation_search",
                               placeholder="Search conversations", label_visibility="collapsed")
    rows = saved.list(search or "", limit=30)
    current = st.session_state.get("conversation_id")
    with st.container(height=260 if len(rows) > 7 else "content", key="conversations"):
        for info in rows:
            st.button(ui.escape_inline(info.title or "New chat"), key=f"open-{info.id}",
                      on_click=open_conversation, args=(info.id,), width="stretch",
                      type="primary" if info.id == current else "tertiary",
                      help=f"{info.messages} messages · {info.updated[:16].replace('T', ' ')} UTC")
    if len(rows) < total:
        st.caption(f"{len(rows)} of {total} conversations" + (" match" if search else ""))
    if current:
        title = next((i.title for i in rows if i.id == current), None)
        if title is None:  # not among the rows listed (a search hides it)
            try:
                title = saved.get(current).title
            except RagError:
                title = ""
        with st.expander("This conversation", icon=":material/edit_note:", type="compact"):
            st.text_input("Title", title, key=f"title-{current}", max_chars=80)
            left, right = st.columns(2)
            left.button("Rename", on_click=rename_current, args=(saved, current), width="stretch")
            right.button("Delete", on_click=delete_current, args=(saved, current),
                         icon=":material/delete:", width="stretch")
            try:
                exported = ui.to_json_file(saved.export_json(current))
            except RagError:
                exported = "[]\n"
            st.download_button("Download as JSON", exported, f"conversation-{current}.json",
                               mime="application/json", icon=":material/data_object:",
                               width="stretch", help="The --history format, each answer with "
                               "its `ask --json` object; import it here or pass it to "
                               "`python -m rag ask --history`.")
    with st.expander("Import a conversation", icon=":material/upload_file:", type="compact"):
        st.file_uploader("Conversation (.json)", type=["json"], key="import_file",
                         on_change=import_chosen, args=(saved,), label_visibility="collapsed")


def model_picker(settings: Settings) -> str:
    choices = ui.model_choices(settings)
    labels = {c.spec: c.label for c in choices if c.available}
    current = canonical(settings.llm)
    labels.setdefault(current, current)
    specs = list(labels)
    spec = st.selectbox("Model", specs, index=specs.index(current), format_func=labels.get,
                        key="model", label_visibility="collapsed")
    missing = [c for c in choices if not c.available]
    if missing:
        with st.expander("Other providers", icon=":material/key:", type="compact"):
            for c in missing:
                st.caption(ui.escape_markdown(c.hint))
    return spec


def corpus_panel(store: ReportStore, settings: Settings) -> list[str]:
    """The reports: upload, a searchable first page, removal; returns the chosen scope."""
    listing = st.container()
    with st.form("upload", clear_on_submit=True, border=False):
        files = st.file_uploader("Add reports (.txt, .md, .html, .pdf)", type=list(ui.UPLOAD_TYPES),
                                 accept_multiple_files=True, key="uploads")
        submitted = st.form_submit_button("Index uploaded reports", icon=":material/upload:")
    if submitted and files:
        bar = st.progress(0.0, text="Indexing…")

        def progress(done: int, total: int, name: str) -> None:
            bar.progress(done / total if total else 1.0,
                         text=f"Indexing {name}" if name else "Indexed")

        try:
            summary = ui.index_uploads(store, settings, [(f.name, f.getvalue()) for f in files],
                                       progress)
            new = summary.added + summary.updated + summary.unchanged
            if new:
                st.success(ui.escape_markdown("Indexed: " + ", ".join(new)))
            for path, reason in summary.skipped:
                st.warning(ui.escape_markdown(f"{Path(path).name}: {reason}"))
        except RagError as exc:
            st.error(ui.escape_markdown(str(exc)))
    with listing:  # filled after an upload, so that the list includes it
        note = st.session_state.pop("corpus_note", None)
        if note:
            (st.success if note[0] == "success" else st.error)(ui.escape_markdown(note[1]))
        sources = store.sources()
        st.caption(f"{len(sources):,} reports indexed")
        if not sources:
            st.session_state.scope = []
            return []
        search = st.text_input("Search reports", key="report_search",
                               placeholder="Search by title, publisher or file name",
                               label_visibility="collapsed") if len(sources) > 10 else ""
        matched, page = ui.find_reports(sources, search or "", REPORT_PAGE)
        if page:
            with st.container(height=300 if len(page) > 4 else "content", key="corpus"):
                st.markdown("\n".join(
                    f"- {ui.escape_inline(s.title)}  \n"
                    f"  :gray[{ui.escape_inline(s.publisher or s.source)}"
                    + (f" · {ui.escape_inline(s.date)}" if s.date else "")
                    + f" · {s.chunks} chunk{'s' if s.chunks != 1 else ''}]" for s in page))
        if matched > len(page):
            st.caption(f"The first {len(page)} of {matched:,}"
                       + (" matching" if search else "") + "; search to find others.")
        elif search:
            st.caption(f"{matched:,} matching" if matched else "No report matches.")
        titles = {s.source: s.title for s in sources}
        chosen = [s for s in st.session_state.get("scope", []) if s in titles]
        st.session_state.scope = chosen  # a removed report leaves the scope
        scope = st.multiselect(
            "Ask only these reports", chosen + [s.source for s in page if s.source not in chosen],
            key="scope", format_func=lambda s: f"{titles.get(s, s)} ({s})",
            placeholder="All reports", help="Answers then come from these reports only "
            "(the search box above finds others).")
        with st.expander("Remove a report", icon=":material/delete:", type="compact"):
            st.selectbox("Report", [s.source for s in page], index=None, key="remove_choice",
                         format_func=lambda s: f"{titles.get(s, s)} ({s})",
                         placeholder="Choose a report", label_visibility="collapsed")
            st.button("Remove from the index", on_click=remove_chosen, args=(store, settings),
                      disabled=not st.session_state.get("remove_choice"))
        return scope


# -- one message ---------------------------------------------------------------------------
def show_report(store: ReportStore, msg_id: str, c) -> None:
    expander = st.expander(f"Full report: {ui.escape_inline(c.source)}",
                           key=f"report-{msg_id}-{c.n}", on_change="rerun",
                           icon=":material/article:", type="compact")
    with expander:
        if not expander.open:
            return
        text = ui.report_text(store, c.source)
        if text is None:
            st.info("This report's file is no longer available.")
        elif text[c.start:c.end] != c.quote:
            st.warning("The report changed after this answer; the quote is no longer there.")
            st.markdown(ui.highlight_markdown(text, 0, 0))
        else:
            page = f" (page {c.page})" if c.page else ""
            st.caption(ui.escape_markdown(f"{c.source}, characters {c.start}-{c.end}{page}; "
                                          f"the quote is highlighted."))
            with st.container(key=f"fulltext-{msg_id}-{c.n}"):
                st.markdown(ui.highlight_markdown(text, c.start, c.end))


def show_answer(msg: ui.ChatMessage, store: ReportStore, settings: Settings) -> None:
    if msg.error is not None:
        st.error(ui.escape_markdown(msg.error), icon=":material/error:")
        return
    answer = msg.answer
    if not answer.answerable:
        with st.container(key=f"refusal-{msg.id}"):
            st.warning(ui.escape_markdown(answer.answer), icon=":material/search_off:")
            if answer.refusal_reason:
                st.caption(ui.escape_markdown(f"Why: {answer.refusal_reason}."))
            titles = [s.title for s in store.sources()]
            if titles:
                st.markdown("The reports cover:\n" + "\n".join(
                    f"- {ui.escape_inline(t)}" for t in titles[:12]))
    else:
        with st.container(key=f"answer-{msg.id}"):
            for note in answer.notes[:answer.lead]:  # the figures the question asks for
                st.markdown(ui.answer_markdown(note))
            st.markdown(ui.answer_markdown(answer.answer))
            for note in answer.notes[answer.lead:]:
                st.markdown(ui.answer_markdown(note))
        if answer.conflicts:
            st.markdown("**The reports disagree**")
            # a static table: every cell wraps, so no claim, speaker or report is cut short
            st.table(ui.conflict_rows(answer), hide_index=True)
        if answer.citations:
            st.markdown("**Sources**")
        for c in answer.citations:
            with st.container(key=f"cite-{msg.id}-{c.n}"):
                st.markdown(ui.source_label(c.n, c.title, c.publisher, c.date, c.page))
                with st.container(key=f"quote-{msg.id}-{c.n}"):
                    st.markdown("> " + ui.escape_inline(c.quote))
                show_report(store, msg.id, c)
        timelines = st.session_state.setdefault("timelines", {})  # one search per answer
        if msg.id not in timelines:
            timelines[msg.id] = answer_timeline(store, answer, settings.k,
                                                settings.min_relevance,
                                                st.session_state.get("scope") or None)
        timeline = timelines[msg.id]
        if timeline:
            with st.expander(f"Timeline ({len(timeline)})", icon=":material/timeline:",
                             type="compact", key=f"timeline-{msg.id}"):
                st.caption("What the evidence and passages say, earliest first: the date a "
                           "sentence states, else its report's date; undated last.")
                st.table(ui.timeline_rows(timeline), hide_index=True)
    if answer.passages:
        with st.expander(f"Retrieved passages ({len(answer.passages)})", type="compact",
                         icon=":material/manage_search:"):
            if answer.standalone_question and answer.standalone_question != answer.question:
                st.caption(ui.escape_markdown(f"Searched for: {answer.standalone_question}"))
            st.dataframe(ui.passage_rows(answer), hide_index=True)
            with st.container(key=f"timings-{msg.id}"):
                st.caption("Timings: " + " · ".join(f"{k.replace('_', ' ')} {v / 1000:.2f} s"
                                                     for k, v in answer.timings_ms.items()))
    left, right = st.columns([1, 3], vertical_alignment="center")
    with left:
        st.feedback("thumbs", key=f"fb-{msg.id}", on_change=save_feedback, args=(msg.id, settings))
    seconds = answer.timings_ms.get("total", 0) / 1000
    right.caption(ui.escape_markdown(f"{answer.model} · {seconds:.1f} s"))


def ask(question: str, loading: ui.WarmingEngine | None, engine_error: str | None, k: int,
        scope: list[str]) -> ui.ChatMessage:
    """Stream the answer into the page; returns the assistant message to keep."""
    if loading is None:
        return ui.ChatMessage("assistant", engine_error, error=engine_error)
    engine = loading.engine
    status = st.empty()
    live = st.empty()
    try:
        if not loading.ready:
            with st.spinner("Loading the model (once)…"):
                loading.wait()
        stream = engine.stream(question, ui.history(st.session_state.messages[:-1]), k=k,
                               sources=scope or None)
        status.caption("Searching the reports and reading the evidence…")

        def pieces():
            parts = iter(stream)
            try:
                for i, piece in enumerate(parts):
                    if i == 0:
                        status.empty()
                    yield ui.escape_markdown(piece)  # per character, so pieces compose
            finally:
                parts.close()

        with live.container(key="streaming"):
            st.write_stream(pieces())
        answer = stream.answer
    except RagError as exc:
        return ui.ChatMessage("assistant", str(exc), error=str(exc))
    except Exception as exc:  # an unexpected failure must not end the chat
        text = f"Something went wrong ({type(exc).__name__}: {exc}). Try again."
        return ui.ChatMessage("assistant", text, error=text)
    finally:
        status.empty()
        live.empty()
    return ui.ChatMessage("assistant", answer.text_with_notes, answer=answer)


# -- the page ------------------------------------------------------------------------------
def main() -> None:
    try:
        settings = Settings.resolve()
        store = get_store(settings)
        saved = get_conversations(settings)
    except RagError as exc:
        st.error(ui.escape_markdown(str(exc)), icon=":material/error:")
        st.stop()
    st.session_state.setdefault("messages", [])
    sync_conversation(saved)
    messages: list[ui.ChatMessage] = st.session_state.messages

    with st.sidebar:
        left, right = st.columns(2)
        left.button("New chat", icon=":material/add_comment:", on_click=new_chat, width="stretch")
        download = right.empty()
        st.subheader("Conversations", anchor=False)
        conversations = st.container()  # filled last, so that it lists this question too
        st.subheader("Model", anchor=False)
        spec = model_picker(settings)
        loading, engine_error = None, None
        try:
            loading = get_engine(spec, settings)
        except RagError as exc:
            engine_error = str(exc)
            st.error(ui.escape_markdown(engine_error))
        if loading is not None and not loading.ready:
            model_loading(loading)
        elif loading is not None and loading.error:
            st.error(ui.escape_markdown(loading.error))
        st.subheader("Retrieval", anchor=False)
        k = st.slider("Passages retrieved (k)", 1, 20, min(settings.k, 20), key="k",
                      help="How many report passages are retrieved for each question.")
        st.subheader("Reports", anchor=False)
        scope = corpus_panel(store, settings)

    st.title("Reports chat", anchor=False)
    st.caption("Answers come only from the indexed news reports. Each claim cites a numbered "
               "source whose quote is checked against the report.")
    for msg in messages:
        with st.chat_message(msg.role):
            if msg.role == "user":
                st.markdown(ui.escape_markdown(msg.content))
            else:
                show_answer(msg, store, settings)

    if scope:
        st.caption(f"Asking only {len(scope)} chosen report{'s' if len(scope) > 1 else ''} "
                   f"(Reports in the sidebar).")
    if question := st.chat_input("Ask about the reports"):
        messages.append(ui.ChatMessage("user", question))
        save_message(saved, messages[-1])
        with st.chat_message("user"):
            st.markdown(ui.escape_markdown(question))
        with st.chat_message("assistant"):
            reply = ask(question, loading, engine_error, k, scope)
            messages.append(reply)
            save_message(saved, reply)
            show_answer(reply, store, settings)
    with conversations:
        conversations_panel(saved)

    download.download_button("Download", ui.to_markdown(messages, spec), "conversation.md",
                             mime="text/markdown", icon=":material/download:", width="stretch",
                             disabled=not messages, help="The conversation as Markdown, "
                             "with each answer's sources and quotes.")


main()
