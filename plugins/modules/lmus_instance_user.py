#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: lmus_instance_user
version_added: 0.1.0
short_description: Associate users with, or disassociate them from, EC2 instances that provide user-based subscriptions
description:
  - Makes sure an Active Directory user is associated with (O(state=present), C(AssociateUser)) or
    disassociated from (O(state=absent), C(DisassociateUser)) an EC2 instance that provides
    AWS License Manager user-based subscriptions.
  - Idempotent. The module reads the instance's associations (C(ListUserAssociations)) first and writes
    only when the state differs, so a second identical run reports RV(ignore:changed=false) and makes no write call.
  - Disassociating a user from an instance does B(not) stop their product subscription, and billing goes on
    until it is stopped too (see M(lmus.user_subscriptions.lmus_product_subscription)).
author:
  - lmus.user_subscriptions maintainers (@lmus)
requirements:
  - botocore >= 1.35.61 (for DisassociateUser's InstanceUserArn)
options:
  state:
    description:
      - V(present) associates the user with the instance, V(absent) disassociates them.
    type: str
    choices: [present, absent]
    default: present
  username:
    description:
      - The Active Directory user name, matched exactly (case included), as the service's C(Username) filter does.
      - Required unless O(instance_user_arn) names the association.
    type: str
  instance_id:
    description:
      - The EC2 instance that provides user-based subscriptions, V(i-) followed by 8 or 17 hex digits.
      - Required unless O(instance_user_arn) names the association. With O(instance_user_arn) it narrows the search to one instance.
      - May be left out of an item of O(users) with O(state=absent), see O(users).
    type: str
  domain:
    description:
      - The Active Directory domain of the user.
      - When omitted, a user name matches the user's associations in any domain.
      - Compared without regard to case.
    type: str
  instance_user_arn:
    description:
      - The ARN of the association, as returned in RV(instance_user.instance_user_arn).
      - Only with O(state=absent). The module still reads first, finding the association through
        C(ListInstances) and C(ListUserAssociations), so check mode and idempotency hold.
      - Mutually exclusive with O(username).
    type: str
  tags:
    description:
      - Tags for a new association, passed to C(AssociateUser).
      - Only with O(state=present). Tags are set when the association is made; the tags of an existing association are not changed.
    type: dict
  users:
    description:
      - Batch mode. Each item is one association to make present or absent, all in one task run;
        the instance's associations are read once per instance and identity provider, not once per user,
        and writes run with at most O(concurrency) calls in flight.
      - The top-level O(username), O(instance_id), O(domain), O(directory_id), O(identity_provider), O(instance_user_arn)
        and O(tags) are defaults for every item. An item's O(users[].directory_id) or O(users[].identity_provider)
        replaces the top-level identity provider as a whole.
      - With O(state=absent) an item may leave out O(users[].instance_id), the identity provider, or both;
        the module then removes the user wherever it finds them. It lists the instances with C(ListInstances)
        (one call for every such item, or, when each names its instance, one per instance), keeps those with the item's
        identity provider if it gives one, reads each instance once for all such items, and gives one entry in RV(results)
        per instance (and domain) where the user has an association, or a single entry with RV(results[].instance_user={})
        when they have none.
        This is how the C(lmus.user_subscriptions.offboard) role removes departing users in one task.
      - One item's failure never stops the others. The task fails at the end when any item failed, with every result returned.
      - An item that repeats an earlier one is handled once, with a warning.
      - Mutually exclusive with O(username) and O(instance_user_arn).
    type: list
    elements: dict
    suboptions:
      username:
        description: The Active Directory user name.
        type: str
      instance_id:
        description: The EC2 instance. With O(state=absent) it may be left out, meaning every instance.
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
      instance_user_arn:
        description: The ARN of the association (O(state=absent) only). Mutually exclusive with O(users[].username).
        type: str
  concurrency:
    description:
      - Batch mode. How many API calls may be in flight at once (between 1 and 64).
      - The client's connection pool is sized to match.
    type: int
    default: 8
  wait:
    description:
      - Wait until the change settles, that is until the association is C(ASSOCIATED) (O(state=present))
        or C(DISASSOCIATED) (O(state=absent)), polling C(ListUserAssociations).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for the change to settle. The task fails when it has not settled by then.
    type: int
    default: 300
notes:
  - Supports check mode and diff mode. In check mode no write call is made and RV(instance_user) shows the predicted state.
  - AWS does not enumerate association statuses. The module counts C(ASSOCIATED) and C(ASSOCIATING) as present,
    C(DISASSOCIATED) and C(DISASSOCIATING) as absent; a record in any other status is treated as present for
    O(state=absent) (it is disassociated) and as absent for O(state=present) (the user is associated again).
  - Disassociated records may still be listed by the service; the module decides from their status.
  - A C(ResourceNotFoundException) from C(DisassociateUser) means the association is already gone, and is not an error.
  - >-
    C(ThrottlingException) and C(InternalServerException) are retried with jittered exponential backoff,
    on top of botocore's own retries, which also cover dropped connections and read timeouts. botocore runs in
    adaptive mode, whose client-side rate limiting slows the calls down once the service throttles.
    Set O(aws_config) to change that, for example O(aws_config={"retries": {"mode": "standard", "max_attempts": 5}})
    for client-side rate limiting.
  - Reading associations uses the C(Username) filter of C(ListUserAssociations) to narrow the read, and
    always matches the returned records itself.
extends_documentation_fragment:
  - lmus.user_subscriptions.identity_provider
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Remove a departing user from an instance
  lmus.user_subscriptions.lmus_instance_user:
    state: absent
    username: jdoe
    domain: corp.example.com
    instance_id: i-0123456789abcdef0
    directory_id: d-1234567890

- name: Remove an association named by its ARN, without waiting for it to settle
  lmus.user_subscriptions.lmus_instance_user:
    state: absent
    instance_user_arn: arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:instance-user/0123456789abcdef
    wait: false

- name: Give a user access to an instance, with tags for the new association
  lmus.user_subscriptions.lmus_instance_user:
    username: asmith
    domain: corp.example.com
    instance_id: i-0123456789abcdef0
    identity_provider:
      active_directory_identity_provider:
        directory_id: d-1234567890
        active_directory_type: AWS_MANAGED
    tags:
      ticket: HR-1234
  register: association

- name: Remove several departing users from their instances in one task
  lmus.user_subscriptions.lmus_instance_user:
    state: absent
    directory_id: d-1234567890
    domain: corp.example.com
    concurrency: 16
    users:
      - {username: jdoe, instance_id: i-0123456789abcdef0}
      - {username: jdoe, instance_id: i-0fedcba9876543210}
      - {username: asmith, instance_id: i-0123456789abcdef0}
      - {instance_user_arn: "arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:instance-user/0123456789abcdef"}
  register: offboarded

- name: Remove departing users from every instance they are on, whatever its identity provider
  lmus.user_subscriptions.lmus_instance_user:
    state: absent
    users:
      - username: jdoe
      - username: asmith
  register: removed_everywhere

- name: List where they were found (one result per association)
  ansible.builtin.debug:
    msg: "{{ removed_everywhere.results | selectattr('changed') | map(attribute='instance_id') | list }}"

- name: Show the batch summary
  ansible.builtin.debug:
    msg: "{{ offboarded.summary }}"

- name: Show what would be removed, without removing it
  lmus.user_subscriptions.lmus_instance_user:
    state: absent
    username: jdoe
    instance_id: i-0123456789abcdef0
    directory_id: d-1234567890
  check_mode: true
  diff: true
"""

RETURN = r"""
msg:
  description: What happened, or would happen in check mode.
  returned: always
  type: str
  sample: "user 'jdoe' on instance i-0123456789abcdef0 was disassociated"
instance_user:
  description:
    - The association after the task (the C(InstanceUserSummary) in snake_case), or C({}) when there is none.
    - In check mode, the predicted association.
  returned: when O(users) is not set
  type: dict
  contains:
    username:
      description: The user name.
      returned: when there is an association
      type: str
      sample: jdoe
    instance_id:
      description: The EC2 instance.
      returned: when there is an association
      type: str
      sample: i-0123456789abcdef0
    domain:
      description: The user's Active Directory domain.
      returned: when the service returns it
      type: str
      sample: corp.example.com
    status:
      description: The association status, for example C(ASSOCIATED), C(ASSOCIATING), C(DISASSOCIATING) or C(DISASSOCIATED).
      returned: when there is an association
      type: str
      sample: DISASSOCIATED
    status_message:
      description: A message about the status.
      returned: when the service returns it
      type: str
    instance_user_arn:
      description: The ARN of the association.
      returned: when the service returns it
      type: str
      sample: arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:instance-user/0123456789abcdef
    identity_provider:
      description: The identity provider, in snake_case.
      returned: when there is an association
      type: dict
      sample: {"active_directory_identity_provider": {"directory_id": "d-1234567890"}}
    association_date:
      description: When the user was associated.
      returned: when the service returns it
      type: str
      sample: "2026-11-25T10:00:00Z"
    disassociation_date:
      description: When the user was disassociated.
      returned: when the service returns it
      type: str
      sample: "2026-11-25T12:00:00Z"
results:
  description:
    - One entry per item of O(users), in input order.
    - An item without an instance (see O(users)) has one entry per instance where the user was found, in place,
      or one entry with RV(results[].instance_id=null) and RV(results[].instance_user={}) when they were found nowhere.
  returned: when O(users) is set
  type: list
  elements: dict
  contains:
    username:
      description:
        - The user name of the item (found through the ARN for items that give O(users[].instance_user_arn)).
        - C(null) for an ARN that was not found.
      returned: always
      type: str
      sample: jdoe
    instance_id:
      description:
        - The instance of the item, or where the user was found; C(null) for an ARN that was not found,
          and for an item without an instance whose user was found nowhere (or when the instances could not be listed).
      returned: always
      type: str
      sample: i-0123456789abcdef0
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
      sample: "user 'jdoe' on instance i-0123456789abcdef0 was disassociated"
    code:
      description: For a failure caused by an API error, the AWS error code; otherwise C(null).
      returned: always
      type: str
      sample: AccessDeniedException
      version_added: 0.2.0
    instance_user:
      description: The association after the task, as RV(instance_user); C({}) when there is none.
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
      sample: 4
    changed:
      description: Items changed (or that would change, in check mode).
      returned: always
      type: int
      sample: 3
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

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.instance_users import ITEM_KEYS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.instance_users import RESULT_FIELDS
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.instance_users import InstanceUserKind
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.instance_users import build_target
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.write_modules import run_write_module
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.write_modules import write_argument_spec


def main():
    module = AnsibleAWSModule(
        argument_spec=write_argument_spec(instance_id=dict(type="str"), instance_user_arn=dict(type="str")),
        supports_check_mode=True,
        mutually_exclusive=[
            ("directory_id", "identity_provider"),
            ("username", "instance_user_arn"),
            ("users", "username"),
            ("users", "instance_user_arn"),
        ],
    )
    run_write_module(module, InstanceUserKind(), build_target, ITEM_KEYS, "instance_user", RESULT_FIELDS)


if __name__ == "__main__":
    main()
