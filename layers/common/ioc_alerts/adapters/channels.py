"""The two channels: SMS through Amazon SNS, e-mail through Amazon SES (v2).

Errors are sorted here, once: a PermanentDeliveryError (invalid number, rejected address,
rejected message) is recorded as failed and never retried; anything else propagates and is
retried (botocore's own retries first, then SQS redelivery, then the dead-letter queue).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from botocore.exceptions import ClientError

from ioc_alerts.render import Email

# Error codes that no retry can fix: the input itself is refused.
SNS_PERMANENT = frozenset(
    {
        "InvalidParameter",
        "InvalidParameterValue",
        "ParameterValueInvalid",
        "EndpointDisabled",
        "ValidationError",
    }
)
SES_PERMANENT = frozenset(
    {"BadRequestException", "MessageRejected", "BadRequest", "InvalidParameterValue"}
)


class PermanentDeliveryError(Exception):
    """The provider refused this notification for good."""


class OptedOut(Exception):
    """The phone number has opted out of SMS from this account."""


class RateLimiter:
    """At most `per_second` calls per second from this process (0: no limit). Thread-safe."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class SmsChannel:
    def __init__(
        self, sns: Any, *, sender_id: str = "", max_price: str = "", rate: RateLimiter
    ) -> None:
        self._sns = sns
        self._rate = rate
        self._attributes: dict[str, dict[str, str]] = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
        }
        if sender_id:
            self._attributes["AWS.SNS.SMS.SenderID"] = {
                "DataType": "String",
                "StringValue": sender_id,
            }
        if max_price:
            self._attributes["AWS.SNS.SMS.MaxPrice"] = {
                "DataType": "Number",
                "StringValue": max_price,
            }

    def send(self, phone: str, text: str) -> str:
        """Publish the SMS; returns SNS's message id."""
        try:
            if self._sns.check_if_phone_number_is_opted_out(phoneNumber=phone)["isOptedOut"]:
                raise OptedOut("the number has opted out of SMS (SNS opt-out list)")
            self._rate.wait()
            response = self._sns.publish(
                PhoneNumber=phone, Message=text, MessageAttributes=self._attributes
            )
        except ClientError as exc:
            if _code(exc) in SNS_PERMANENT:
                raise PermanentDeliveryError(f"SNS refused the SMS: {_code(exc)}") from exc
            raise
        return str(response["MessageId"])


class EmailChannel:
    def __init__(
        self, ses: Any, *, from_address: str, configuration_set: str, rate: RateLimiter
    ) -> None:
        self._ses = ses
        self._from = from_address
        self._configuration_set = configuration_set
        self._rate = rate

    def send(self, to: str, email: Email, tags: dict[str, str]) -> str:
        """Send through SES v2 with UTF-8 subject and bodies; returns SES's message id."""
        request: dict[str, Any] = {
            "FromEmailAddress": self._from,
            "Destination": {"ToAddresses": [to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": email.text, "Charset": "UTF-8"},
                        "Html": {"Data": email.html, "Charset": "UTF-8"},
                    },
                }
            },
            "EmailTags": [{"Name": k, "Value": v} for k, v in tags.items()],
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        self._rate.wait()
        try:
            response = self._ses.send_email(**request)
        except ClientError as exc:
            if _code(exc) in SES_PERMANENT:
                raise PermanentDeliveryError(f"SES refused the e-mail: {_code(exc)}") from exc
            raise
        return str(response["MessageId"])
