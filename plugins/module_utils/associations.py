# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""API calls about user associations and the instances that hold them.

Each call raises LmusError with a message naming the user and the instance.
"""

from .client import LmusErrorHandler
from .client import equals_filters
from .client import paginate
from .client import paginate_for_user
from .client import record_identity
from .client import write_call
from .identity import directory_of


def list_instances(client, instance_id=None):
    """InstanceSummaries from ListInstances, optionally narrowed to one instance."""
    what = f"list instance {instance_id}" if instance_id else "list instances"
    handler = LmusErrorHandler.common_error_handler(what)
    params = dict(Filters=equals_filters(InstanceId=instance_id)) if instance_id else {}
    return handler(paginate)(client, "list_instances", "InstanceSummaries", **params)


def list_user_associations(client, instance_id, identity_provider, username=None):
    """Every InstanceUserSummary on one instance, or only ``username``'s.

    The Username filter only narrows the read: callers match records themselves.
    """
    what = f"list user associations of instance {instance_id} (directory {directory_of(identity_provider)})"

    handler = LmusErrorHandler.common_error_handler(what)
    params = dict(InstanceId=instance_id, IdentityProvider=identity_provider)
    return handler(paginate_for_user)(client, "list_user_associations", "InstanceUserSummaries", username, **params)


def associate_user(client, username, instance_id, identity_provider, domain=None, tags=None):
    """AssociateUser; returns the new InstanceUserSummary.

    None on ConflictException: the user is already associated (or being associated),
    for example because a retried call had already succeeded.
    """
    what = f"associate user {username!r} with instance {instance_id}"
    return write_call(client, "associate_user", what, "InstanceUserSummary", none_on=("ConflictException",),
                      Username=username, InstanceId=instance_id, IdentityProvider=identity_provider, Domain=domain, Tags=tags)


def disassociate_user(client, record):
    """DisassociateUser for one listed record.

    Returns the InstanceUserSummary, or None when the service no longer knows
    the association (ResourceNotFoundException: it is already absent).
    """
    what = f"disassociate user {record['Username']!r} from instance {record['InstanceId']}"
    params = record_identity(record, "InstanceUserArn", "Username", "InstanceId", "IdentityProvider")
    return write_call(client, "disassociate_user", what, "InstanceUserSummary", none_on=("ResourceNotFoundException",), **params)
