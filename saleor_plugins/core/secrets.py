"""Keep configured secret values out of logs, exception text and the sync log.

Settings register every secret value they parse (:func:`register`). :func:`scrub` replaces
any registered value in a string. :func:`install_log_scrubber` wraps the logging record
factory so every record, from any library (``urllib3`` logs URLs with query-string secrets,
SDKs log request bodies), is scrubbed before a handler sees it.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

MASK = "[redacted]"
_MIN_LEN = 6

_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern[str] | None = None


def register(value: str | None) -> None:
    """Remember a secret value so that :func:`scrub` hides it from now on."""
    global _pattern
    if not value or len(value) < _MIN_LEN or value in _values:
        return
    with _lock:
        _values.add(value)
        ordered = sorted(_values, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(v) for v in ordered))


def scrub(text: str) -> str:
    """Return ``text`` with every registered secret replaced by a mask."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def scrub_exception(error: BaseException) -> BaseException:
    """Scrub an exception chain in place and return it.

    Transport libraries put the full URL in their messages (``requests``: "Max retries
    exceeded with url: /k/<key>/..."), and a chained cause is printed in full by
    tracebacks and error trackers. Every exception in the chain (``__cause__``,
    ``__context__`` and exceptions carried in ``args``) has its string args scrubbed.
    """
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    while stack:
        exc = stack.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        try:
            exc.args = tuple(scrub(a) if isinstance(a, str) else a for a in exc.args)
        except (AttributeError, TypeError):  # an exception type with read-only args
            pass
        for attr in ("url", "msg", "strerror"):
            value = getattr(exc, attr, None)
            if isinstance(value, str) and scrub(value) != value:
                try:
                    setattr(exc, attr, scrub(value))
                except (AttributeError, TypeError):
                    pass
        stack += [a for a in exc.args if isinstance(a, BaseException)]
        reason = getattr(exc, "reason", None)  # urllib3 keeps the underlying error here
        if isinstance(reason, BaseException):
            stack.append(reason)
        stack += [e for e in (exc.__cause__, exc.__context__) if e is not None]
    return error


def scrub_any(value: Any) -> Any:
    """Scrub strings inside dicts and lists (for payloads written to the sync log)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: scrub_any(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_any(v) for v in value]
    return value


_installed = False


def install_log_scrubber() -> None:
    """Scrub every log record created in this process (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _pattern is not None:
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a broken format string is not ours to fix
                return record
            cleaned = scrub(message)
            if cleaned != message or record.args:
                record.msg, record.args = cleaned, None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
