# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The write modules' input: their argument spec, and the requested items, checked before any API call.

In batch mode (``users``) the task's top-level values are defaults for every item,
an item's identity provider replaces the top-level one as a whole, and an item
that repeats an earlier one is handled once. An item is a mapping of the item options,
or a user name alone; ``users`` may also be one string of names separated by commas
(what ``-a "users=jdoe,bob"`` gives).

With state=absent the place (instance or product) and the identity provider may be left
out, of an item or of the task in single mode: the user is then looked for wherever they may be.
"""

from __future__ import annotations

import re

from dataclasses import dataclass
from dataclasses import replace
from typing import Any
from typing import Callable
from typing import Optional

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from .credentials import credential_argument_spec
from .identity import build_identity_provider
from .identity import identity_argument_spec
from .identity import identity_key
from .names import name_key
from .resources import PRODUCTS
from .resources import SUBSCRIPTIONS
from .resources import Resource
from .validation import QUOTE_HINT
from .validation import LmusInputError
from .validation import check_arn
from .validation import check_concurrency
from .validation import check_domain
from .validation import check_instance_id
from .validation import check_product
from .validation import check_username
from .validation import describe

MAX_CONCURRENCY = 64
IDENTITY_OPTIONS = ("directory_id", "identity_provider")


@dataclass(frozen=True)
class Item:
    """One requested user record: who, where (the instance or product, if given) and under which identity provider."""

    index: int
    label: str  # "" in single mode, "users[3]" in batch mode: prefixes messages
    username: Optional[str] = None
    domain: Optional[str] = None
    arn: Optional[str] = None
    where: Optional[str] = None  # the instance ID or the product
    identity_provider: Optional[dict[str, Any]] = None
    tags: Optional[dict[str, Any]] = None

    def at(self, where: Optional[str], identity_provider: Optional[dict[str, Any]], domain: Optional[str] = None, username: Optional[str] = None) -> "Item":
        """This item narrowed to one place (and the domain and user name found there)."""
        return replace(self, where=where, identity_provider=identity_provider, domain=domain or self.domain, username=username or self.username)

    def request_key(self) -> tuple[Any, ...]:
        """Two items with the same key are the same request."""
        if self.arn:
            return ("arn", self.arn)
        return (name_key(self.username or ""), (self.domain or "").lower() or None, self.where, identity_key(self.identity_provider))


def item_argument_spec(resource: Resource) -> dict[str, Any]:
    """The options of one item: the options of ``users`` items, and top-level options too."""
    place = {resource.place_option: dict(type="str"), resource.arn_option: dict(type="str")}
    # raw, not str: Ansible would turn a YAML true, 0123 or 12:30 into the names "True", "83" or "750"; check_username refuses them.
    return dict(place, username=dict(type="raw"), domain=dict(type="str"), **identity_argument_spec())


def item_mutually_exclusive(resource: Resource) -> list[tuple[str, ...]]:
    return [IDENTITY_OPTIONS, ("username", resource.arn_option)]


def write_argument_spec(resource: Resource) -> dict[str, Any]:
    """The options of a write module; the item options are also options of ``users`` items."""
    item = item_argument_spec(resource)
    return dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict"),
        # raw, not list: Ansible would make a YAML true or 0123 the list ["True"] or ["83"], and refuse the user names
        # of users=jdoe,bob as mappings. Ansible applies ``options`` only to dict elements: parse_items validates each
        # mapping item against them (_item_options); they are here so that ansible-test compares them with the docs.
        users=dict(type="raw", options=item, mutually_exclusive=item_mutually_exclusive(resource)),
        concurrency=dict(type="int", default=8),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        **credential_argument_spec(),
        **item,
    )


def write_mutually_exclusive(resource: Resource) -> list[tuple[str, ...]]:
    return [IDENTITY_OPTIONS, ("username", resource.arn_option), ("users", "username"), ("users", resource.arn_option)]


# What a list written as one string leaves in its names ("[jdoe", 'bob"]').
LIST_MARKS = re.compile(r"[\[\]]")


def _user_values(users: Any) -> list[Any]:
    """The items of ``users``: a list, or one string of user names separated by commas (``users=jdoe,bob``)."""
    if isinstance(users, str):
        if LIST_MARKS.search(users):
            raise LmusInputError(f"users: {users!r} holds [ or ], which no user name holds: a list written in key=value "
                                 "form is not parsed (it would give names such as '[jdoe'); write users=jdoe,bob, or pass JSON: "
                                 "-a '{\"users\": [\"jdoe\", \"bob\"], ...}'")
        return users.split(",")
    if isinstance(users, (list, tuple)):
        return list(users)
    raise LmusInputError(f"users: {describe(users)} is not a list of users; give a list (of user names or mappings of item options) "
                         f"or one string of user names separated by commas; {QUOTE_HINT}")


def _item_options(value: Any, label: str, validator: ArgumentSpecValidator) -> dict[str, Any]:
    """One ``users`` item as a mapping of item options, checked against their argument spec.

    A string is a user name (spaces around it are dropped: ``users="jdoe, bob"``); anything else that is
    not a mapping (a YAML boolean, number, null or list) is refused, never turned into a name.
    """
    if isinstance(value, str):
        return dict(username=check_username(value.strip(" ") or value, label))
    if not isinstance(value, dict):
        raise LmusInputError(f"{label}: {describe(value)} is not a user name; {QUOTE_HINT}")
    result = validator.validate(value)
    if result.error_messages:
        problems = [f"unsupported parameters: {label}.{e.error_message}" if isinstance(e, UnsupportedError) else f"{label}: {e.error_message}"
                    for e in result.errors.errors]
        raise LmusInputError("; ".join(problems))
    return result.validated_parameters


def _merged(item: dict[str, Any], params: dict[str, Any], resource: Resource) -> dict[str, Any]:
    """A ``users`` item with the top-level values filled in."""
    keys = ("username", "domain", resource.place_option, resource.arn_option) + IDENTITY_OPTIONS  # username and the ARN are never top-level here
    merged = {key: item.get(key) if item.get(key) is not None else params.get(key) for key in keys}
    if any(item.get(key) is not None for key in IDENTITY_OPTIONS):
        merged.update({key: item.get(key) for key in IDENTITY_OPTIONS})
    return merged


def parse_item(index: int, options: dict[str, Any], state: str, label: str, tags: Optional[dict[str, Any]], resource: Resource) -> Item:
    """Check one item's options and make its Item.

    With state=absent an item (a batch item, or the task's own options in single mode) may leave out
    the place and the identity provider: the user is then looked for wherever they may be.
    """
    prefix = f"{label}." if label else ""
    arn, where = options.get(resource.arn_option), options.get(resource.place_option)
    identity_provider = build_identity_provider(options.get("directory_id"), options.get("identity_provider"), prefix)
    if where is not None and resource.place_option == "instance_id":
        check_instance_id(where, prefix + "instance_id")
    elif where is not None:
        check_product(where, prefix + resource.place_option)
    if options.get("domain") is not None:
        check_domain(options["domain"], prefix + "domain")
    if arn is not None:
        if state != "absent":
            raise LmusInputError(f"{prefix}{resource.arn_option}: only valid with state=absent, got {arn!r} with state={state}")
        check_arn(arn, prefix + resource.arn_option)
    else:
        check_username(options.get("username"), f"{prefix}username")
        missing = [prefix + resource.place_option] if where is None else []
        if identity_provider is None:
            missing.append(f"{prefix}directory_id or {prefix}identity_provider")
        if missing and state != "absent":
            raise LmusInputError(f"missing {' and '.join(missing)}: needed to name user {options['username']!r}")
    return Item(index, label, username=options.get("username"), domain=options.get("domain"), arn=arn, where=where,
                identity_provider=identity_provider, tags=tags)


def parse_items(params: dict[str, Any], resource: Resource, warn: Callable[[str], None] = lambda message: None) -> tuple[list[Item], dict[int, int]]:
    """The items to converge, and ``{index of a repeat: index of its first}``.

    Raises LmusInputError, naming the option and item, before any API call. A product
    the botocore model does not list is passed on (the service may have added it), with a warning.
    """
    state = params["state"]
    check_concurrency(params["concurrency"], MAX_CONCURRENCY)
    if params["wait_timeout"] < 1:
        raise LmusInputError(f"wait_timeout: must be at least 1 second, got {params['wait_timeout']}")
    if params.get("tags") and state == "absent":
        raise LmusInputError(f"tags: only valid with state=present, got {params['tags']!r}")
    if params.get("users") is None:
        items, repeats = [parse_item(0, params, state, "", params.get("tags"), resource)], {}
    else:
        items, first_of, repeats = [], {}, {}
        validator = ArgumentSpecValidator(item_argument_spec(resource), mutually_exclusive=item_mutually_exclusive(resource))
        for index, value in enumerate(_user_values(params["users"])):
            label = f"users[{index}]"
            options = _merged(_item_options(value, label, validator), params, resource)
            item = parse_item(index, options, state, label, params.get("tags"), resource)
            key = item.request_key()
            if key in first_of:
                repeats[index] = first_of[key]
            else:
                first_of[key] = index
                items.append(item)
    if resource is SUBSCRIPTIONS:
        for product in dict.fromkeys(item.where for item in items if item.where and item.where not in PRODUCTS):
            warn(f"product {product!r} is not one the service model lists ({', '.join(PRODUCTS)}); it is passed on as given")
    return items, repeats
