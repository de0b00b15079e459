"""The DynamoDB tables as pynamodb models: the one source of truth for keys, indexes and TTL.

`template.yaml` declares the same tables; tests/aws/test_template_tables.py compares the two
so they cannot drift. Table names come from settings at run time (`bind_tables`).
"""

from __future__ import annotations

import os
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ioc_alerts.adapters.aws import share_session


class _Meta:
    region = "ap-southeast-1"
    billing_mode = "PAY_PER_REQUEST"
    max_pool_connections = 32


class ContactAttribute(MapAttribute[str, Any]):
    contact_id = UnicodeAttribute()
    name = UnicodeAttribute()
    title = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)


class UnitItem(Model):
    """A unit of the directory with its leader representatives."""

    class Meta(_Meta):
        table_name = "ioc-alerts-directory"

    code = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    short_name = UnicodeAttribute(null=True)
    level = UnicodeAttribute()
    parent = UnicodeAttribute(null=True)
    contacts = ListAttribute(of=ContactAttribute, default=list)
    updated_at = UTCDateTimeAttribute()


class BreachesByDate(GlobalSecondaryIndex["BreachItem"]):
    """Every breach of one Vietnam date, by unit."""

    class Meta:
        index_name = "by_date"
        projection = AllProjection()

    date = UnicodeAttribute(hash_key=True)
    unit = UnicodeAttribute(range_key=True)


class RecipientAttribute(MapAttribute[str, Any]):
    contact_id = UnicodeAttribute()
    name = UnicodeAttribute()
    channels = ListAttribute(of=UnicodeAttribute)


class BreachItem(Model):
    """One breach: (rule, subject, Vietnam date), stored under the unit it is about.

    Query a unit's history by `unit`, one day's breaches through the `by_date` index.
    """

    class Meta(_Meta):
        table_name = "ioc-alerts-breaches"

    unit = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)  # "<date>#<rule>#<subject>"
    date = UnicodeAttribute()
    rule = UnicodeAttribute()
    variant = UnicodeAttribute()
    subject = UnicodeAttribute()
    value = NumberAttribute()
    threshold = NumberAttribute()
    text = UnicodeAttribute()  # the SMS text as rendered on the day
    encoding = UnicodeAttribute()
    segments = NumberAttribute()
    portal_name = UnicodeAttribute(null=True)
    portal_url = UnicodeAttribute(null=True)
    last_published_on = UnicodeAttribute(null=True)
    routing = UnicodeAttribute()  # own_unit | parent_of_commune
    recipient_unit = UnicodeAttribute(null=True)
    recipients = ListAttribute(of=RecipientAttribute, default=list)
    notifications = NumberAttribute()
    status = UnicodeAttribute()  # routed (notifications queued) | unroutable
    unroutable_reason = UnicodeAttribute(null=True)
    run_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
    by_date = BreachesByDate()


class RunItem(Model):
    """One check run of a rule for a Vietnam date: the lock that makes a day's run once-only."""

    class Meta(_Meta):
        table_name = "ioc-alerts-runs"

    rule = UnicodeAttribute(hash_key=True)
    date = UnicodeAttribute(range_key=True)
    run_id = UnicodeAttribute()
    # Lambda's request id: its own retries keep it, so a retry can take over at once.
    invocation_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # running | completed | failed
    lease_until = UTCDateTimeAttribute()
    started_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    correlation_id = UnicodeAttribute(null=True)
    records = NumberAttribute(default=0)
    breaches = NumberAttribute(default=0)
    notifications = NumberAttribute(default=0)
    error = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


class DeliveriesByBreach(GlobalSecondaryIndex["DeliveryItem"]):
    """Every delivery of one breach."""

    class Meta:
        index_name = "by_breach"
        projection = AllProjection()

    breach_id = UnicodeAttribute(hash_key=True)
    notification_id = UnicodeAttribute(range_key=True)


class DeliveriesByRecipient(GlobalSecondaryIndex["DeliveryItem"]):
    """Every delivery to one phone number or e-mail address, newest last."""

    class Meta:
        index_name = "by_recipient"
        projection = AllProjection()

    to = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class DeliveryItem(Model):
    """One notification's delivery, and the guard that sends it at most once.

    status: sending (claimed, lease until lease_until) -> sent | failed | opted_out | dry_run,
    or -> retrying (a transient error; SQS delivers it again) | dead_letter (last attempt).
    """

    class Meta(_Meta):
        table_name = "ioc-alerts-deliveries"

    notification_id = UnicodeAttribute(hash_key=True)
    breach_id = UnicodeAttribute()
    rule = UnicodeAttribute()
    unit = UnicodeAttribute()
    recipient_unit = UnicodeAttribute()
    contact_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    to = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    lease_until = UTCDateTimeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)
    provider_message_id = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)  # the SMS text, or the e-mail subject
    encoding = UnicodeAttribute(null=True)
    segments = NumberAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()
    by_breach = DeliveriesByBreach()
    by_recipient = DeliveriesByRecipient()


TABLE_MODELS: dict[str, type[Model]] = {
    "directory": UnitItem,
    "breaches": BreachItem,
    "runs": RunItem,
    "deliveries": DeliveryItem,
}


_bound: dict[str, tuple[str, str, str | None]] = {}


def bind_tables(names: dict[str, str], region: str) -> None:
    """Point the models at the deployed tables (names and region from settings), and create
    their DynamoDB clients here, once, from the process's shared AWS session: pynamodb creates
    them lazily, and threads racing to do so would each build a client and a botocore
    session of their own (7 MB of endpoint data each)."""
    # botocore reads a custom endpoint (a local emulator) from the environment.
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL")
    for key, name in names.items():
        model = TABLE_MODELS[key]
        if _bound.get(key) == (name, region, endpoint) and model._connection:
            continue
        _bound[key] = (name, region, endpoint)
        model.Meta.table_name = name
        model.Meta.region = region
        model._connection = None  # a table name or region bound earlier must not linger
        connection = model._get_connection().connection
        share_session(connection, region)
        connection.client  # noqa: B018 (creates the client)
