# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # What every module of the collection shares: bounded concurrency and the one retry layer.
    DOCUMENTATION = r"""
options:
  concurrency:
    description:
      - How many API calls may be in flight at once (between 1 and 64), for the reads of many instances or
        identity providers and, in batch mode, for the writes.
      - The client's connection pool is sized to match.
    type: int
    default: 8
notes:
  - >-
    Each API call is retried by one retry layer, on botocore's C(needs-retry) event (botocore's own retries are off):
    C(ThrottlingException) up to 30 attempts in all, C(InternalServerException), other 5xx answers and lost
    connections up to 6, with jittered exponential backoff (at most 5 seconds between attempts).
    C(ConflictException) is never retried. When O(aws_config) sets C(retries), botocore's retries as set there
    replace this layer.
"""

    # The write modules' wait.
    WAIT = r"""
options:
  wait_timeout:
    description:
      - How many seconds to wait for the change to settle (see O(wait)). The entry fails when it has not settled by then.
    type: int
    default: 300
"""
