"""Baseline `bare`: the least a Python function can do with an SQS batch (the floor)."""

import json


def lambda_handler(
    event: dict[str, list[dict[str, object]]], context: object
) -> dict[str, list[str]]:
    for record in event["Records"]:
        json.loads(str(record["body"]))
    return {"batchItemFailures": []}
