"""Salesforce-style record ids: a 3-character key prefix, 15 case-sensitive characters, 18 with
the case-safe suffix."""

from __future__ import annotations

import itertools
import secrets
import string

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SUFFIX_ALPHABET = string.ascii_uppercase + "012345"

FLOW_DEFINITION = "300"
FLOW_VERSION = "301"
CRON_TRIGGER = "08e"
CRON_JOB_DETAIL = "08a"
ASYNC_APEX_JOB = "707"
APEX_CLASS = "01p"
USER = "005"
QUERY_LOCATOR = "01g"
SETUP_AUDIT_TRAIL = "0Ym"
EVENT_LOG_FILE = "0AT"


def with_suffix(id15: str) -> str:
    """The 18-character form of a 15-character id."""
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, char in enumerate(id15[start : start + 5]) if char.isupper())
        suffix += _SUFFIX_ALPHABET[bits]
    return id15 + suffix


def short(record_id: str) -> str:
    """The 15-character form, which identifies the record whichever form was given."""
    return record_id[:15]


def looks_like_id(value: str) -> bool:
    return len(value) in (15, 18) and value.isalnum()


class IdFactory:
    """Hands out unique 18-character ids per key prefix, in creation order."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new(self, prefix: str) -> str:
        number = next(self._counter)
        body = ""
        while number:
            number, digit = divmod(number, 62)
            body = _BASE62[digit] + body
        return with_suffix(f"{prefix}5g0000{body.rjust(6, '0')}")

    @staticmethod
    def random_token(length: int) -> str:
        return "".join(secrets.choice(_BASE62) for _ in range(length))
