#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation is in lmus_product_subscription.yml beside this file.

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.client import connect
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.converge import converge
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import parse_items
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import write_argument_spec
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import write_mutually_exclusive
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import locate_product_subscriptions
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import SUBSCRIPTIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.results import exit_with_results
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.results import warn
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import LmusInputError


def main():
    module = AnsibleAWSModule(
        argument_spec=write_argument_spec(SUBSCRIPTIONS),
        mutually_exclusive=write_mutually_exclusive(SUBSCRIPTIONS),
        supports_check_mode=True,
    )
    params = module.params
    try:
        items, repeats = parse_items(params, SUBSCRIPTIONS, warn)
    except LmusInputError as e:
        module.fail_json(msg=str(e))

    client = connect(module, params["concurrency"])
    entries = locate_product_subscriptions(client, items, params["concurrency"], warn)
    outcomes = converge(client, SUBSCRIPTIONS, params["state"], entries, module.check_mode, params["concurrency"],
                        params["wait"], params["wait_timeout"], warn)
    exit_with_results(module, SUBSCRIPTIONS, outcomes, repeats)


if __name__ == "__main__":
    main()
