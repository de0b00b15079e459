"""Turn messages received from SQS into the event Lambda's SQS integration would send."""

from __future__ import annotations

from typing import Any


def lambda_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }


def receive_batch(
    sqs: Any, queue_url: str, size: int = 10, wait_seconds: int = 0
) -> tuple[dict[str, Any], list[str]]:
    """Up to `size` messages as one Lambda SQS event, and their receipt handles."""
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    messages = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=size,
        AttributeNames=["All"],
        WaitTimeSeconds=wait_seconds,
    ).get("Messages", [])
    records = [lambda_record(m, arn) for m in messages]
    return {"Records": records}, [m["ReceiptHandle"] for m in messages]
