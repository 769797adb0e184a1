# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one retry layer: which failed HTTP attempts are tried again, how often, after how long.

It is attached to botocore's ``needs-retry`` event (botocore's own retries are
switched off in client.py), so it sees every HTTP attempt of every call, pages of
paginated reads included, and nothing else retries on top of it:

- throttling is retried up to THROTTLE_ATTEMPTS attempts in all;
- InternalServerException, other 5xx answers and lost connections up to
  TRANSIENT_ATTEMPTS attempts;
- ConflictException (which the model gives HTTP 500) is never retried: it is a
  statement about the record, which the caller confirms by reading it;
- every other error is final at once.

The delay before each retry is "full jitter": a random time between zero and
BASE_DELAY * 2 ** (attempt - 1), capped at MAX_DELAY seconds.
"""

from __future__ import annotations

import random
from typing import Any
from typing import Callable
from typing import Optional

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

THROTTLING_CODES = frozenset(("ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"))
TRANSIENT_CODES = frozenset(("InternalServerException", "ServiceUnavailable", "ServiceUnavailableException", "InternalFailure"))
NEVER_RETRIED = frozenset(("ConflictException",))
TRANSIENT_HTTP = frozenset((500, 502, 503, 504))

THROTTLE_ATTEMPTS = 30
TRANSIENT_ATTEMPTS = 6
BASE_DELAY = 0.25
MAX_DELAY = 5.0


def classify(response: Optional[tuple[Any, dict[str, Any]]], caught_exception: Optional[BaseException]) -> Optional[str]:
    """``throttling``, ``transient`` or None (not retried) for one HTTP attempt's outcome."""
    if caught_exception is not None:
        transient = (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)
        return "transient" if isinstance(caught_exception, transient) else None
    if response is None:
        return None
    http, parsed = response
    code = (parsed or {}).get("Error", {}).get("Code")
    if code in NEVER_RETRIED:
        return None
    if code in THROTTLING_CODES:
        return "throttling"
    if code in TRANSIENT_CODES or getattr(http, "status_code", None) in TRANSIENT_HTTP:
        return "transient"
    return None


class RetryPolicy:
    def __init__(self, throttle_attempts: int = THROTTLE_ATTEMPTS, transient_attempts: int = TRANSIENT_ATTEMPTS,
                 base_delay: float = BASE_DELAY, max_delay: float = MAX_DELAY, jitter: Callable[[float, float], float] = random.uniform) -> None:
        self.limits = dict(throttling=throttle_attempts, transient=transient_attempts)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.jitter = jitter

    def attach(self, client: Any) -> None:
        """Decide the retries of every call ``client`` makes."""
        client.meta.events.register(f"needs-retry.{client.meta.service_model.service_id.hyphenize()}", self.delay)

    def delay(self, attempts: int, response: Any = None, caught_exception: Optional[BaseException] = None,
              request_dict: Optional[dict[str, Any]] = None, **_kwargs: Any) -> Optional[float]:
        """Seconds to wait before attempt ``attempts + 1``, or None: no retry.

        Each kind of failure has its own budget, counted per call in the request's context.
        """
        kind = classify(response, caught_exception)
        if kind is None:
            return None
        counts = (request_dict if request_dict is not None else {}).setdefault("context", {}).setdefault("lmus_retries", {})
        counts[kind] = counts.get(kind, 0) + 1
        if counts[kind] >= self.limits[kind] or attempts >= sum(self.limits.values()):
            return None
        return self.jitter(0, min(self.max_delay, self.base_delay * 2 ** (attempts - 1)))
