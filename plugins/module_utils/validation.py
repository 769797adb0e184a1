# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Input checks that run before any API call.

Every check raises LmusInputError with a message that names the option (as the
user typed it, e.g. ``users[3].instance_id``) and the offending value.

Identifiers are matched whole (``re.fullmatch``): a ``$`` would also match before a
trailing new line. A user name must be a string: YAML turns unquoted ``yes``, ``0123``,
``0x10``, ``12:30`` and empty items into booleans, numbers and null, and Ansible would
turn those back into the strings ``True``, ``83``, ``16``, ``750`` and ``None``. Nor may a user
name hold a character that cannot be seen: control characters, line and paragraph separators,
and format characters such as a byte order mark or a zero-width space (see ``control_characters``).
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from typing import Any
from typing import Callable

INSTANCE_ID_RE = re.compile(r"i-(?:[0-9a-f]{8}|[0-9a-f]{17})")
DIRECTORY_ID_RE = re.compile(r"(?:d|sd)-[0-9a-f]{10}")
# The pattern the service model gives for every ARN it takes.
ARN_RE = re.compile(r"arn:[a-z0-9-\.]{1,63}:[a-z0-9-\.]{1,63}:[a-z0-9-\.]{1,63}:[a-z0-9-\.]{1,63}:[a-zA-Z0-9-\.]{1,510}/[a-zA-Z0-9-\.]{1,510}")
# The model gives products as "valid values", not an enum, and the service may add some: any name
# of letters, digits, "_", "." and "-" is passed on (items.py warns about one the model does not list).
PRODUCT_RE = re.compile(r"[A-Za-z0-9_.-]+")

# The characters refused in a user name or a domain, by Unicode category: control characters (Cc: C0, DEL
# and C1, U+0085 NEL among them), format characters (Cf: U+FEFF BOM, U+200B zero-width space, U+200E and
# U+200F direction marks, U+202A-U+202E embeddings and overrides, U+2060 word joiner, U+00AD soft hyphen,
# ...) and the line and paragraph separators (Zl U+2028, Zp U+2029). None of them can be seen, and the
# invisible ones make two names that look alike different people.
REFUSED_CATEGORIES = frozenset(("Cc", "Cf", "Zl", "Zp"))

QUOTE_HINT = ("quote user names in YAML, spelled as they are (for example \"0123\" or \"yes\"): unquoted, YAML reads yes, no, on, off, "
              "true and false as booleans, 0123, 0x10 and 12:30 as the numbers 83, 16 and 750, and an empty item as null")

STATUS_HINT = "quote it in YAML (for example \"ASSOCIATED\"): unquoted, YAML reads yes, no, on, off, true and false as booleans, and an empty item as null"


class LmusInputError(ValueError):
    """Bad input found before any API call."""


def yaml_value(value: Any) -> str:
    """``value`` as YAML (flow style) shows it: null, true, 83, {"name": "jdoe"}, ["a", "b"]."""
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr)
    except ValueError:  # a list or dict that contains itself
        return repr(value)


def yaml_kind(value: Any) -> str:
    """What YAML made of a value that is not a string."""
    if value is None:
        return "YAML null: an empty item or value"
    if isinstance(value, bool):
        return "a YAML boolean"
    if isinstance(value, (int, float)):
        return "a YAML number"
    if isinstance(value, (datetime.date, datetime.time)):
        return "a YAML date"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple, set)):
        return "a list"
    return f"a {type(value).__name__}"


def describe(value: Any) -> str:
    """``value`` and what it is, for a message: ``true (a YAML boolean)``."""
    return f"{yaml_value(value)} ({yaml_kind(value)})"


def control_characters(value: str) -> list[str]:
    """The refused characters in ``value`` (REFUSED_CATEGORIES), each once, sorted, shown escaped: ``'\\t'``, ``'\\u200b' ZERO WIDTH SPACE``.

    A control character has no Unicode name: its repr says enough. Linear: a printable string (most) is passed at C speed.
    """
    if value.isprintable():  # False for every refused category (and for spaces other than " ", which are allowed)
        return []
    return sorted({_shown(c) for c in value if unicodedata.category(c) in REFUSED_CATEGORIES})


def _shown(char: str) -> str:
    """``'\\t'``; ``'\\u2028' LINE SEPARATOR``: the name, where Unicode gives one (never to a control character)."""
    return f"{char!r} {unicodedata.name(char, '')}".rstrip()


def check_instance_id(value: Any, option: str) -> str:
    if not isinstance(value, str) or not INSTANCE_ID_RE.fullmatch(value):
        raise LmusInputError(f"{option}: {value!r} is not a valid EC2 instance ID (expected 'i-' followed by 8 or 17 lowercase hex digits)")
    return value


def check_directory_id(value: Any, option: str) -> str:
    if not isinstance(value, str) or not DIRECTORY_ID_RE.fullmatch(value):
        raise LmusInputError(f"{option}: {value!r} is not a valid directory ID (expected 'd-' or 'sd-' followed by 10 lowercase hex digits)")
    return value


def check_arn(value: Any, option: str) -> str:
    if not isinstance(value, str) or not ARN_RE.fullmatch(value):
        raise LmusInputError(f"{option}: {value!r} is not a valid ARN (expected arn:partition:service:region:account:type/id)")
    return value


def check_product(value: Any, option: str) -> str:
    if not isinstance(value, str) or not PRODUCT_RE.fullmatch(value):
        raise LmusInputError(f"{option}: {value!r} is not a valid product name (expected letters, digits, '_', '.' or '-', "
                             "for example OFFICE_PROFESSIONAL_PLUS)")
    return value


def check_text(value: Any, option: str, what: str, hint: str, given: bool = False) -> str:
    """A string (never a YAML boolean, number, list or mapping), not blank, without control characters.

    ``given``: a null was written (an empty item of a list) rather than the option left out, and is refused as a value that is not a string.
    """
    if (value is None and given) or (value is not None and not isinstance(value, str)):
        raise LmusInputError(f"{option}: {describe(value)} is not a {what}; {hint}")
    if value is None or not value.strip():
        raise LmusInputError(f"{option}: a non-empty {what} is required, got {value!r}")
    bad = control_characters(value)
    if bad:
        raise LmusInputError(f"{option}: {value!r} contains control characters ({', '.join(bad)}); a {what} cannot hold characters "
                             "that are not seen (control, format or line-separating characters)")
    return value


def check_username(value: Any, option: str, given: bool = False) -> str:
    """A user name: a string (never a YAML boolean, number, null, list or mapping), not blank, without control characters."""
    return check_text(value, option, "user name", QUOTE_HINT, given)


def check_status(value: Any, option: str, given: bool = False) -> str:
    """A status word to filter on, as the service spells it (ASSOCIATED, SUBSCRIBED, ...): a string, as user names are."""
    return check_text(value, option, "status", STATUS_HINT, given)


def check_each(values: list[Any], option: str, check: Callable[..., str]) -> list[str]:
    """Each item of a list option, checked by ``check`` and named by its position (``usernames[2]``); an empty item (null) is refused."""
    return [check(value, f"{option}[{index}]", given=True) for index, value in enumerate(values)]


def check_domain(value: str, option: str) -> str:
    """A domain name without control characters."""
    bad = control_characters(value)
    if bad:
        raise LmusInputError(f"{option}: {value!r} contains control characters ({', '.join(bad)}); a domain name cannot")
    return value


def check_concurrency(value: int, maximum: int) -> int:
    if not 1 <= value <= maximum:
        raise LmusInputError(f"concurrency: must be between 1 and {maximum}, got {value}")
    return value
