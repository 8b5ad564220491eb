"""Access-log lines without the secrets a link carries in its query: the contact form's link
(`…/contact-form?token=…`) is what the assistant sends the applicant, so it keeps working,
and the server's access log keeps the path without the token. (ID numbers are masked by the
shared filter, `pickup_rules.masking`.)"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

SECRET_QUERY_KEYS = frozenset({"token", "access_token"})
_QUERY_PAIR = re.compile(r"(?P<lead>[?&])(?P<key>[^=&#\s\"]*)=(?P<value>[^&#\s\"]*)")


def mask_query_secrets(text: str) -> str:
    """`?token=abc&x=1` -> `?token=***&x=1`; keys are compared decoded (`tok%65n` too)."""
    def mask(match: re.Match[str]) -> str:
        if unquote(match["key"]).lower() not in SECRET_QUERY_KEYS:
            return match[0]
        return f"{match['lead']}{match['key']}=***"
    return _QUERY_PAIR.sub(mask, text)


class QuerySecretFilter(logging.Filter):
    """Masks the record's message and its string arguments (uvicorn passes the path as one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_query_secrets(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_query_secrets(a) if isinstance(a, str) else a for a in record.args)
        return True


def install_query_secret_filter(logger_name: str = "uvicorn.access") -> None:
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, QuerySecretFilter) for f in logger.filters):
        logger.addFilter(QuerySecretFilter())
