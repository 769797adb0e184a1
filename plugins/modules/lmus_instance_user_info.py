#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation is in lmus_instance_user_info.yml beside this file.

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
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import instance_places
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import list_instances
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import place
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import ASSOCIATIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.results import warn
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import LmusInputError
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import check_concurrency
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import check_instance_id


def main():
    module = AnsibleAWSModule(
        argument_spec=info_argument_spec(instance_ids=dict(type="list", elements="str", default=[])),
        mutually_exclusive=[("directory_id", "identity_provider")],
        supports_check_mode=True,
    )
    params = module.params
    try:
        check_concurrency(params["concurrency"], MAX_CONCURRENCY)
        check_filters(params)
        for n, instance_id in enumerate(params["instance_ids"]):
            check_instance_id(instance_id, f"instance_ids[{n}]")
        identity_provider = build_identity_provider(params["directory_id"], params["identity_provider"])
    except LmusInputError as e:
        module.fail_json(msg=str(e))

    client = connect(module, params["concurrency"])
    wanted = list(dict.fromkeys(params["instance_ids"]))
    if wanted and identity_provider:  # both known: no ListInstances needed
        places = [place(instance_id, identity_provider) for instance_id in wanted]
    else:
        try:
            places = instance_places(list_instances(client), wanted, identity_provider)
        except LmusError as e:
            exit_listing_failure(module, "instance_users", e, instance_id=None)
    missing = [i for i in wanted if i not in {p.where for p in places}]
    if missing:
        warn(f"instance_ids: not known to ListInstances, not read: {', '.join(missing)}")
    records, failures = list_records(client, ASSOCIATIONS, places, params)
    exit_info(module, "instance_users", records, failures, missing_instance_ids=missing)


if __name__ == "__main__":
    main()
