"""``python -m rag serve``: the engine over HTTP, for OpenAI clients, chat UIs and scripts.

    POST /v1/chat/completions   OpenAI-compatible, streaming or not; citations as data too
    GET  /v1/models             the model specs this server offers ("rag" = its default)
    POST /ask                   exactly the ``python -m rag ask --json`` object
    GET  /reports               indexed reports (``?search=&limit=&offset=``)
    POST /reports               upload reports (multipart ``files``), same caps as the app
    DELETE /reports/{source}    remove one
    GET  /health

- ``openai_format``  requests, responses and stream chunks in the OpenAI format
- ``guards``         API key, body size caps, the bounded queue (429)
- ``app``            routes and error mapping: 422 bad input, 404 unknown model or report,
                     413 over a cap, 429 queue full, 503 model or store unavailable
- ``serve``          the command: engines per spec built once, uvicorn on 127.0.0.1

Nothing here starts a server, loads a model or opens a database at import time.
"""

from rag.api.app import create_app

__all__ = ["create_app"]
