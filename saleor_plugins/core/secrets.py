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
#: The shortest value the scrubber can hide without masking ordinary words: settings
#: refuse a shorter secret (``core/settings.py``), so every secret in use is scrubbed.
MIN_LEN = 8
#: Secrets are found by their first ``_PREFIX`` characters, then compared in full: the
#: pattern's size, and so the cost of registering and of scrubbing, does not grow with
#: the length of the secrets (a 1 MB key costs what an 8-character one does).
_PREFIX = MIN_LEN

_lock = threading.Lock()
_values: set[str] = set()
_by_prefix: dict[str, list[str]] = {}  # prefix -> secrets starting with it, longest first
_pattern: re.Pattern[str] | None = None


def register(value: str | None) -> None:
    """Remember a secret value so that :func:`scrub` hides it from now on."""
    global _pattern
    if not value or len(value) < MIN_LEN or value in _values:
        return
    with _lock:
        if value in _values:
            return
        prefix = value[:_PREFIX]
        known = _by_prefix.get(prefix)
        candidates = sorted([*(known or ()), value], key=len, reverse=True)
        _by_prefix[prefix] = candidates
        _values.add(value)
        if known is None:  # a new prefix: the pattern changes (prefixes only, bounded)
            _pattern = re.compile("|".join(re.escape(p) for p in sorted(_by_prefix)))


def scrub(text: str) -> str:
    """Return ``text`` with every registered secret replaced by a mask."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    parts: list[str] = []
    pos = 0
    search_from = 0
    while True:
        match = pattern.search(text, search_from)
        if match is None:
            break
        start = match.start()
        for candidate in _by_prefix.get(match.group(), ()):
            if text.startswith(candidate, start):
                parts += [text[pos:start], MASK]
                pos = search_from = start + len(candidate)
                break
        else:
            search_from = start + 1  # a prefix that is not a whole secret: move on
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


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
