"""Secrets out of what dlpipe writes: passwords in URLs, secret query values, secret env values.

A tracking URI such as `postgresql://user:secret@host/db` or `http://user:secret@host` is the
usual way to hand MLflow a password, and it ends up in log lines, exception messages (MLflow's
"API request to <url> failed") and MLflow's own "View run at <url>" lines. Everything dlpipe logs,
tags or reports about a location goes through `redact`, and `install` puts a filter on the log
handlers and the excepthook so that a library's message or a traceback is cleaned too.

No library redacts free text (SQLAlchemy's `URL.render_as_string(hide_password=True)` cleans one
URL it parsed itself), so this is a few regular expressions, kept deliberately greedy: a false
`***` in a log line costs nothing, a leaked password does.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import traceback
from collections.abc import Iterable, Mapping
from types import TracebackType

MASK = "***"
# scheme://user:password@ -> scheme://user:***@ (the user name stays: it says which account).
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)\S+(?=@)")
# password=..., token=... in query strings, DSNs and "key=value" text.
_SECRET_WORDS = r"password|passwd|pwd|token|secret|api_?key|access_?key|private_?key|sig|signature"
_KEY_VALUE = re.compile(rf"(?P<head>\b(?:{_SECRET_WORDS})\s*[=:]\s*)[^\s&;,'\"]+", re.IGNORECASE)
# Environment variables whose values are secrets (MLFLOW_TRACKING_PASSWORD, AWS_SECRET_ACCESS_KEY;
# not PWD, the working directory).
SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|TOKEN|SECRET|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL"
)
MIN_SECRET_LENGTH = 6  # shorter env values ("true", "1") would mask ordinary words


def secret_env_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """The values of environment variables whose names say they are secrets, longest first."""
    env = os.environ if environ is None else environ
    values = {
        v for k, v in env.items() if SECRET_NAME.search(k.upper()) and len(v) >= MIN_SECRET_LENGTH
    }
    return sorted(values, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """`text` with URL passwords, secret `key=value` values and secret env values masked."""
    text = _URL_PASSWORD.sub(rf"\g<head>{MASK}", text)
    text = _KEY_VALUE.sub(rf"\g<head>{MASK}", text)
    for value in secret_env_values() if secrets is None else secrets:
        text = text.replace(value, MASK)
    return text


def has_secret(text: str) -> bool:
    """True when `redact` would change `text`."""
    return redact(text) != text


class RedactingFilter(logging.Filter):
    """A handler filter: the formatted message and any traceback, redacted before output."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(handlers: Iterable[logging.Handler]) -> None:
    """Redact on every handler in `handlers` and in the traceback of an uncaught exception."""
    for handler in handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    if sys.excepthook is not _redacting_excepthook:
        sys.excepthook = _redacting_excepthook


def _redacting_excepthook(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None
) -> None:
    """Python's own traceback print, redacted (an uncaught MLflow error names its URL)."""
    sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))
