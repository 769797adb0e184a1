# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Input checks that run before any API call.

Every check raises LmusInputError with a message that names the option (as the
user typed it, e.g. ``users[3].instance_id``) and the offending value.
"""

from __future__ import annotations

import re
from typing import Any

INSTANCE_ID_RE = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
DIRECTORY_ID_RE = re.compile(r"^(?:d|sd)-[0-9a-f]{10}$")
# The pattern the service model gives for every ARN it takes.
ARN_RE = re.compile(r"^arn:[a-z0-9-\.]{1,63}:[a-z0-9-\.]{1,63}:[a-z0-9-\.]{1,63}:[a-z0-9-\.]{1,63}:[a-zA-Z0-9-\.]{1,510}/[a-zA-Z0-9-\.]{1,510}$")


class LmusInputError(ValueError):
    """Bad input found before any API call."""


def check_instance_id(value: Any, option: str) -> str:
    if not isinstance(value, str) or not INSTANCE_ID_RE.match(value):
        raise LmusInputError(f"{option}: {value!r} is not a valid EC2 instance ID (expected 'i-' followed by 8 or 17 lowercase hex digits)")
    return value


def check_directory_id(value: Any, option: str) -> str:
    if not isinstance(value, str) or not DIRECTORY_ID_RE.match(value):
        raise LmusInputError(f"{option}: {value!r} is not a valid directory ID (expected 'd-' or 'sd-' followed by 10 lowercase hex digits)")
    return value


def check_arn(value: Any, option: str) -> str:
    if not isinstance(value, str) or not ARN_RE.match(value):
        raise LmusInputError(f"{option}: {value!r} is not a valid ARN (expected arn:partition:service:region:account:type/id)")
    return value


def check_username(value: Any, option: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LmusInputError(f"{option}: a non-empty user name is required, got {value!r}")
    return value


def check_concurrency(value: int, maximum: int) -> int:
    if not 1 <= value <= maximum:
        raise LmusInputError(f"concurrency: must be between 1 and {maximum}, got {value}")
    return value
