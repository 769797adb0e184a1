# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What differs between user associations and product subscriptions: a table of facts.

Everything else (finding records, deciding, writing, waiting, reporting) is the
same code for both, reading its names, API calls and status rules from here.

AWS does not enumerate the status words. A record in a ``present`` word satisfies
state=present; a record in an ``absent`` word needs no removal for state=absent;
a record in any other word (known or not) is removed for state=absent and
replaced for state=present. ``docs/service-assumptions.md`` lists the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import Dict
from typing import Optional

Record = Dict[str, Any]  # one InstanceUserSummary or ProductUserSummary, as the API returns it


@dataclass(frozen=True)
class Resource:
    noun: str  # what one record is, in messages
    place_option: str  # the option naming where a record is, besides its identity provider
    place_field: str  # the same in the API: a record member and a list call parameter
    arn_option: str
    arn_field: str
    result_key: str  # the module's return key for one record
    list_call: str
    list_key: str
    add_call: str
    remove_call: str
    summary_key: str  # the record in a write's answer
    add_what: str  # what a write does, for messages: str.format with username and where
    remove_what: str
    verbs: dict[str, str]  # state -> past participle
    present: tuple[str, ...]  # words that satisfy state=present
    absent: tuple[str, ...]  # words that need no removal for state=absent
    settled: dict[str, str]  # state -> the word a write settles into

    def is_present(self, record: Record) -> bool:
        return record.get("Status") in self.present

    def is_absent(self, record: Record) -> bool:
        return record.get("Status") in self.absent

    def is_settled(self, state: str, records: list[Record]) -> bool:
        """Whether ``records`` (one user's at one place) show the change to ``state`` as done."""
        if state == "absent":
            return all(r.get("Status") == self.settled[state] for r in records)
        return any(r.get("Status") == self.settled[state] for r in records)

    def current(self, records: list[Record]) -> Optional[Record]:
        """The record that best shows the state: a present one first, then a live one, then the last."""
        for wanted in (self.is_present, lambda record: not self.is_absent(record)):
            for record in records:
                if wanted(record):
                    return record
        return records[-1] if records else None


ASSOCIATIONS = Resource(
    noun="association",
    place_option="instance_id",
    place_field="InstanceId",
    arn_option="instance_user_arn",
    arn_field="InstanceUserArn",
    result_key="instance_user",
    list_call="list_user_associations",
    list_key="InstanceUserSummaries",
    add_call="associate_user",
    remove_call="disassociate_user",
    summary_key="InstanceUserSummary",
    add_what="associate user {username!r} with instance {where}",
    remove_what="disassociate user {username!r} from instance {where}",
    verbs=dict(present="associated", absent="disassociated"),
    present=("ASSOCIATED", "ASSOCIATING"),
    absent=("DISASSOCIATED", "DISASSOCIATING"),
    settled=dict(present="ASSOCIATED", absent="DISASSOCIATED"),
)

SUBSCRIPTIONS = Resource(
    noun="product subscription",
    place_option="product",
    place_field="Product",
    arn_option="product_user_arn",
    arn_field="ProductUserArn",
    result_key="product_subscription",
    list_call="list_product_subscriptions",
    list_key="ProductUserSummaries",
    add_call="start_product_subscription",
    remove_call="stop_product_subscription",
    summary_key="ProductUserSummary",
    add_what="start {where} subscription of user {username!r}",
    remove_what="stop {where} subscription of user {username!r}",
    verbs=dict(present="subscribed", absent="unsubscribed"),
    present=("ACTIVE",),
    absent=("INACTIVE",),
    settled=dict(present="ACTIVE", absent="INACTIVE"),
)
