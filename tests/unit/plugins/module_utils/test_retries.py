# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one retry layer: what is retried, how often, and after how long."""

import botocore.exceptions
import pytest

from ansible_collections.lmus.user_subscriptions.plugins.module_utils import retries
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.retries import RetryPolicy
from ansible_collections.lmus.user_subscriptions.tests.unit.plugins.module_utils.fakes import FakeClient


class Http:
    def __init__(self, status_code):
        self.status_code = status_code


def answer(code, status=400):
    return (Http(status), {"Error": {"Code": code}})


def attempts_until_given_up(policy, response=None, caught=None):
    """How many HTTP attempts one call makes when every attempt fails the same way."""
    request = {}
    attempts = 1
    while policy.delay(attempts, response=response, caught_exception=caught, request_dict=request) is not None:
        attempts += 1
    return attempts


@pytest.mark.parametrize("response,caught,expected", [
    (answer("ThrottlingException"), None, retries.THROTTLE_ATTEMPTS),
    (answer("InternalServerException", 500), None, retries.TRANSIENT_ATTEMPTS),
    (answer("SomethingElse", 503), None, retries.TRANSIENT_ATTEMPTS),
    (None, botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), retries.TRANSIENT_ATTEMPTS),
    (answer("ConflictException", 500), None, 1),
    (answer("AccessDeniedException"), None, 1),
    (answer("ValidationException"), None, 1),
    (None, ValueError("not a connection error"), 1),
])
def test_each_failure_has_its_own_bound(response, caught, expected):
    assert attempts_until_given_up(RetryPolicy(jitter=lambda low, high: 0), response, caught) == expected


def test_the_bounds_are_the_documented_ones():
    assert (retries.THROTTLE_ATTEMPTS, retries.TRANSIENT_ATTEMPTS) == (30, 6)


def test_a_call_never_exceeds_the_sum_of_the_bounds_whatever_the_mix():
    policy, request = RetryPolicy(jitter=lambda low, high: 0), {}
    attempts = 1
    mix = [answer("ThrottlingException")] * 29 + [answer("InternalServerException", 500)] * 10
    for response in mix:
        if policy.delay(attempts, response=response, request_dict=request) is None:
            break
        attempts += 1
    assert attempts == 35  # 29 throttled, then 5 server errors retried, the 6th gives up


def test_delays_are_full_jitter_capped():
    seen = []
    policy = RetryPolicy(jitter=lambda low, high: seen.append((low, high)) or high)
    for attempt in range(1, 10):
        policy.delay(attempt, response=answer("ThrottlingException"), request_dict={})
    assert seen[:4] == [(0, 0.25), (0, 0.5), (0, 1.0), (0, 2.0)] and seen[-1] == (0, retries.MAX_DELAY)


def test_attach_registers_on_the_service_needs_retry_event():
    client = FakeClient()
    policy = RetryPolicy()
    policy.attach(client)
    assert client.meta.events.handlers == [("needs-retry.license-manager-user-subscriptions", policy.delay)]
