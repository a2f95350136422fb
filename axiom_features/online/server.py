"""``axiom serve``: an HTTP feature server that speaks ``feast serve``'s online API.

``POST /get-online-features`` takes the same JSON body as Feast's feature server
(``entities``, ``features`` or ``feature_service``, ``full_feature_names``) and answers the
same JSON (``metadata.feature_names``, ``results[].values/statuses/event_timestamps``), read
through :func:`axiom_features.online.fast_read.get_online_features_json` and encoded with
orjson; Feast's errors get Feast's status codes and error bodies (unknown feature view: 404).
``GET /health`` answers ``{"status": "ok"}``.

Each request is served on the event loop without a thread hop (a read is a few
milliseconds of CPU); run more processes (``--workers``) for concurrent clients.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path

import orjson
from feast import FeatureStore
from feast.errors import FeastError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from axiom_features.online.fast_read import get_online_features_json

logger = logging.getLogger(__name__)

JSON = "application/json"


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON)


def create_app(store: FeatureStore) -> Starlette:
    """The server's ASGI application over ``store``."""

    async def get_online_features(request: Request) -> Response:
        try:
            body = orjson.loads(await request.body())
            if not isinstance(body, dict):
                raise ValueError("the request body must be a JSON object")
            return _json(get_online_features_json(store, body))
        except FeastError as exc:  # the status and body feast serve answers
            logger.exception("get-online-features failed")
            return _json(exc.to_error_detail(), status=exc.http_status_code())
        except (ValueError, KeyError, orjson.JSONDecodeError) as exc:
            return _json({"error": str(exc)}, status=422)
        except Exception as exc:  # the client gets the reason, the log the trace
            logger.exception("get-online-features failed")
            return _json(str(exc), status=500)

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
        open_store(Path(os.environ["AXIOM_SERVE_REPO"]), os.environ["AXIOM_SERVE_PROFILE"])
    )
    gc.freeze()
    return app


def serve(
    root: Path, profile: str, *, host: str = "127.0.0.1", port: int = 6566, workers: int = 1
) -> None:
    """Run the server until interrupted."""
    import os

    import uvicorn

    options = dict(
        host=host, port=port, log_level="warning", access_log=False, loop="uvloop", http="httptools"
    )
    if workers > 1:
        os.environ["AXIOM_SERVE_REPO"] = str(root.resolve())
        os.environ["AXIOM_SERVE_PROFILE"] = profile
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
    uvicorn.run(create_app(store), **options)
