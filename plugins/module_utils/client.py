# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Connection, the one retry layer, paginated reads, writes and error handling for license-manager-user-subscriptions."""

from __future__ import annotations

from typing import Any
from typing import Optional

try:
    import boto3
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from .retries import RetryPolicy

SERVICE = "license-manager-user-subscriptions"

# ListInstances returns each instance's IdentityProvider from this botocore release on (older ones drop it).
MINIMUM_BOTOCORE = "1.40.35"

# A read longer than this many pages is refused rather than followed for ever.
MAX_PAGES = 10000


class LmusError(AnsibleAWSError):
    """An API call failed; ``message`` says what was being done and to whom."""


class LmusErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = LmusError


def connect(module: Any, concurrency: int = 1) -> Any:
    """One client for the whole run, safe to share between worker threads.

    botocore's own retries are off: the RetryPolicy in retries.py is the only retry
    layer, attached to the client's ``needs-retry`` event, so every HTTP attempt of a
    call (a page of a paginated read included) is retried in one place, with one bound.
    ``aws_config`` from the task is merged over these defaults; when it sets ``retries``,
    botocore's retries as configured there are the only layer instead.
    """
    module.require_botocore_at_least(MINIMUM_BOTOCORE, reason="to manage user-based subscriptions")
    require_credentials(module)
    config = botocore.config.Config(max_pool_connections=max(1, concurrency), retries={"total_max_attempts": 1, "mode": "standard"})
    client = module.client(SERVICE, config=config)
    if "retries" not in (module.params.get("aws_config") or {}):
        RetryPolicy().attach(client)
    return client


NO_CREDENTIALS = (
    "no AWS credentials were found, nothing was called: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
    "(with AWS_SESSION_TOKEN or AWS_SECURITY_TOKEN for temporary credentials) in the environment of the task, "
    "or run where an instance or container role provides them"
)


def require_credentials(module: Any) -> None:
    """Fail before any API call when botocore's credential chain finds nothing, or cannot get what it found.

    Without this, the first read fails on every item with NoCredentialsError; here the run stops at once, and says how to
    give them. The chain is botocore's own (explicit options, the environment, the profile, then a container or instance role).
    A profile that assumes a role (``role_arn`` with ``credential_source`` or ``source_profile``) gets its credentials on
    first use: they are got here, so that a role that cannot be assumed (AccessDenied, a wrong external ID) stops the run
    before any call of this service, with STS's answer. They never leave botocore, and botocore renews them before they expire.
    """
    _region, _endpoint, params = get_aws_connection_info(module)
    if params.get("aws_access_key_id"):
        return
    try:
        found = boto3.session.Session(profile_name=params.get("profile_name")).get_credentials()
    except botocore.exceptions.BotoCoreError:
        return  # a missing or broken profile: amazon.aws's connection below reports it
    if found is None:
        module.fail_json(msg=NO_CREDENTIALS)
    try:
        found.get_frozen_credentials()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        where = f" for profile {params['profile_name']}" if params.get("profile_name") else ""
        module.fail_json_aws(e, msg=f"could not get AWS credentials{where}, nothing was called")


def warner(module: Any) -> Any:
    """The module's ``warn``, straight to ansible-core's AnsibleModule.

    amazon.aws's AnsibleAWSModule.warn also copies each warning into ``warnings`` of exit_json, which
    ansible-core 2.19 answers with a deprecation warning of its own; ansible-core already returns them.
    """
    inner = getattr(module, "_module", None)
    return inner.warn if inner is not None and hasattr(inner, "warn") else module.warn


def error_code(exception: Optional[BaseException]) -> Optional[str]:
    """The AWS error code behind an LmusError or botocore exception, or None."""
    inner = getattr(exception, "exception", None) or exception
    response = getattr(inner, "response", None) or {}
    return response.get("Error", {}).get("Code")


def describe_error(exception: BaseException) -> str:
    """One line for a result's ``msg``: what failed, the AWS code and its message."""
    inner = getattr(exception, "exception", None)
    text = getattr(exception, "message", None) or str(exception)
    if inner is None:
        return text
    code = error_code(inner)
    detail = (getattr(inner, "response", None) or {}).get("Error", {}).get("Message") or str(inner)
    return f"{text}: {code}: {detail}" if code else f"{text}: {detail}"


def list_all(client: Any, operation: str, result_key: str, what: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list call, through botocore's paginator.

    A NextToken seen before (the same token again, or a cycle) or more than MAX_PAGES
    pages fail the read clearly instead of looping.
    """

    def read() -> list[dict[str, Any]]:
        items, seen = [], set()
        for number, page in enumerate(client.get_paginator(operation).paginate(**params), start=1):
            items.extend(page.get(result_key) or [])
            token = page.get("NextToken")
            if token and token in seen:
                raise LmusError(message=f"Failed to {what}: the service returned a NextToken it had returned before (page {number}); the read was stopped")
            if number >= MAX_PAGES and token:
                raise LmusError(message=f"Failed to {what}: more than {MAX_PAGES} pages; the read was stopped")
            seen.add(token)
        return items

    return LmusErrorHandler.common_error_handler(what)(read)()


def write(client: Any, operation: str, what: str, result_key: str, none_on: tuple[str, ...] = (), **params: Any) -> Optional[dict[str, Any]]:
    """One write call, with unset (None or empty) members left out.

    Returns the answer's ``result_key``, or None when the service answers one of
    the ``none_on`` error codes.
    """
    params = {name: value for name, value in params.items() if value not in (None, {}, "")}
    try:
        response = LmusErrorHandler.common_error_handler(what)(getattr(client, operation))(**params)
    except LmusError as e:
        if error_code(e) in none_on:
            return None
        raise
    return response[result_key]


def equals_filters(**attributes: Optional[str]) -> list[dict[str, str]]:
    """The API's Filters list for attribute == value, skipping unset values."""
    return [dict(Attribute=name, Operation="Equals", Value=value) for name, value in attributes.items() if value is not None]
