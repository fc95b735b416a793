"""The evaluation suite: score answers on the hand-written question set, compare models.

    dataset.py   eval/questions.jsonl -> typed items (gold spans, key facts, claims)
    metrics.py   pure metric functions (retrieval, facts, quotes, citations, conflicts, refusals)
    runner.py    items through engines: streamed, timed, retrieval at k <= 10, scored per item
    judge.py     optional faithfulness / relevance ratings by a judge model (--judge)
    report.py    predictions.jsonl, per_item.jsonl, summary.json/.md, charts, ragas.jsonl
    corpus.py    --corpus DIR: another collection indexed once into its own data dir
    cli.py       python -m rag eval

Nothing here loads a model at import time; see docs/evaluation.md.
"""
