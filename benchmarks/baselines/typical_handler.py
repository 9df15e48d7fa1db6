"""Baseline `typical`: an SQS order handler as commonly written with Powertools.

Logger, Tracer and Metrics; the batch parsed into pydantic orders by the Powertools parser's SQS
envelope; a boto3 DynamoDB client built at import; one put_item per order.
"""

import os
from decimal import Decimal
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import envelopes, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

logger = Logger()
tracer = Tracer()
metrics = Metrics()

dynamodb = boto3.client("dynamodb")
TABLE_NAME = os.environ.get("ORDERS_TABLE_NAME", "orders")


class LineItem(BaseModel):
    sku: str = Field(min_length=1)
    quantity: int = Field(gt=0)
    unit_price: Decimal = Field(ge=0)


class Order(BaseModel):
    order_id: str
    customer_id: str
    items: list[LineItem] = Field(min_length=1)

    @property
    def total(self) -> Decimal:
        return sum((item.unit_price * item.quantity for item in self.items), Decimal(0))


@tracer.capture_method
def save(order: Order) -> None:
    dynamodb.put_item(
        TableName=TABLE_NAME,
        Item={
            "order_id": {"S": order.order_id},
            "customer_id": {"S": order.customer_id},
            "total": {"N": str(order.total)},
            "lines": {"N": str(len(order.items))},
        },
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_parser(model=Order, envelope=envelopes.SqsEnvelope)
def lambda_handler(orders: list[Order], context: LambdaContext) -> dict[str, Any]:
    for order in orders:
        save(order)
        logger.info("order saved", order_id=order.order_id, total=str(order.total))
        metrics.add_metric(name="OrdersSaved", unit=MetricUnit.Count, value=1)
    return {"batchItemFailures": []}
