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
  - lmus.user_subscriptions contributors
options:
  state:
    description:
      - V(present) associates the user with the instance, V(absent) disassociates them.
    type: str
    choices: [present, absent]
    default: present
  username:
    description:
      - The Active Directory user name.
      - Required unless O(instance_user_arn) names the association.
    type: str
  instance_id:
    description:
      - The EC2 instance that provides user-based subscriptions, V(i-) followed by 8 or 17 hex digits.
      - Required unless O(instance_user_arn) names the association. With O(instance_user_arn) it narrows the search to one instance.
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
    on top of botocore's own retries (standard mode), which also cover dropped connections and read timeouts.
    Set O(aws_config) to change botocore's retry mode, for example O(aws_config={"retries": {"mode": "adaptive"}})
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
  returned: always
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
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.client import connect
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.identity import identity_argument_spec
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.instance_users import InstanceUserKind
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.instance_users import build_target
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.instance_users import to_result
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.reconcile import Reconciler
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.validation import LmusInputError


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        username=dict(type="str"),
        instance_id=dict(type="str"),
        domain=dict(type="str"),
        instance_user_arn=dict(type="str"),
        tags=dict(type="dict"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        **identity_argument_spec(),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("directory_id", "identity_provider"), ("username", "instance_user_arn")],
    )
    state = module.params["state"]

    try:
        if module.params["wait_timeout"] < 1:
            raise LmusInputError(f"wait_timeout: must be at least 1 second, got {module.params['wait_timeout']}")
        target = build_target(0, module.params, state)
    except LmusInputError as e:
        module.fail_json(msg=str(e))

    reconciler = Reconciler(
        InstanceUserKind(),
        connect(module),
        state,
        check_mode=module.check_mode,
        wait=module.params["wait"],
        wait_timeout=module.params["wait_timeout"],
    )
    outcome = reconciler.run([target])[0]

    if outcome.failed:
        if outcome.error is not None:
            module.fail_json_aws_error(outcome.error)
        module.fail_json(msg=outcome.msg, changed=outcome.changed, instance_user=to_result(outcome.after))

    result = dict(changed=outcome.changed, msg=outcome.msg, instance_user=to_result(outcome.after))
    if module._diff:
        result["diff"] = dict(before=to_result(outcome.before), after=to_result(outcome.after))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
