#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: lmus_product_subscription
version_added: 0.1.0
short_description: Start or stop users' product subscriptions for user-based subscriptions
description:
  - Makes sure an Active Directory user is subscribed to a product (O(state=present), C(StartProductSubscription))
    or is not (O(state=absent), C(StopProductSubscription)), for AWS License Manager user-based subscriptions.
  - Billing for a user stops only once the subscription is stopped B(and) the user is disassociated from every
    instance (see M(lmus.user_subscriptions.lmus_instance_user)).
  - Idempotent. The module reads the subscriptions (C(ListProductSubscriptions)) first and writes only when the
    state differs, so a second identical run reports RV(ignore:changed=false) and makes no write call.
author:
  - lmus.user_subscriptions maintainers (@lmus)
requirements:
  - botocore >= 1.35.61 (for DisassociateUser's InstanceUserArn)
options:
  state:
    description:
      - V(present) starts the subscription, V(absent) stops it.
    type: str
    choices: [present, absent]
    default: present
  username:
    description:
      - The Active Directory user name, matched exactly (case included), as the service's C(Username) filter does.
      - Required unless O(product_user_arn) names the subscription.
    type: str
  product:
    description:
      - The product, for example V(OFFICE_PROFESSIONAL), V(OFFICE_PROFESSIONAL_PLUS), V(VISUAL_STUDIO_ENTERPRISE),
        V(VISUAL_STUDIO_PROFESSIONAL) or V(REMOTE_DESKTOP_SERVICES). Passed to the API as given.
      - Required unless O(product_user_arn) names the subscription.
      - May be left out of an item of O(users) with O(state=absent), see O(users).
    type: str
  domain:
    description:
      - The Active Directory domain of the user.
      - When omitted, a user name matches the user's subscriptions in any domain. Compared without regard to case.
    type: str
  product_user_arn:
    description:
      - The ARN of the subscription, as returned in RV(product_subscription.product_user_arn).
      - Only with O(state=absent). The module still reads first, through C(ListIdentityProviders) (unless an identity
        provider is given) and C(ListProductSubscriptions), so check mode and idempotency hold.
      - Mutually exclusive with O(username).
    type: str
  tags:
    description:
      - Tags for a new subscription, passed to C(StartProductSubscription). Only with O(state=present).
      - Tags are set when the subscription starts; the tags of an existing subscription are not changed.
    type: dict
  users:
    description:
      - Batch mode. Each item is one subscription to start or stop, all in one task run;
        subscriptions are read once per identity provider and product, not once per user,
        and writes run with at most O(concurrency) calls in flight.
      - The top-level O(username), O(product), O(domain), O(directory_id), O(identity_provider), O(product_user_arn)
        and O(tags) are defaults for every item. An item's O(users[].directory_id) or O(users[].identity_provider)
        replaces the top-level identity provider as a whole.
      - With O(state=absent) an item may leave out O(users[].product), the identity provider, or both;
        the module then stops the user's subscriptions wherever it finds them. It lists the identity providers
        (C(ListIdentityProviders), unless the item gives one), reads each once for all such items (every product, or the
        item's product), and gives one entry in RV(results) per product, identity provider (and domain) where the user has a
        subscription, or a single entry with RV(results[].product_subscription={}) when they have none.
        This is how the C(lmus.user_subscriptions.offboard) role stops departing users' subscriptions in one task.
      - One item's failure never stops the others. The task fails at the end when any item failed, with every result returned.
      - An item that repeats an earlier one is handled once, with a warning.
      - Mutually exclusive with O(username) and O(product_user_arn).
    type: list
    elements: dict
    suboptions:
      username:
        description: The Active Directory user name.
        type: str
      product:
        description: The product. With O(state=absent) it may be left out, meaning every product.
        type: str
      domain:
        description: The Active Directory domain of the user.
        type: str
      directory_id:
        description: The directory ID of the identity provider. Mutually exclusive with O(users[].identity_provider).
        type: str
      identity_provider:
        description:
          - The identity provider, as in O(identity_provider). Mutually exclusive with O(users[].directory_id).
        type: dict
      product_user_arn:
        description: The ARN of the subscription (O(state=absent) only). Mutually exclusive with O(users[].username).
        type: str
  concurrency:
    description:
      - Batch mode. How many API calls may be in flight at once (between 1 and 64).
      - The client's connection pool is sized to match.
    type: int
    default: 8
  wait:
    description:
      - Wait until the change settles (C(ACTIVE) for O(state=present), C(INACTIVE) for O(state=absent)),
        polling C(ListProductSubscriptions).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for the change to settle. The task fails when it has not settled by then.
    type: int
    default: 300
notes:
  - Supports check mode and diff mode. In check mode no write call is made and the result shows the predicted state.
  - AWS does not enumerate product subscription statuses. The module counts C(ACTIVE) as subscribed and
    C(INACTIVE) as stopped; for O(state=absent) a subscription in any other status is stopped, and for
    O(state=present) a subscription in any other status is started again.
  - A C(ResourceNotFoundException) from C(StopProductSubscription) means the subscription is already stopped, and is not an error.
  - >-
    C(ThrottlingException) and C(InternalServerException) are retried with jittered exponential backoff,
    on top of botocore's own retries, which also cover dropped connections and read timeouts. botocore runs in
    adaptive mode, whose client-side rate limiting slows the calls down once the service throttles.
    Set O(aws_config) to change that, for example O(aws_config={"retries": {"mode": "standard", "max_attempts": 5}}).
extends_documentation_fragment:
  - lmus.user_subscriptions.identity_provider
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Stop a departing user's Office subscription
  lmus.user_subscriptions.lmus_product_subscription:
    state: absent
    username: jdoe
    domain: corp.example.com
    product: OFFICE_PROFESSIONAL
    directory_id: d-1234567890

- name: Stop a subscription named by its ARN
  lmus.user_subscriptions.lmus_product_subscription:
    state: absent
    product_user_arn: arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:product-user/0123456789abcdef

- name: Subscribe a new starter to Visual Studio Professional
  lmus.user_subscriptions.lmus_product_subscription:
    username: asmith
    domain: corp.example.com
    product: VISUAL_STUDIO_PROFESSIONAL
    directory_id: d-1234567890
    tags:
      cost-center: "4711"

- name: Stop every product of several departing users in one task
  lmus.user_subscriptions.lmus_product_subscription:
    state: absent
    directory_id: d-1234567890
    users:
      - {username: jdoe, product: OFFICE_PROFESSIONAL}
      - {username: jdoe, product: VISUAL_STUDIO_ENTERPRISE}
      - {username: asmith, product: OFFICE_PROFESSIONAL}
  register: stopped

- name: Stop every subscription of departing users, under every identity provider
  lmus.user_subscriptions.lmus_product_subscription:
    state: absent
    users:
      - username: jdoe
      - username: asmith
  register: stopped_everywhere
"""

RETURN = r"""
msg:
  description: What happened, or would happen in check mode; in batch mode, the counts.
  returned: always
  type: str
  sample: "OFFICE_PROFESSIONAL subscription of user 'jdoe' was unsubscribed"
product_subscription:
  description:
    - The subscription after the task (the C(ProductUserSummary) in snake_case), or C({}) when there is none.
    - In check mode, the predicted subscription.
  returned: when O(users) is not set
  type: dict
  contains:
    username:
      description: The user name.
      returned: when there is a subscription
      type: str
      sample: jdoe
    product:
      description: The product.
      returned: when there is a subscription
      type: str
      sample: OFFICE_PROFESSIONAL
    domain:
      description: The user's Active Directory domain.
      returned: when the service returns it
      type: str
      sample: corp.example.com
    status:
      description: The subscription status, for example C(ACTIVE) or C(INACTIVE).
      returned: when there is a subscription
      type: str
      sample: INACTIVE
    status_message:
      description: A message about the status.
      returned: when the service returns it
      type: str
    product_user_arn:
      description: The ARN of the subscription.
      returned: when the service returns it
      type: str
      sample: arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:product-user/0123456789abcdef
    identity_provider:
      description: The identity provider, in snake_case.
      returned: when there is a subscription
      type: dict
      sample: {"active_directory_identity_provider": {"directory_id": "d-1234567890"}}
    subscription_start_date:
      description: When the subscription started.
      returned: when the service returns it
      type: str
      sample: "2026-11-01T09:00:00Z"
    subscription_end_date:
      description: When the subscription ended.
      returned: when the service returns it
      type: str
      sample: "2026-11-25T12:00:00Z"
results:
  description:
    - One entry per item of O(users), in input order.
    - An item without a product or identity provider (see O(users)) has one entry per subscription found, in place,
      or one entry with RV(results[].product_subscription={}) when the user has none.
  returned: when O(users) is set
  type: list
  elements: dict
  contains:
    username:
      description:
        - The user name of the item (found through the ARN for items that give O(users[].product_user_arn)).
        - C(null) for an ARN that was not found.
      returned: always
      type: str
      sample: jdoe
    product:
      description:
        - The product of the item, or of the subscription found; C(null) for an ARN that was not found,
          and for an item without a product whose user was found nowhere (or whose identity provider could not be read).
      returned: always
      type: str
      sample: OFFICE_PROFESSIONAL
    domain:
      description: The domain of the item, if any.
      returned: always
      type: str
      sample: corp.example.com
    changed:
      description: Whether this item changed (or would change, in check mode).
      returned: always
      type: bool
    failed:
      description: Whether this item failed.
      returned: always
      type: bool
    msg:
      description: What happened to this item; for a failure, the AWS error code and message.
      returned: always
      type: str
    code:
      description: For a failure caused by an API error, the AWS error code; otherwise C(null).
      returned: always
      type: str
      sample: AccessDeniedException
      version_added: 0.2.0
    product_subscription:
      description: The subscription after the task, as RV(product_subscription); C({}) when there is none.
      returned: always
      type: dict
summary:
  description: Counts of the entries in RV(results).
  returned: when O(users) is set
  type: dict
  contains:
    total:
      description: Number of entries in RV(results).
      returned: always
      type: int
      sample: 3
    changed:
      description: Items changed (or that would change, in check mode).
      returned: always
      type: int
      sample: 2
    unchanged:
      description: Items already in the desired state.
      returned: always
      type: int
      sample: 1
    failed:
      description: Items that failed.
      returned: always
      type: int
      sample: 0
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.product_subscriptions import ITEM_KEYS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.product_subscriptions import RESULT_FIELDS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.product_subscriptions import ProductSubscriptionKind
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.product_subscriptions import build_target
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.write_modules import run_write_module
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.write_modules import write_argument_spec


def main():
    module = AnsibleAWSModule(
        argument_spec=write_argument_spec(product=dict(type="str"), product_user_arn=dict(type="str")),
        supports_check_mode=True,
        mutually_exclusive=[
            ("directory_id", "identity_provider"),
            ("username", "product_user_arn"),
            ("users", "username"),
            ("users", "product_user_arn"),
        ],
    )
    run_write_module(module, ProductSubscriptionKind(), build_target, ITEM_KEYS, "product_subscription", RESULT_FIELDS)


if __name__ == "__main__":
    main()
