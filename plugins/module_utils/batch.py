# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Single and batch (``users``) mode for the write modules: items in, results out.

In batch mode the task's top-level values are defaults for every item, an item's
identity provider replaces the top-level one as a whole, repeated items are
handled once, and the task fails at the end when any item failed.
"""

from .client import error_code
from .identity import directory_of
from .validation import LmusInputError

IDENTITY_KEYS = ("directory_id", "identity_provider")
MAX_CONCURRENCY = 64


def check_concurrency(value):
    if not 1 <= value <= MAX_CONCURRENCY:
        raise LmusInputError(f"concurrency: must be between 1 and {MAX_CONCURRENCY}, got {value}")
    return value


def merged_items(params, item_keys, list_option="users"):
    """Each item of ``params[list_option]`` with the top-level values filled in."""
    defaults = {key: params.get(key) for key in item_keys}
    items = []
    for item in params[list_option]:
        merged = {key: item.get(key) if item.get(key) is not None else defaults[key] for key in item_keys}
        if any(item.get(key) is not None for key in IDENTITY_KEYS):
            merged.update({key: item.get(key) for key in IDENTITY_KEYS})
        items.append(merged)
    return items


def build_targets(params, state, build_target, item_keys, identity_of, list_option="users"):
    """The Targets to reconcile, and ``{index of a repeat: index of its first}``.

    Raises LmusInputError, naming the option and item, before any API call.
    ``identity_of(target)`` gives the key under which two items are the same request.
    """
    if params.get(list_option) is None:
        return [build_target(0, params, state)], {}
    targets, first_of, repeats = [], {}, {}
    for index, item in enumerate(merged_items(params, item_keys, list_option)):
        target = build_target(index, item, state, label=f"{list_option}[{index}]")
        key = identity_of(target)
        if key in first_of:
            repeats[index] = first_of[key]
        else:
            first_of[key] = index
            targets.append(target)
    return targets, repeats


def item_result(outcome, to_result, fields):
    target = outcome.target
    result = {name: getter(target) for name, getter in fields.items()}
    code = error_code(outcome.error) if outcome.failed and outcome.error is not None else None
    result.update(changed=outcome.changed, failed=outcome.failed, msg=outcome.msg, code=code)
    return result, to_result(outcome.after)


class Report:
    """Turn outcomes into the module's result, for single or batch mode."""

    def __init__(self, module, result_key, to_result, fields, list_option="users"):
        self.module = module
        self.result_key = result_key  # e.g. "instance_user"
        self.to_result = to_result
        self.fields = fields  # result field -> function(target)
        self.list_option = list_option

    def exit(self, outcomes, repeats):
        if self.module.params.get(self.list_option) is None:
            self._exit_single(outcomes[0])
        self._exit_batch(outcomes, repeats)

    def _diff(self, outcomes):
        before, after = {}, {}
        for outcome in outcomes:
            if outcome.changed:
                name = " ".join(str(getter(outcome.target)) for getter in self.fields.values() if getter(outcome.target))
                if name in before:  # the same user and product under another identity provider
                    name += f" {directory_of(outcome.target.extra.get('identity_provider'))}"
                before[name] = self.to_result(outcome.before)
                after[name] = self.to_result(outcome.after)
        return dict(before=before, after=after)

    def _exit_single(self, outcome):
        module = self.module
        after = self.to_result(outcome.after)
        if outcome.failed:
            error = outcome.error
            if getattr(error, "exception", None) is not None:
                module.fail_json_aws(error.exception, msg=f"{outcome.who}: {error.message}" if outcome.who else error.message)
            module.fail_json(msg=outcome.msg, changed=outcome.changed, **{self.result_key: after})
        result = {"changed": outcome.changed, "msg": outcome.msg, self.result_key: after}
        if module._diff:
            result["diff"] = dict(before=self.to_result(outcome.before), after=after)
        module.exit_json(**result)

    def _exit_batch(self, outcomes, repeats):
        module = self.module
        by_index = {}
        for outcome in outcomes:
            by_index.setdefault(outcome.target.index, []).append(outcome)
        results = []
        for index in range(len(module.params[self.list_option])):
            for outcome in by_index[repeats.get(index, index)]:
                result, after = item_result(outcome, self.to_result, self.fields)
                if index in repeats:
                    result.update(changed=False, msg=f"same as {self.list_option}[{repeats[index]}]: {outcome.msg}")
                result[self.result_key] = after
                results.append(result)
        for index, first in sorted(repeats.items()):
            module.warn(f"{self.list_option}[{index}] repeats {self.list_option}[{first}]; it was handled once")
        failed = [r for r in results if r["failed"]]
        changed = sum(1 for r in results if r["changed"] and not r["failed"])
        summary = dict(total=len(results), changed=changed, unchanged=len(results) - changed - len(failed), failed=len(failed))
        output = dict(changed=any(r["changed"] for r in results), results=results, summary=summary)
        if module._diff:
            output["diff"] = self._diff(outcomes)
        verb = "would change" if module.check_mode else "changed"
        items = len(module.params[self.list_option])
        found = f"{items} items" if items == len(results) else f"{items} items, {len(results)} results"
        counts = f"{found}: {changed} {verb}, {summary['unchanged']} unchanged, {len(failed)} failed"
        if failed:
            module.fail_json(msg=f"{counts}; first failure: {failed[0]['msg']}", **output)
        module.exit_json(msg=counts, **output)
