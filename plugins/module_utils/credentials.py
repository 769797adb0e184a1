# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Credentials come from where AWS tools look for them, never from a module argument that holds a secret.

amazon.aws fills ``access_key``, ``secret_key`` and ``session_token`` from the environment
of the module's own process (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``)
and hands them to boto3, so botocore's own environment provider is not asked. That provider also
reads ``AWS_SECURITY_TOKEN``, the only name AWX's Amazon Web Services credential sets for an STS
token: without it here, a temporary key would be sent without its token. A playbook therefore never
needs to pass a token as a module option (which Ansible prints with ``ANSIBLE_DEBUG=1`` and writes
into the module's payload file); values read here stay inside the module process and, being
``no_log``, out of its results.
"""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import env_fallback

SESSION_TOKEN_VARIABLES = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def credential_argument_spec() -> dict[str, Any]:
    """amazon.aws's ``session_token`` option, read from both names botocore reads (first set wins)."""
    return dict(
        session_token=dict(aliases=["aws_session_token"], fallback=(env_fallback, list(SESSION_TOKEN_VARIABLES)), no_log=True),
    )
