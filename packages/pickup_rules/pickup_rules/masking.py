"""How an ID number is shown: never more than its first six and last four characters.

Two strengths. `mask_ids_in_text` masks ID numbers in a text people read (a number
standing alone, so certificate numbers of 16 or 22 characters stay readable).
`mask_for_log` masks every run of 15 or more digits, whatever stands around it: logs
print IDs inside URLs (`%20330106…`), after letters, behind JSON escapes (`\\u8bc1330106…`),
and first-generation 15-digit numbers. It also masks mobile numbers (138****0000), the
values of `token=`, `access_token=` and other `…token=` parameters (keys compared decoded too:
`tok%65n=`) and `Bearer` credentials (access logs print query strings: the contact form's link
carries its token, so the link keeps working and the log keeps the path alone), and the row
values PostgreSQL quotes in an error's DETAIL (`Key (…)=(…)`, `Failing row contains (…)`). `MaskingFilter` applies it to every log record.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

_ID_IN_TEXT = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_LONG_DIGIT_RUN = re.compile(r"\d{14,}[\dXx]")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_CREDENTIAL = re.compile(r"(?i)((?<![a-z0-9])[a-z_]*token=|\bbearer\s+)[^\s&\"'#,;)]+")
# A query parameter whose key only decodes to `…token` (`?tok%65n=…`): servers read it so.
_QUERY_PAIR = re.compile(r"(?P<lead>[?&])(?P<key>[^=&#\s\"]*%[^=&#\s\"]*)=(?P<value>[^&#\s\"]*)")
_ROW_VALUES = re.compile(r"(Key \([^)\n]*\)=|Failing row contains )\([^\n]*\)")


def mask_id(id_number: object) -> str:
    """330106199001011234 -> 330106********1234."""
    value = str(id_number or "").strip().upper()
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_ids_in_text(text: str) -> str:
    return _ID_IN_TEXT.sub(lambda m: mask_id(m.group(0)), text)


def _encoded_credential(match: re.Match[str]) -> str:
    if not unquote(match["key"]).lower().endswith("token"):
        return match[0]
    return f"{match['lead']}{match['key']}=***"


def mask_for_log(text: str) -> str:
    text = _LONG_DIGIT_RUN.sub(lambda m: mask_id(m.group(0)), text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _CREDENTIAL.sub(lambda m: f"{m.group(1)}***", text)
    text = _QUERY_PAIR.sub(_encoded_credential, text)
    return _ROW_VALUES.sub(lambda m: f"{m.group(1)}(…)", text)


def _masked_arg(arg: object) -> object:
    """The argument itself unless its text holds a long number; then its masked text."""
    text = arg if isinstance(arg, str) else str(arg)
    masked = mask_for_log(text)
    return arg if masked == text else masked


class MaskingFilter(logging.Filter):
    """Masks a record's message, arguments and traceback before any handler formats it.

    The arguments are masked one by one and kept as arguments, so that formatters which
    read `record.args` themselves (uvicorn's access log reads the status code from it) go
    on working; only when the masked arguments no longer fit the message is the record
    reduced to its masked text."""

    def filter(self, record: logging.LogRecord) -> bool:
        original = record.getMessage()
        if isinstance(record.msg, str):
            record.msg = mask_for_log(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _masked_arg(v) for k, v in record.args.items()}
        try:
            rendered = record.getMessage()
        except (TypeError, ValueError):
            rendered = None
        if rendered is None or mask_for_log(rendered) != rendered:
            record.msg, record.args = mask_for_log(original), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_for_log(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_for_log(record.stack_info)
        return True


def mask_handler(handler: logging.Handler) -> None:
    if not any(isinstance(f, MaskingFilter) for f in handler.filters):
        handler.addFilter(MaskingFilter())


def install_log_masking(*logger_names: str) -> None:
    """Masks every handler of the root logger and of the named loggers, those present now and
    those added later (servers add theirs after start-up)."""
    for logger in (logging.getLogger(), *(logging.getLogger(name) for name in logger_names)):
        for handler in logger.handlers:
            mask_handler(handler)
        if not any(isinstance(f, MaskingFilter) for f in logger.filters):
            logger.addFilter(MaskingFilter())
        if getattr(logger, "_pickup_rules_masked", False):
            continue
        add_handler = logger.addHandler

        def add_masked_handler(handler: logging.Handler, _add=add_handler) -> None:
            mask_handler(handler)
            _add(handler)

        logger.addHandler = add_masked_handler  # type: ignore[method-assign]
        logger._pickup_rules_masked = True  # type: ignore[attr-defined]
