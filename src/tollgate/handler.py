"""``@one_thread``: a plain-``def`` endpoint, its transaction and its caller's authentication in one
thread-pool call.

FastAPI runs every plain-``def`` endpoint and dependency in its thread pool, one hand-off each: the
session's opening and its closing, the caller's authentication and the endpoint itself cross four times
per request, and on a busy server those hand-offs cost more than the work (docs/benchmarks.md). An
endpoint written as usual, with ``Principal``, ``SessionDep`` and ``RuntimeDep`` parameters, and decorated
with ``@one_thread`` is served by an ``async`` endpoint that makes one hand-off for all of it, with the
same transaction rules (``runtime.request_transaction``) and the same authentication (``auth.deps``:
the token's signature on the event loop, before the parameters are validated, then its client and login
family in the transaction). The OpenAPI document is unchanged: the bearer scheme is still declared.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from tollgate.auth.deps import Principal, SignedTokenDep, caller_of
from tollgate.runtime import Runtime, RuntimeDep, SessionDep, request_transaction

_REQUEST = "tollgate_request"
_BEARER = "tollgate_bearer"


def _refuse_own_transaction(fn: Callable[..., Any], name: str, annotation: Any) -> None:
    """A parameter whose dependency wants a session or the caller would get a second transaction."""
    for meta in getattr(annotation, "__metadata__", ()):
        dependency = getattr(meta, "dependency", None)
        if dependency is None:
            continue
        wanted = typing.get_type_hints(dependency, include_extras=True).values()
        if any(a in (SessionDep, Principal) for a in wanted):
            raise TypeError(f"{fn.__qualname__}: parameter {name!r} opens its own transaction")


def one_thread(fn: Callable[..., Any]) -> Callable[..., Any]:
    hints = typing.get_type_hints(fn, include_extras=True)
    roles: dict[str, str] = {}
    params: list[inspect.Parameter] = []
    for p in inspect.signature(fn).parameters.values():
        annotation = hints.get(p.name, p.annotation)
        if annotation == SessionDep:
            roles[p.name] = "session"
        elif annotation == Principal:
            roles[p.name] = "caller"
        elif annotation == RuntimeDep:
            roles[p.name] = "runtime"
        else:
            _refuse_own_transaction(fn, p.name, annotation)
            params.append(p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=annotation))
    authenticated = "caller" in roles.values()
    # FastAPI passes the request to one parameter only: the endpoint's own, if it has one.
    own = [p.name for p in params if p.annotation is Request]
    request_name = own[0] if own else _REQUEST
    if not own:
        params.append(inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request))
    if authenticated:
        params.append(inspect.Parameter(_BEARER, inspect.Parameter.KEYWORD_ONLY, annotation=SignedTokenDep))

    def work(request: Request, bearer: Any, kwargs: dict[str, Any]) -> Any:
        runtime: Runtime = request.app.state.runtime
        with request_transaction(runtime, request.method) as session:
            for name, role in roles.items():
                if role == "session":
                    kwargs[name] = session
                elif role == "runtime":
                    kwargs[name] = runtime
                else:
                    kwargs[name] = caller_of(request, runtime, session, bearer)
            return fn(**kwargs)

    async def endpoint(**kwargs: Any) -> Any:
        request = kwargs[request_name] if own else kwargs.pop(_REQUEST)
        bearer = kwargs.pop(_BEARER, None)
        return await run_in_threadpool(work, request, bearer, kwargs)

    # Name, docs and markers (``errors.speaks``) of the endpoint, but no ``__wrapped__``: FastAPI would
    # follow it and take the endpoint for a plain function.
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(endpoint, attr, getattr(fn, attr))
    endpoint.__dict__.update({k: v for k, v in fn.__dict__.items() if k != "__wrapped__"})
    endpoint.__signature__ = inspect.Signature(params, return_annotation=hints.get("return", Any))  # type: ignore[attr-defined]
    return endpoint
