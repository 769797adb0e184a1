#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation is in lmus_product_subscription_info.yml beside this file.

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.client import LmusError
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.client import connect
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.identity import build_identity_provider
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.info import check_filters
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.info import exit_info
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.info import exit_listing_failure
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.info import info_argument_spec
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.info import list_records
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import MAX_CONCURRENCY
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import place
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import registered_identity_providers
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import SUBSCRIPTIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.results import warn
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import LmusInputError
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import check_concurrency


def main():
    module = AnsibleAWSModule(
        argument_spec=info_argument_spec(product=dict(type="str")),
        mutually_exclusive=[("directory_id", "identity_provider")],
        supports_check_mode=True,
    )
    params = module.params
    try:
        check_concurrency(params["concurrency"], MAX_CONCURRENCY)
        check_filters(params)
        identity_provider = build_identity_provider(params["directory_id"], params["identity_provider"])
    except LmusInputError as e:
        module.fail_json(msg=str(e))

    client = connect(module, params["concurrency"])
    try:
        providers = [identity_provider] if identity_provider else registered_identity_providers(client, warn)
    except LmusError as e:
        exit_listing_failure(module, "product_subscriptions", e, directory_id=None)
    places = [place(params["product"], provider) for provider in providers]
    records, failures = list_records(client, SUBSCRIPTIONS, places, params)
    exit_info(module, "product_subscriptions", records, failures)


if __name__ == "__main__":
    main()
