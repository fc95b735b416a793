"""``python -m rag serve [--host HOST] [--port PORT]``: the API on uvicorn.

Loopback (127.0.0.1) by default; any other address needs ``RAG_API_KEY``, or the server
refuses to start. The default model is built and warmed up before the first request; the
others offered are built on their first request, once.
"""

from __future__ import annotations

import sys

from rag.api.guards import check_bind
from rag.config import Settings


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> int:
    import uvicorn

    from rag.api.app import create_app
    from rag.errors import RagError
    from rag.ui import make_engine, make_store

    check_bind(host, settings.api_key)
    store = make_store(settings)
    app = create_app(lambda spec: make_engine(spec, settings, store), settings, store)
    engines = app.app.state.engines
    try:
        engine = engines.get(None)
        engine.ensure_indexed()
        engine.warm_up()
    except RagError as exc:  # still serve: requests then get 503 with this message
        print(f"warning: the default model is not usable yet: {exc}", file=sys.stderr)
    print(f"Serving {engines.default} on http://{host}:{port}/v1 (models: rag, "
          f"{', '.join(engines.offered)})", file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
