# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What differs between user associations and product subscriptions: a table of facts.

Everything else (finding records, deciding, writing, waiting, reporting) is the
same code for both, reading its names, API calls and status rules from here.

AWS does not enumerate the status words, so a record's phase (live, adding,
removing, removed) is decided by evidence: the words AWS's documentation and
samples use, the record's end date, and the word a write itself answers with
(learned for the run). A word nothing explains is UNKNOWN: the modules never
write, nor wait, on it. ``docs/service-assumptions.md`` lists the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import Dict
from typing import Optional

Record = Dict[str, Any]  # one InstanceUserSummary or ProductUserSummary, as the API returns it


# The phases of a record, decided from its status word and its dates (see Resource.phase).
LIVE = "live"  # holds the licence: the user is associated / subscribed
ADDING = "adding"  # on its way to live
REMOVING = "removing"  # on its way to removed
REMOVED = "removed"  # no longer holds the licence (the service may keep listing it)
UNKNOWN = "unknown"  # a status word nobody has told us about, and no date that settles it


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
    words: dict[str, tuple[str, ...]]  # phase -> the status words known to mean it (upper case)
    start_date: str  # the member that says when the record became live
    end_date: str  # the member that says when it was removed
    predicted: dict[str, str]  # state -> the word a check-mode result shows (a prediction, never reported as the service's)

    def word(self, record: Record) -> str:
        return str(record.get("Status") or "").upper()

    def phase(self, record: Record, learned: Optional[dict[str, str]] = None) -> str:
        """The record's phase: from its end date when it has one, else from its status word.

        A record whose end date is set is removed (or being removed, while its word says so),
        whatever its word, unless a live word and a later start date show it was added again.
        A word this run learned from a write's own answer (``learned``) counts as that answer meant.
        """
        word = self.word(record)
        known = next((phase for phase, words in self.words.items() if word in words), None) or (learned or {}).get(word)
        ended = record.get(self.end_date)
        if ended and not (known in (LIVE, ADDING) and str(record.get(self.start_date) or "") > str(ended)):
            return REMOVING if known == REMOVING else REMOVED
        return known or UNKNOWN

    def is_known(self, record: Record, learned: Optional[dict[str, str]] = None) -> bool:
        """Whether the record's status word itself is known (its dates aside)."""
        word = self.word(record)
        return any(word in words for words in self.words.values()) or word in (learned or {})

    def is_settled(self, state: str, records: list[Record], learned: Optional[dict[str, str]] = None) -> bool:
        """Whether ``records`` (one user's at one place) show the change to ``state`` as done; none left counts as removed."""
        phases = [self.phase(r, learned) for r in records]
        if state == "absent":
            return all(phase == REMOVED for phase in phases)
        return LIVE in phases

    def current(self, records: list[Record], learned: Optional[dict[str, str]] = None) -> Optional[Record]:
        """The record that best shows the state: a live one first, then one being added, then any not removed, then the last."""
        for wanted in ((LIVE,), (ADDING,), (UNKNOWN, REMOVING)):
            for record in records:
                if self.phase(record, learned) in wanted:
                    return record
        return records[-1] if records else None


# The products the botocore model lists (StopProductSubscription's Product documentation).
PRODUCTS = ("VISUAL_STUDIO_ENTERPRISE", "VISUAL_STUDIO_PROFESSIONAL", "OFFICE_PROFESSIONAL_PLUS", "OFFICE_STANDARD", "REMOTE_DESKTOP_SERVICES")

# Sources for every word: docs/service-assumptions.md.
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
    words={LIVE: ("ASSOCIATED",), ADDING: ("ASSOCIATING",), REMOVING: ("DISASSOCIATING",), REMOVED: ("DISASSOCIATED",)},
    start_date="AssociationDate",
    end_date="DisassociationDate",
    predicted=dict(present="ASSOCIATED", absent="DISASSOCIATED"),
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
    # SUBSCRIBED / UNSUBSCRIBED: the user guide and AWS's samples; ACTIVE / PENDING / INACTIVE: the samples' printed help only.
    words={LIVE: ("SUBSCRIBED", "ACTIVE"), ADDING: ("PENDING",), REMOVING: (), REMOVED: ("UNSUBSCRIBED", "INACTIVE")},
    start_date="SubscriptionStartDate",
    end_date="SubscriptionEndDate",
    predicted=dict(present="SUBSCRIBED", absent="UNSUBSCRIBED"),
)
