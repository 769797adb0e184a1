#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation is in lmus_user_inventory_info.yml beside this file.

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.client import LmusError
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.client import connect
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.client import warner
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.identity import build_identity_provider
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.info import exit_with
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.info import failure
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.info import info_argument_spec
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.info import list_records
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.inventory import build_inventory
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.items import MAX_CONCURRENCY
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import instance_places
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import list_instances
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import place
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.locate import registered_identity_providers
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import ASSOCIATIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.resources import SUBSCRIPTIONS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import LmusInputError
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import check_concurrency
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import check_each
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import check_username


def main():
    spec = info_argument_spec(include_removed=dict(type="bool", default=False))
    del spec["statuses"]  # phases, not status words, decide what is held
    module = AnsibleAWSModule(argument_spec=spec, mutually_exclusive=[("directory_id", "identity_provider")], supports_check_mode=True)
    params = dict(module.params, statuses=[])
    try:
        check_concurrency(params["concurrency"], MAX_CONCURRENCY)
        check_each(params["usernames"], "usernames", check_username)
        identity_provider = build_identity_provider(params["directory_id"], params["identity_provider"])
    except LmusInputError as e:
        module.fail_json(msg=str(e))

    client = connect(module, params["concurrency"])
    try:
        instances = list_instances(client)
        providers = [identity_provider] if identity_provider else registered_identity_providers(client, warner(module))
    except LmusError as e:
        exit_with(module, build_inventory([], [], []), [failure(e, instance_id=None, directory_id=None)])
    places = instance_places(instances, None, identity_provider)
    associations, failed_instances = list_records(client, ASSOCIATIONS, places, params)
    subscriptions, failed_providers = list_records(client, SUBSCRIPTIONS, [place(None, provider) for provider in providers], params)
    read = {where.where for where in places}
    inventory = build_inventory([i for i in instances if i["InstanceId"] in read], associations, subscriptions, params["include_removed"])
    exit_with(module, inventory, failed_instances + failed_providers)


if __name__ == "__main__":
    main()
