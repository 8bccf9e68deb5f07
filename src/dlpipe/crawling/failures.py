"""Turn download errors and non-200 responses into short manifest reasons a person can act on."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Request, Response
from twisted.internet.error import TimeoutError as TwistedTimeoutError


def http_reason(response: Response) -> str:
    """Why a response with a non-200 status is no image: the status, and retries spent on it."""
    status = response.status
    if 300 <= status < 400:
        location = response.headers.get(b"Location", b"").decode("latin-1")
        return f"HTTP {status} redirect not followed (Location: {location or 'missing'})"
    final_request = getattr(response, "request", None)
    retries = final_request.meta.get("retry_times", 0) if final_request is not None else 0
    return f"HTTP {status}" + (f" after {retries} retries" if retries else "")


def failure_reason(exc: BaseException, request: Request, timeout_s: float, retries: int) -> str:
    """Why a download produced no response at all (filtered, timed out, too large, ...)."""
    message = str(exc)
    if isinstance(exc, IgnoreRequest):
        if "robots.txt" in message:
            return "forbidden by robots.txt (not fetched)"
        if "offsite" in message:
            host = urlsplit(request.url).hostname or ""
            if repr(host) in message:
                return f"offsite: host {host!r} is not an allowed domain (not fetched)"
            return f"redirected off the allowed domains, not followed ({message})"
        return f"ignored: {message}"
    if isinstance(exc, DownloadTimeoutError | TwistedTimeoutError):
        return f"timeout: no complete response within {timeout_s:g} s ({retries} retries allowed)"
    if isinstance(exc, DownloadCancelledError) and "max size" in message:
        return f"too large: {message}"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
