#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: lmus_instance_user_info
version_added: 0.1.0
short_description: List the users associated with EC2 instances that provide user-based subscriptions
description:
  - Lists user associations (C(ListUserAssociations)) across instances, each instance read once
    (all pages), instances read concurrently.
  - With no O(instance_ids), every instance from C(ListInstances) is read, each with its own identity provider.
author:
  - lmus.user_subscriptions maintainers (@lmus)
requirements:
  - botocore >= 1.35.61 (for DisassociateUser's InstanceUserArn)
options:
  instance_ids:
    description:
      - The instances to read. Empty means every instance that C(ListInstances) returns.
      - Without O(directory_id) or O(identity_provider), C(ListInstances) gives each instance's identity provider.
    type: list
    elements: str
    default: []
  usernames:
    description: Only these users. The match is exact.
    type: list
    elements: str
    default: []
  statuses:
    description: Only associations in these statuses, for example V(ASSOCIATED).
    type: list
    elements: str
    default: []
  domain:
    description: Only users of this Active Directory domain (compared without regard to case).
    type: str
  concurrency:
    description: How many instances are read at once (between 1 and 64).
    type: int
    default: 8
notes:
  - With O(directory_id) or O(identity_provider), only instances of that identity provider are read.
  - When an instance cannot be read (for example C(AccessDeniedException)), the others are still listed;
    the task fails, and returns RV(instance_users) and RV(failures) all the same. When C(ListInstances)
    fails, the task fails with an empty RV(instance_users) and the failure in RV(failures).
  - User names are matched exactly, case included, as the service's C(Username) filter does.
extends_documentation_fragment:
  - lmus.user_subscriptions.identity_provider
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find every instance a departing user is associated with
  lmus.user_subscriptions.lmus_instance_user_info:
    usernames: [jdoe]
    statuses: [ASSOCIATED, ASSOCIATING]
  register: found

- name: List the users of two instances of one directory
  lmus.user_subscriptions.lmus_instance_user_info:
    instance_ids: [i-0123456789abcdef0, i-0fedcba9876543210]
    directory_id: d-1234567890
"""

RETURN = r"""
instance_users:
  description: The associations found (C(InstanceUserSummary) in snake_case), instance by instance.
  returned: always
  type: list
  elements: dict
  contains:
    username:
      description: The user name.
      returned: always
      type: str
      sample: jdoe
    instance_id:
      description: The instance.
      returned: always
      type: str
      sample: i-0123456789abcdef0
    domain:
      description: The user's domain.
      returned: when the service returns it
      type: str
      sample: corp.example.com
    status:
      description: The association status.
      returned: always
      type: str
      sample: ASSOCIATED
    instance_user_arn:
      description: The ARN of the association.
      returned: when the service returns it
      type: str
      sample: arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:instance-user/0123456789abcdef
    identity_provider:
      description: The identity provider, in snake_case.
      returned: always
      type: dict
      sample: {"active_directory_identity_provider": {"directory_id": "d-1234567890"}}
    status_message:
      description: A message about the status.
      returned: when the service returns it
      type: str
    association_date:
      description: When the user was associated.
      returned: when the service returns it
      type: str
    disassociation_date:
      description: When the user was disassociated.
      returned: when the service returns it
      type: str
failures:
  description: The reads that failed; the list of instances is then incomplete.
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: The instance that could not be read, or C(null) when C(ListInstances) itself failed.
      returned: always
      type: str
    code:
      description: The AWS error code.
      returned: always
      type: str
      sample: AccessDeniedException
    msg:
      description: What failed.
      returned: always
      type: str
missing_instance_ids:
  description: Requested O(instance_ids) that C(ListInstances) does not know (not read).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.batch import check_concurrency
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.client import LmusError
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.client import connect
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.discovery import discover_instance_users
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.discovery import exit_discovery
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.discovery import listing_failure
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.discovery import instance_groups
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.identity import build_identity_provider
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.identity import identity_argument_spec
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.reconcile import to_result
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import LmusInputError
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import check_instance_id


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            instance_ids=dict(type="list", elements="str", default=[]),
            usernames=dict(type="list", elements="str", default=[]),
            statuses=dict(type="list", elements="str", default=[]),
            domain=dict(type="str"),
            concurrency=dict(type="int", default=8),
            **identity_argument_spec(),
        ),
        supports_check_mode=True,
        mutually_exclusive=[("directory_id", "identity_provider")],
    )
    params = module.params
    try:
        check_concurrency(params["concurrency"])
        for n, instance_id in enumerate(params["instance_ids"]):
            check_instance_id(instance_id, f"instance_ids[{n}]")
        identity_provider = build_identity_provider(params["directory_id"], params["identity_provider"])
    except LmusInputError as e:
        module.fail_json(msg=str(e))

    client = connect(module, params["concurrency"])
    try:
        groups, missing = instance_groups(client, params["instance_ids"], identity_provider)
    except LmusError as e:
        exit_discovery(module, "instance_users", [], [listing_failure(e, instance_id=None)], to_result, missing_instance_ids=[])
    if missing:
        module.warn(f"instance_ids: not known to ListInstances, not read: {', '.join(missing)}")
    records, failures = discover_instance_users(client, groups, params["usernames"], params["statuses"], params["domain"], params["concurrency"])
    exit_discovery(module, "instance_users", records, failures, to_result, missing_instance_ids=missing)


if __name__ == "__main__":
    main()
