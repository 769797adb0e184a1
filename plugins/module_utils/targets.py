# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Requested items (Targets), checked before any API call."""

from .identity import build_identity_provider
from .identity import identity_key
from .validation import LmusInputError
from .validation import check_arn
from .validation import check_username


class Target:
    """One requested item: where it is (``group``) and who it is."""

    def __init__(self, index, label, username=None, domain=None, arn=None, **extra):
        self.index = index
        self.label = label  # e.g. "" or "users[3]": prefixes messages in batch mode
        self.username = username
        self.domain = domain
        self.arn = arn
        self.extra = extra
        self.group = None  # set by the kind once the target's location is known

    def placed(self, group, domain=None, **extra):
        """A copy of this target at ``group``, with ``extra`` (e.g. the instance) and the ``domain`` found filled in."""
        target = Target(self.index, self.label, username=self.username, domain=domain or self.domain, arn=self.arn, **dict(self.extra, **extra))
        target.group = group
        return target


def build_user_target(index, item, state, label, arn_option, required, group_of, check_item=None):
    """Check one item and make its Target.

    ``item`` holds a module's options for one user record; ``arn_option`` names the
    record's ARN option (absent only, instead of ``username``); ``required`` lists the
    options that, with ``username`` and an identity provider, name the record;
    ``group_of(target)`` gives its read group; ``check_item(item, prefix)`` checks
    the kind's own options. ``label`` (e.g. ``users[3]``) prefixes option names in messages.

    A batch item (``label`` set) with state=absent may leave out the ``required``
    options and the identity provider: its group is then None, and the kind finds
    every record of the user (see Reconciler.run).
    """
    prefix = f"{label}." if label else ""
    arn = item.get(arn_option)
    identity_provider = build_identity_provider(item.get("directory_id"), item.get("identity_provider"), prefix)
    if check_item:
        check_item(item, prefix)
    if arn is not None:
        if item.get("username") is not None:
            raise LmusInputError(f"{prefix}username and {prefix}{arn_option} are mutually exclusive, got both ({item['username']!r} and {arn!r})")
        if state != "absent":
            raise LmusInputError(f"{prefix}{arn_option}: only valid with state=absent, got {arn!r} with state={state}")
        check_arn(arn, f"{prefix}{arn_option}")
    else:
        check_username(item.get("username"), f"{prefix}username")
        missing = [prefix + name for name in required if item.get(name) is None]
        if identity_provider is None:
            missing.append(f"{prefix}directory_id or {prefix}identity_provider")
        if missing and not (label and state == "absent"):
            hint = f" (or give {arn_option}; or list the user under users to remove them wherever they are found)" if state == "absent" else ""
            raise LmusInputError(f"missing {' and '.join(missing)}: needed to name user {item['username']!r}{hint}")
    if item.get("tags") and state == "absent":
        raise LmusInputError(f"{prefix}tags: only valid with state=present, got {item['tags']!r}")
    extra = {name: item.get(name) for name in required}
    target = Target(index, label, username=item.get("username"), domain=item.get("domain"), arn=arn,
                    identity_provider=identity_provider, tags=item.get("tags"), **extra)
    target.group = group_of(target)
    return target


def same_request(target):
    """The key under which two items are the same request (repeats are handled once)."""
    if target.arn:
        return ("arn", target.arn)
    domain = target.domain.lower() if target.domain else None
    if target.group is None:  # found wherever the user is: what narrows the search tells requests apart
        where = tuple(sorted((name, value) for name, value in target.extra.items() if name not in ("identity_provider", "tags")))
        return (target.username, domain, where, identity_key(target.extra.get("identity_provider")))
    return (target.username, domain, target.group)
