# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The identity provider options (``directory_id`` / ``identity_provider``).

Every module takes the same two mutually exclusive options; this file holds
their argument spec and turns them into the API's ``IdentityProvider`` union.
"""

import json

from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict

from ansible_collections.amazon.aws.plugins.module_utils.transformation import scrub_none_parameters

from .validation import LmusInputError
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


def identity_argument_spec():
    """The two options every module takes to name an identity provider."""
    return dict(
        directory_id=dict(type="str"),
        identity_provider=IDENTITY_PROVIDER_SPEC,
    )


def check_keys(value, spec, option):
    """Check a nested dict against an argument spec's options: known keys and dict/list shapes.

    Used for ``users[].identity_provider``, which Ansible does not check item by item.
    """
    if not isinstance(value, dict):
        raise LmusInputError(f"{option}: expected a dictionary, got {value!r}")
    for key, sub in value.items():
        if key not in spec:
            raise LmusInputError(f"{option}: unknown key {key!r} (known: {', '.join(sorted(spec))})")
        if sub is None:
            continue
        if "options" in spec[key]:
            check_keys(sub, spec[key]["options"], f"{option}.{key}")
        elif spec[key].get("type") == "list" and not isinstance(sub, list):
            raise LmusInputError(f"{option}.{key}: expected a list, got {sub!r}")
        elif spec[key].get("choices") and sub not in spec[key]["choices"]:
            raise LmusInputError(f"{option}.{key}: {sub!r} is not one of {', '.join(spec[key]['choices'])}")
    for key, sub in spec.items():
        if sub.get("required") and value.get(key) is None:
            raise LmusInputError(f"{option}: missing required key {key!r}")


def build_identity_provider(directory_id=None, identity_provider=None, option_prefix=""):
    """Return the API ``IdentityProvider`` union for the options, or None when neither is set.

    ``option_prefix`` (e.g. ``users[2].``) is put before option names in error messages.
    """
    if directory_id is not None and identity_provider is not None:
        raise LmusInputError(f"{option_prefix}directory_id and {option_prefix}identity_provider are mutually exclusive")
    if directory_id is not None:
        check_directory_id(directory_id, f"{option_prefix}directory_id")
        return {"ActiveDirectoryIdentityProvider": {"DirectoryId": directory_id}}
    if identity_provider is None:
        return None
    check_keys(identity_provider, IDENTITY_PROVIDER_SPEC["options"], f"{option_prefix}identity_provider")
    cleaned = scrub_none_parameters(identity_provider)
    provider = cleaned.get("active_directory_identity_provider") or {}
    if provider.get("directory_id") is not None:
        check_directory_id(provider["directory_id"], f"{option_prefix}identity_provider.active_directory_identity_provider.directory_id")
    return snake_dict_to_camel_dict(cleaned, capitalize_first=True)


def directory_of(identity_provider):
    """The directory ID in an API ``IdentityProvider``, or None."""
    return ((identity_provider or {}).get("ActiveDirectoryIdentityProvider") or {}).get("DirectoryId")


def identity_key(identity_provider):
    """A hashable key naming one identity provider: its directory ID when it has one."""
    if not identity_provider:
        return None
    directory_id = directory_of(identity_provider)
    if directory_id:
        return directory_id
    return json.dumps(identity_provider, sort_keys=True)
