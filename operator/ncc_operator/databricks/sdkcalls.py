"""Blocking databricks-sdk calls, run with a bounded wait, and what their failures mean.

Why a bound of our own (databricks-sdk 0.162.0, read in its source):

* ``Config()`` fetches host metadata with the configured ``retry_timeout_seconds``, but then
  ``Config.databricks_oidc_endpoints`` calls ``oauth.get_endpoints_from_url(url)`` whose default
  ``client=_BaseClient()`` was built at import time with the default 300 s retry budget: a host
  refusing connections held ``Config()`` for 60 s + 300 s (auth.py bounds that fetch itself).
* The token request, ``oauth.retrieve_token``, is a bare ``requests.post`` **without a timeout**:
  a token endpoint that accepts and never answers blocks its thread until the peer closes.

Python threads cannot be cancelled, so each call runs on its own daemon thread (a hung one never
starves asyncio's default executor nor blocks interpreter exit) and the caller waits at most
``timeout`` seconds. :func:`credential_failure` then sorts the SDK's exception into a rejection
(:class:`~.errors.CredentialsError`) or "could not ask" (:class:`~.errors.CredentialsUnavailable`).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import requests
import urllib3.exceptions
from databricks.sdk import errors as sdk_errors

from .errors import CredentialsError, CredentialsUnavailable, DatabricksError

_T = TypeVar("_T")


class _Gauge:
    """A thread-safe count of SDK calls still running."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self, delta: int) -> None:
        with self._lock:
            self.value += delta


_RUNNING = _Gauge()

# Errors that say "nobody answered in time", never "your credentials are wrong".
_TRANSPORT: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.HTTPError,
    ConnectionError,
    TimeoutError,  # the SDK's retry loop gives up with it; socket.timeout is an alias
)
_SDK_UNAVAILABLE: tuple[type[BaseException], ...] = (
    sdk_errors.TooManyRequests,
    sdk_errors.InternalError,
    sdk_errors.TemporarilyUnavailable,
    sdk_errors.DeadlineExceeded,
)
# ``oauth.retrieve_token`` loses the HTTP status: a non-OK answer becomes ValueError
# "<error>: <description>" from a JSON body (``unknown: unknown`` when the body is JSON but not
# an OAuth error, e.g. a platform 429/5xx), ValueError(<bytes>) for any other body, or KeyError
# 'Content-Type' without that header. RFC 6749 §5.2 rejections always come as OAuth JSON, so
# only these shapes are read as "the endpoint could not answer".
_UNAVAILABLE_MESSAGE = re.compile(r"^(?:(?:server_error|temporarily_unavailable|unknown): |b['\"])")


def running_sdk_calls() -> int:
    """SDK calls whose threads have not returned yet (abandoned ones included)."""
    return _RUNNING.value


async def wait_bounded(future: asyncio.Future[_T], seconds: float, doing: str) -> _T:
    """Await ``future`` (from :func:`start`) for at most ``seconds``.

    On timeout, :class:`~.errors.CredentialsUnavailable`; the thread keeps running until the SDK
    returns and its late result goes to whoever else awaits ``future`` (or nowhere).
    """
    try:
        return await asyncio.wait_for(asyncio.shield(future), seconds)
    except TimeoutError:
        if future.done() and not future.cancelled():
            raise  # the SDK's own TimeoutError (its retry budget ran out): classified later
        raise CredentialsUnavailable(
            f"{doing}: no answer from the identity provider within {seconds:g} s"
        ) from None


def start(func: Callable[[], _T]) -> asyncio.Future[_T]:
    """Run ``func`` on its own daemon thread; the future completes on the calling loop."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_T] = loop.create_future()

    def settle(result: _T | None, error: BaseException | None) -> None:
        if future.cancelled():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def body() -> None:
        try:
            result, error = func(), None
        except BaseException as exc:  # handed to the awaiting task, never lost
            result, error = None, exc
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:
            pass  # the loop is gone: nobody is waiting any more
        finally:
            _RUNNING.add(-1)

    _RUNNING.add(1)
    threading.Thread(target=body, name="databricks-sdk-call", daemon=True).start()
    # Nobody may await an abandoned call: keep its exception from being reported as unretrieved.
    future.add_done_callback(lambda f: f.cancelled() or f.exception())
    return future


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) is a transport failure or a 5xx/429 answer."""
    for link in _chain(error):
        if isinstance(link, _TRANSPORT + _SDK_UNAVAILABLE):
            return True
        if isinstance(link, KeyError) and link.args == ("Content-Type",):
            return True
        if isinstance(link, ValueError) and _UNAVAILABLE_MESSAGE.match(str(link)):
            return True
    return False


def credential_failure(
    error: BaseException, doing: str, redact: Callable[[str], str]
) -> DatabricksError:
    """The client error for an SDK failure while ``doing`` (message scrubbed by ``redact``)."""
    if isinstance(error, DatabricksError):
        return error
    if is_unavailable(error):
        return CredentialsUnavailable(redact(f"{doing}: identity provider unavailable: {error}"))
    return CredentialsError(redact(f"{doing}: {error}"))
