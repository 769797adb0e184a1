# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The shared story of the write modules: parse, read state, decide, act, report."""

from .batch import Report
from .batch import build_targets
from .batch import check_concurrency
from .client import connect
from .identity import identity_argument_spec
from .reconcile import Reconciler
from .reconcile import to_result
from .targets import same_request
from .validation import LmusInputError


def write_argument_spec(**own):
    """The options every write module takes, plus ``own`` (each also an option of ``users`` items, except ``tags``)."""
    # An item's identity_provider is checked by build_identity_provider, which names the item in its messages.
    item = dict(own, directory_id=dict(type="str"), identity_provider=dict(type="dict"), domain=dict(type="str"), username=dict(type="str"))
    return dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        username=dict(type="str"),
        domain=dict(type="str"),
        tags=dict(type="dict"),
        users=dict(type="list", elements="dict", options=item),
        concurrency=dict(type="int", default=8),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        **own,
        **identity_argument_spec(),
    )


def run_write_module(module, kind, build_target, item_keys, result_key, result_fields):
    """Check every input before any API call, reconcile, and exit with the results."""
    params = module.params
    state = params["state"]
    try:
        check_concurrency(params["concurrency"])
        if params["wait_timeout"] < 1:
            raise LmusInputError(f"wait_timeout: must be at least 1 second, got {params['wait_timeout']}")
        targets, repeats = build_targets(params, state, build_target, item_keys, same_request)
    except LmusInputError as e:
        module.fail_json(msg=str(e))

    reconciler = Reconciler(
        kind,
        connect(module, params["concurrency"]),
        state,
        check_mode=module.check_mode,
        concurrency=params["concurrency"],
        wait=params["wait"],
        wait_timeout=params["wait_timeout"],
    )
    outcomes = reconciler.run(targets)
    Report(module, result_key, to_result, result_fields).exit(outcomes, repeats)
