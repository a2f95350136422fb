"""``axiom serve``: an HTTP feature server that speaks ``feast serve``'s online API.

``POST /get-online-features`` takes the same JSON body as Feast's feature server
(``entities``, ``features`` or ``feature_service``, ``full_feature_names``) and answers the
same JSON (``metadata.feature_names``, ``results[].values/statuses/event_timestamps``), read
through :func:`axiom_features.online.fast_read.get_online_features_json` and encoded with
orjson; Feast's errors get Feast's status codes and error bodies (unknown feature view: 404).
``GET /health`` answers ``{"status": "ok"}``.

Requests are checked before anything is read (:mod:`axiom_features.online.requests`): a
body over ``max_body_bytes`` is refused with 413 without being read, more entity rows than
``max_entity_rows`` get 413, and a field of the wrong shape 400/422 with
``{"error": ..., "field": ...}``. An unexpected failure answers 500 with a fixed text; its
trace goes to the server log only. Each request is read and encoded in a worker thread, so
the event loop keeps accepting requests while a large one is being answered and small ones
are served beside it; ``--workers`` adds processes for more CPU.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path

import orjson
from feast import FeatureStore
from feast.errors import FeastError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from axiom_features.online.fast_read import get_online_features_json
from axiom_features.online.requests import RequestError, RequestLimits, parse_request

logger = logging.getLogger(__name__)

JSON = "application/json"
INTERNAL_ERROR = {"error": "internal error; the server log has the details"}


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON)


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError("body", f"{declared} bytes; at most {limit} per request", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError("body", f"more than {limit} bytes per request", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(store: FeatureStore, raw: bytes, limits: RequestLimits) -> bytes:
    """The encoded answer to one request body (runs in a worker thread)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestError("body", f"not valid JSON ({exc.msg})", 400) from None
    return orjson.dumps(get_online_features_json(store, parse_request(body, limits)))


def create_app(store: FeatureStore, limits: RequestLimits | None = None) -> Starlette:
    """The server's ASGI application over ``store``."""
    limits = limits or RequestLimits()

    async def get_online_features(request: Request) -> Response:
        try:
            raw = await _read_body(request, limits.max_body_bytes)
            body = await run_in_threadpool(_answer, store, raw, limits)
            return Response(body, media_type=JSON)
        except RequestError as exc:
            return _json(exc.to_json(), status=exc.status)
        except FeastError as exc:  # the status and body feast serve answers
            return _json(exc.to_error_detail(), status=exc.http_status_code())
        except Exception:  # the client gets a fixed text, the log the trace
            logger.exception("get-online-features failed")
            return _json(INTERNAL_ERROR, status=500)

    async def health(_: Request) -> Response:
        return _json({"status": "ok"})

    return Starlette(
        routes=[
            Route("/get-online-features", get_online_features, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )


def _app_from_environment() -> Starlette:
    """The application for worker processes: the store named by AXIOM_SERVE_* variables."""
    import os

    from axiom_features.feature_store import open_store

    app = create_app(
        open_store(Path(os.environ["AXIOM_SERVE_REPO"]), os.environ["AXIOM_SERVE_PROFILE"]),
        RequestLimits.model_validate_json(os.environ["AXIOM_SERVE_LIMITS"]),
    )
    gc.freeze()
    return app


def serve(
    root: Path,
    profile: str,
    *,
    host: str = "127.0.0.1",
    port: int = 6566,
    workers: int = 1,
    limits: RequestLimits | None = None,
) -> None:
    """Run the server until interrupted."""
    import os

    limits = limits or RequestLimits()

    import uvicorn

    options = dict(
        host=host, port=port, log_level="warning", access_log=False, loop="uvloop", http="httptools"
    )
    if workers > 1:
        os.environ["AXIOM_SERVE_REPO"] = str(root.resolve())
        os.environ["AXIOM_SERVE_PROFILE"] = profile
        os.environ["AXIOM_SERVE_LIMITS"] = limits.model_dump_json()
        uvicorn.run(
            "axiom_features.online.server:_app_from_environment",
            factory=True,
            workers=workers,
            **options,
        )
        return
    from axiom_features.feature_store import open_store

    store = open_store(root, profile)
    store.refresh_registry()
    gc.freeze()  # start-up objects (Feast, the registry) leave the collector's scans
    uvicorn.run(create_app(store, limits), **options)
