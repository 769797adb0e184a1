# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the info modules share: their filters, reading the places with locate.py, and their result.

A place whose read fails is reported in ``failures`` while the others are still listed.
"""

from __future__ import annotations

from typing import Any
from typing import Optional

from .client import LmusError
from .client import describe_error
from .client import error_code
from .concurrency import Failure
from .credentials import credential_argument_spec
from .identity import directory_of
from .identity import identity_argument_spec
from .locate import Place
from .names import name_key
from .locate import read_places
from .resources import ASSOCIATIONS
from .resources import Record
from .resources import Resource
from .results import to_result
from .results import warn
from .validation import check_each
from .validation import check_status
from .validation import check_username


def info_argument_spec(**own: Any) -> dict[str, Any]:
    """The options every info module takes, plus ``own``."""
    return dict(
        own,
        # raw, not str: Ansible would turn a YAML true, 0123 or an empty item into "True", "83" or "None"; check_filters refuses them.
        usernames=dict(type="list", elements="raw", default=[]),
        statuses=dict(type="list", elements="raw", default=[]),
        domain=dict(type="str"),
        concurrency=dict(type="int", default=8),
        **credential_argument_spec(),
        **identity_argument_spec(),
    )


def check_filters(params: dict[str, Any]) -> None:
    """Refuse, before any API call, a user name or status that is not a string (or is blank, or holds a control character), naming its position."""
    check_each(params["usernames"], "usernames", check_username)
    check_each(params["statuses"], "statuses", check_status)


def failure(error: BaseException, **where: Any) -> dict[str, Any]:
    """A failure entry: where the read failed, the AWS code and what failed."""
    return dict(where, code=error_code(error), msg=describe_error(error), exception=error)


def keep(record: Record, usernames: set[str], statuses: list[str], domain: Optional[str]) -> bool:
    """Whether a record passes the info modules' filters (each optional), matched as the write modules match.

    User names (as Active Directory compares them, names.py), statuses and domains compare without regard to case; a record without a domain matches any.
    """
    if usernames and name_key(str(record.get("Username") or "")) not in usernames:
        return False
    if statuses and str(record.get("Status") or "").upper() not in {status.upper() for status in statuses}:
        return False
    return not domain or record.get("Domain") is None or record["Domain"].lower() == domain.lower()  # a record without a domain matches any


def list_records(client: Any, resource: Resource, places: list[Place], params: dict[str, Any]) -> tuple[list[Record], list[dict[str, Any]]]:
    """The records at ``places`` that pass the filters in ``params``, and the places that could not be read."""
    usernames = {name_key(name) for name in params["usernames"]}
    reads = read_places(client, resource, places, params["concurrency"])
    records, failures = [], []
    for where, read in reads.items():
        if isinstance(read, Failure):
            named = dict(instance_id=where.where) if resource is ASSOCIATIONS else dict(directory_id=directory_of(where.identity_provider))
            failures.append(failure(read.exception, **named))
        else:
            records.extend(r for r in read if keep(r, usernames, params["statuses"], params["domain"]))
    return records, failures


def exit_info(module: Any, result_key: str, records: list[Record], failures: list[dict[str, Any]], **extra: Any) -> None:
    """Exit with the records; fail (still returning them) when any read failed."""
    result = {result_key: [to_result(r) for r in records], "failures": [{k: v for k, v in f.items() if k != "exception"} for f in failures]}
    result.update(extra)
    if failures:
        for other in failures[1:]:
            warn(other["msg"])
        module.fail_json_aws(failures[0]["exception"], msg=f"{len(failures)} read(s) failed, the list is incomplete; first: {failures[0]['msg']}", **result)
    module.exit_json(changed=False, **result)


def exit_listing_failure(module: Any, result_key: str, error: LmusError, **where: Any) -> None:
    """Exit when the places themselves could not be listed (ListInstances, ListIdentityProviders)."""
    exit_info(module, result_key, [], [failure(error, **where)], **({"missing_instance_ids": []} if result_key == "instance_users" else {}))
