# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Outcomes in, the module's result out: single mode, or batch mode's ``results`` and ``summary``.

Each batch result is structured data (``outcome``, ``code``, ``status``,
``duplicate_of``) that callers such as the offboard role's report consume as it
is; ``msg`` is for people.
"""

from __future__ import annotations

from typing import Any
from typing import Optional

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible.module_utils.common.warnings import warn as record_warning

from .client import error_code
from .converge import NOT_FOUND
from .converge import Outcome
from .identity import directory_of
from .locate import NO_RECORD
from .resources import Record
from .resources import Resource


def warn(message: str) -> None:
    """Give a warning with the module's result.

    Not AnsibleAWSModule.warn: on ansible-core 2.19, amazon.aws 10 also passes the warnings it recorded to
    exit_json / fail_json, and ansible-core then prints a deprecation warning ("Passing `warnings` to `exit_json`
    or `fail_json` is deprecated") after every run that warned. ansible-core's own warn() records the warning
    once, and every supported ansible-core returns it with the result.
    """
    record_warning(message)


def failure_code(error: Optional[BaseException]) -> Optional[str]:
    """The AWS error code of a failure; for a call that got no answer (a lost connection, a timeout), the kind of error."""
    if error is None:
        return None
    code = error_code(error)
    if code:
        return code
    inner = getattr(error, "exception", None)
    return type(inner).__name__ if inner is not None else None


def to_result(record: Optional[Record]) -> dict[str, Any]:
    """A record as the modules return it: snake_case, ``{}`` for none."""
    return camel_dict_to_snake_dict(record) if record else {}


def entry_result(resource: Resource, outcome: Outcome) -> dict[str, Any]:
    """One entry of ``results``."""
    item = outcome.entry.item
    return {
        "username": item.username,
        resource.place_option: item.where,
        "domain": item.domain,
        "changed": outcome.changed,
        "failed": outcome.failed,
        "outcome": outcome.outcome,
        "msg": outcome.msg,
        "code": failure_code(outcome.error) if outcome.failed else None,
        "status": (outcome.after or {}).get("Status"),
        "settled": outcome.settled,
        "duplicate_of": outcome.duplicate_of,
        "reason": (outcome.entry.reason or NO_RECORD) if outcome.outcome == NOT_FOUND else None,
        resource.result_key: to_result(outcome.after),
    }


def batch_results(resource: Resource, outcomes: list[Outcome], repeats: dict[int, int], items: int) -> list[dict[str, Any]]:
    """Every entry's result in input order; a repeated item gets its first's entries, unchanged."""
    by_index: dict[int, list[Outcome]] = {}
    for outcome in outcomes:
        by_index.setdefault(outcome.entry.item.index, []).append(outcome)
    results = []
    for index in range(items):
        for outcome in by_index[repeats.get(index, index)]:
            result = entry_result(resource, outcome)
            if index in repeats:
                result.update(changed=False, msg=f"same as users[{repeats[index]}]: {outcome.msg}", duplicate_of=f"users[{repeats[index]}]")
            results.append(result)
    return results


def diff(resource: Resource, outcomes: list[Outcome]) -> dict[str, dict[str, Any]]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for outcome in outcomes:
        if outcome.changed:
            item = outcome.entry.item
            name = " ".join(str(part) for part in (item.username, item.where, item.domain) if part)
            if name in before:  # the same user and product under another identity provider
                name += f" {directory_of(item.identity_provider)}"
            before[name] = to_result(outcome.before)
            after[name] = to_result(outcome.after)
    return dict(before=before, after=after)


def exit_single(module: Any, resource: Resource, outcome: Outcome) -> None:
    after = to_result(outcome.after)
    if outcome.failed:
        error = outcome.error
        if getattr(error, "exception", None) is not None:
            message = f"{outcome.context}: {error.message}" if outcome.context else error.message
            module.fail_json_aws(error.exception, msg=message + outcome.detail)
        module.fail_json(msg=outcome.msg, changed=outcome.changed, **{resource.result_key: after})
    result = {"changed": outcome.changed, "msg": outcome.msg, resource.result_key: after}
    if module._diff:
        result["diff"] = dict(before=to_result(outcome.before), after=after)
    module.exit_json(**result)


def exit_batch(module: Any, resource: Resource, outcomes: list[Outcome], repeats: dict[int, int]) -> None:
    items = len(module.params["users"])
    results = batch_results(resource, outcomes, repeats, items)
    if module.no_log:
        # The task has no_log. ansible-core 2.19 takes a ``results`` list for a loop's results, and censors only
        # the entries that carry this mark: without it every entry, user names included, would be shown.
        for result in results:
            result["_ansible_no_log"] = True
    for index, first in sorted(repeats.items()):
        warn(f"users[{index}] repeats users[{first}]; it was handled once")
    failed = [r for r in results if r["failed"]]
    changed = sum(1 for r in results if r["changed"] and not r["failed"])
    summary = dict(total=len(results), changed=changed, unchanged=len(results) - changed - len(failed), failed=len(failed))
    output: dict[str, Any] = dict(changed=any(r["changed"] for r in results), results=results, summary=summary)
    if module._diff:
        output["diff"] = diff(resource, outcomes)
    verb = "would change" if module.check_mode else "changed"
    found = f"{items} items" if items == len(results) else f"{items} items, {len(results)} results"
    counts = f"{found}: {changed} {verb}, {summary['unchanged']} unchanged, {len(failed)} failed"
    if failed:
        module.fail_json(msg=f"{counts}; first failure: {failed[0]['msg']}", **output)
    module.exit_json(msg=counts, **output)


def exit_with_results(module: Any, resource: Resource, outcomes: list[Outcome], repeats: dict[int, int]) -> None:
    if module.params.get("users") is None:
        exit_single(module, resource, outcomes[0])
    exit_batch(module, resource, outcomes, repeats)
