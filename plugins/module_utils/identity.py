# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The identity provider options (``directory_id`` / ``identity_provider``).

Every module takes the same two mutually exclusive options; this file holds
their argument spec and turns them into the API's ``IdentityProvider`` union.
"""

from __future__ import annotations

import json
from typing import Any
from typing import Optional

from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict

from ansible_collections.amazon.aws.plugins.module_utils.transformation import scrub_none_parameters

from .validation import check_directory_id

_ACTIVE_DIRECTORY_SETTINGS = dict(
    domain_name=dict(type="str"),
    domain_ipv4_list=dict(type="list", elements="str"),
    domain_ipv6_list=dict(type="list", elements="str"),
    domain_credentials_provider=dict(
        type="dict",
        options=dict(
            secrets_manager_credentials_provider=dict(
                type="dict",
                no_log=False,  # names a secret, holds none
                options=dict(secret_id=dict(type="str")),
            ),
        ),
    ),
    domain_network_settings=dict(
        type="dict",
        options=dict(subnets=dict(type="list", elements="str", required=True)),
    ),
)

IDENTITY_PROVIDER_SPEC = dict(
    type="dict",
    options=dict(
        active_directory_identity_provider=dict(
            type="dict",
            required=True,
            options=dict(
                directory_id=dict(type="str"),
                active_directory_type=dict(type="str", choices=["SELF_MANAGED", "AWS_MANAGED"]),
                is_shared_active_directory=dict(type="bool"),
                active_directory_settings=dict(type="dict", options=_ACTIVE_DIRECTORY_SETTINGS),
            ),
        ),
    ),
)


def identity_argument_spec() -> dict[str, Any]:
    """The two options every module takes to name an identity provider."""
    return dict(
        directory_id=dict(type="str"),
        identity_provider=IDENTITY_PROVIDER_SPEC,
    )


def build_identity_provider(directory_id: Optional[str] = None, identity_provider: Optional[dict[str, Any]] = None,
                            option_prefix: str = "") -> Optional[dict[str, Any]]:
    """Return the API ``IdentityProvider`` union for the options, or None when neither is set.

    ``option_prefix`` (e.g. ``users[2].``) is put before option names in error messages.
    """
    if directory_id is not None:
        check_directory_id(directory_id, f"{option_prefix}directory_id")
        return {"ActiveDirectoryIdentityProvider": {"DirectoryId": directory_id}}
    if identity_provider is None:
        return None
    cleaned = scrub_none_parameters(identity_provider)
    provider = cleaned.get("active_directory_identity_provider") or {}
    if provider.get("directory_id") is not None:
        check_directory_id(provider["directory_id"], f"{option_prefix}identity_provider.active_directory_identity_provider.directory_id")
    return snake_dict_to_camel_dict(cleaned, capitalize_first=True)


def directory_of(identity_provider: Optional[dict[str, Any]]) -> Optional[str]:
    """The directory ID in an API ``IdentityProvider``, or None."""
    return ((identity_provider or {}).get("ActiveDirectoryIdentityProvider") or {}).get("DirectoryId")


def identity_key(identity_provider: Optional[dict[str, Any]]) -> Optional[str]:
    """A hashable key naming one identity provider: its directory ID when it has one."""
    if not identity_provider:
        return None
    directory_id = directory_of(identity_provider)
    if directory_id:
        return directory_id
    return json.dumps(identity_provider, sort_keys=True)
