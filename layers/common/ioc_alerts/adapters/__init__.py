"""Adapters at the edges: DynamoDB tables, the SQS queue, SNS/SES channels, the metrics API."""
