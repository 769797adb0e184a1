#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: lmus_product_subscription_info
version_added: 0.1.0
short_description: List users' product subscriptions for user-based subscriptions
description:
  - Lists product subscriptions (C(ListProductSubscriptions)) of one identity provider, or of every
    identity provider that C(ListIdentityProviders) returns, each read once (all pages), concurrently.
author:
  - lmus.user_subscriptions maintainers (@lmus)
requirements:
  - botocore >= 1.35.61 (for DisassociateUser's InstanceUserArn)
options:
  product:
    description: Only this product, for example V(OFFICE_PROFESSIONAL). Omitted, every product is listed.
    type: str
  usernames:
    description: Only these users. The match is exact.
    type: list
    elements: str
    default: []
  statuses:
    description: Only subscriptions in these statuses, for example V(ACTIVE).
    type: list
    elements: str
    default: []
  domain:
    description: Only users of this Active Directory domain (compared without regard to case).
    type: str
  concurrency:
    description: How many identity providers are read at once (between 1 and 64).
    type: int
    default: 8
notes:
  - Without O(directory_id) or O(identity_provider), every registered identity provider is read.
  - When an identity provider cannot be read, the others are still listed; the task fails, and returns
    RV(product_subscriptions) and RV(failures) all the same.
extends_documentation_fragment:
  - lmus.user_subscriptions.identity_provider
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find a departing user's active subscriptions under every identity provider
  lmus.user_subscriptions.lmus_product_subscription_info:
    usernames: [jdoe]
    statuses: [ACTIVE]
  register: found

- name: List the Office subscriptions of one directory
  lmus.user_subscriptions.lmus_product_subscription_info:
    directory_id: d-1234567890
    product: OFFICE_PROFESSIONAL
"""

RETURN = r"""
product_subscriptions:
  description: The subscriptions found (C(ProductUserSummary) in snake_case).
  returned: always
  type: list
  elements: dict
  contains:
    username:
      description: The user name.
      returned: always
      type: str
      sample: jdoe
    product:
      description: The product.
      returned: always
      type: str
      sample: OFFICE_PROFESSIONAL
    domain:
      description: The user's domain.
      returned: when the service returns it
      type: str
      sample: corp.example.com
    status:
      description: The subscription status.
      returned: always
      type: str
      sample: ACTIVE
    product_user_arn:
      description: The ARN of the subscription.
      returned: when the service returns it
      type: str
      sample: arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:product-user/0123456789abcdef
    identity_provider:
      description: The identity provider, in snake_case.
      returned: always
      type: dict
      sample: {"active_directory_identity_provider": {"directory_id": "d-1234567890"}}
    status_message:
      description: A message about the status.
      returned: when the service returns it
      type: str
    subscription_start_date:
      description: When the subscription started.
      returned: when the service returns it
      type: str
    subscription_end_date:
      description: When the subscription ended.
      returned: when the service returns it
      type: str
failures:
  description: The reads that failed; the list of subscriptions is then incomplete.
  returned: always
  type: list
  elements: dict
  contains:
    directory_id:
      description: The directory that could not be read, or C(null) when C(ListIdentityProviders) itself failed.
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
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.batch import check_concurrency
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.client import LmusError
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.client import connect
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.discovery import discover_product_subscriptions
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.discovery import exit_discovery
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.discovery import listing_failure
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.discovery import subscription_groups
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.identity import build_identity_provider
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.identity import identity_argument_spec
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.reconcile import to_result
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import LmusInputError


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            product=dict(type="str"),
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
        identity_provider = build_identity_provider(params["directory_id"], params["identity_provider"])
    except LmusInputError as e:
        module.fail_json(msg=str(e))

    client = connect(module, params["concurrency"])
    try:
        groups = subscription_groups(client, identity_provider, params["product"])
    except LmusError as e:
        exit_discovery(module, "product_subscriptions", [], [listing_failure(e, directory_id=None)], to_result)
    records, failures = discover_product_subscriptions(client, groups, params["usernames"], params["statuses"], params["domain"], params["concurrency"])
    exit_discovery(module, "product_subscriptions", records, failures, to_result)


if __name__ == "__main__":
    main()
