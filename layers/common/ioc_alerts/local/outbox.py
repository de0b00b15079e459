"""The outbox: every SMS and e-mail that the SNS and SES endpoint actually accepted.

Read from the emulator's own record of what it accepted (moto's /moto-api/data.json, or
LocalStack's /_aws endpoints). For any other endpoint the delivery records stand in: those
marked sent carry the message id SNS or SES returned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import urllib3

from ioc_alerts.adapters.models import DeliveryItem


@dataclass(frozen=True)
class Delivered:
    channel: str  # "sms" | "email"
    to: str
    text: str  # the SMS text, or the e-mail subject
    message_id: str
    html: str | None = None  # the e-mail's HTML body, as accepted


def accepted(endpoint: str) -> list[Delivered] | None:
    """What the endpoint says it accepted, in order; None if it cannot tell."""
    http = urllib3.PoolManager(retries=False, timeout=10.0)
    try:
        response = http.request("GET", f"{endpoint.rstrip('/')}/moto-api/data.json")
        if response.status == 200:
            return _from_moto(json.loads(response.data))
        sms = http.request("GET", f"{endpoint.rstrip('/')}/_aws/sns/sms-messages")
        ses = http.request("GET", f"{endpoint.rstrip('/')}/_aws/ses")
        if sms.status == 200 and ses.status == 200:
            return _from_localstack(json.loads(sms.data), json.loads(ses.data))
    except (urllib3.exceptions.HTTPError, json.JSONDecodeError, ValueError):
        pass
    return None


def _from_moto(data: dict[str, Any]) -> list[Delivered]:
    out = [
        Delivered("sms", m["phone_number"], m["message"], m["message_id"])
        for m in data.get("sns", {}).get("SMS", [])
    ]
    for m in data.get("ses", {}).get("Message", []):
        for to in m.get("destinations", {}).get("ToAddresses", []):
            out.append(Delivered("email", to, m.get("subject", ""), m["id"], m.get("body")))
    return out


def _from_localstack(sms: dict[str, Any], ses: dict[str, Any]) -> list[Delivered]:
    out = [
        Delivered("sms", phone, m.get("Message", ""), m.get("MessageId", ""))
        for phone, messages in sms.get("sms_messages", {}).items()
        for m in messages
    ]
    for m in ses.get("messages", []):
        body = m.get("Body", {})
        for to in m.get("Destination", {}).get("ToAddresses", []):
            out.append(
                Delivered("email", to, m.get("Subject", ""), m.get("Id", ""), body.get("html_part"))
            )
    return out


def from_delivery_records() -> list[Delivered]:
    """The fallback: deliveries recorded as sent, with the provider's message id."""
    return [
        Delivered(
            str(item.channel), str(item.to), str(item.text or ""), str(item.provider_message_id)
        )
        for item in DeliveryItem.scan(DeliveryItem.status == "sent")
    ]
