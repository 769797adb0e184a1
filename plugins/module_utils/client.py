# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Connection, retries and error handling for license-manager-user-subscriptions."""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

SERVICE = "license-manager-user-subscriptions"

# DisassociateUser's InstanceUserArn member arrived in this botocore release.
MINIMUM_BOTOCORE = "1.35.61"

# AWSRetry's defaults do not include this service's throttling and 5xx codes.
RETRY_CODES = ["ThrottlingException", "InternalServerException"]

# Attempts (not retries) per API call, and the jittered backoff between them, in seconds.
RETRY_ATTEMPTS = 6
RETRY_DELAY = 1.0
RETRY_MAX_DELAY = 12.0

lmus_retry = AWSRetry.jittered_backoff(
    retries=RETRY_ATTEMPTS,
    delay=RETRY_DELAY,
    backoff=2.0,
    max_delay=RETRY_MAX_DELAY,
    catch_extra_error_codes=RETRY_CODES,
)


class LmusError(AnsibleAWSError):
    """An API call failed; ``message`` says what was being done and to whom."""


class LmusErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = LmusError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


def connect(module, concurrency=1):
    """One client for the whole run, safe to share between worker threads.

    botocore's own retries (which also cover dropped connections and read
    timeouts) run in adaptive mode: standard retries plus a client-side rate
    limiter, shared by the worker threads, that slows down once the service
    throttles. ``aws_config`` from the task overrides these defaults.
    """
    module.require_botocore_at_least(MINIMUM_BOTOCORE, reason="to manage user-based subscriptions")
    config = botocore.config.Config(
        max_pool_connections=max(1, concurrency),
        retries={"mode": "adaptive", "max_attempts": 3},
    )
    return module.client(SERVICE, retry_decorator=lmus_retry, config=config)


def error_code(exception):
    """The AWS error code behind an LmusError or botocore exception, or None."""
    inner = getattr(exception, "exception", None) or exception
    response = getattr(inner, "response", None) or {}
    return response.get("Error", {}).get("Code")


def describe_error(exception):
    """One line for a result's ``msg``: what failed, the AWS code and its message."""
    inner = getattr(exception, "exception", None)
    text = getattr(exception, "message", None) or str(exception)
    if inner is None:
        return text
    code = error_code(inner)
    detail = (getattr(inner, "response", None) or {}).get("Error", {}).get("Message") or str(inner)
    return f"{text}: {code}: {detail}" if code else f"{text}: {detail}"


def paginate(client, method, result_key, **params):
    """Every item of a paginated list call; each page is retried on its own.

    This follows the same NextToken contract as botocore's paginator, page by page,
    because a page that fails inside a paginator's iteration cannot be retried
    alone: retrying would restart the whole listing.
    """
    items = []
    call = getattr(client, method)
    while True:
        page = call(aws_retry=True, **params)
        items.extend(page.get(result_key) or [])
        token = page.get("NextToken")
        if not token:
            return items
        params["NextToken"] = token


def paginate_for_user(client, method, result_key, username=None, **params):
    """``paginate`` narrowed with the Username filter when ``username`` is given.

    The filter only narrows the read (callers match the records themselves), so
    should the service refuse it, the read is made unfiltered.
    """
    if username is None:
        return paginate(client, method, result_key, **params)
    try:
        return paginate(client, method, result_key, Filters=equals_filters(Username=username), **params)
    except is_boto3_error_code("ValidationException"):
        return paginate(client, method, result_key, **params)


def write_call(client, method, what, result_key, none_on=(), **params):
    """One write call, retried, with unset (None or empty) members left out.

    Returns the response's ``result_key``, or None when the service answers one
    of the ``none_on`` error codes (for example ResourceNotFoundException for a
    delete: the thing is already gone).
    """
    params = {name: value for name, value in params.items() if value not in (None, {}, "")}
    try:
        response = LmusErrorHandler.common_error_handler(what)(getattr(client, method))(aws_retry=True, **params)
    except LmusError as e:
        if error_code(e) in none_on:
            return None
        raise
    return response[result_key]


def record_identity(record, arn_field, *names):
    """Members that name a listed record in a delete call: its ARN, else its names (and domain)."""
    if record.get(arn_field):
        return {arn_field: record[arn_field]}
    return dict({name: record[name] for name in names}, Domain=record.get("Domain"))


def equals_filters(**attributes):
    """The API's Filters list for attribute == value, skipping unset values."""
    return [dict(Attribute=name, Operation="Equals", Value=value) for name, value in attributes.items() if value is not None]
