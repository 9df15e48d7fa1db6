"""Baseline `standard`: the SQS order handler written the naive standard way, from the Powertools
documentation's own examples, doing the rendered SQS function's work.

boto3 clients built at import; Logger and Metrics (no Tracer); BatchProcessor with a Parser model
per record and process_partial_response; each order priced once through the Idempotency utility
(DynamoDB persistence, a pydantic output serializer, the Lambda context registered); the review
threshold read from an SSM parameter through Parameters, cached for five minutes.
"""

import os
from decimal import Decimal
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.parser.types import Json
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

logger = Logger()
metrics = Metrics()

dynamodb = boto3.client("dynamodb")
ssm = SSMProvider(boto3_client=boto3.client("ssm"))
CONFIG_PARAMETER_NAME = os.environ["CONFIG_PARAMETER_NAME"]


class LineItem(BaseModel):
    sku: str = Field(min_length=1)
    quantity: int = Field(gt=0)
    unit_price: Decimal = Field(ge=0)


class Order(BaseModel):
    order_id: str
    customer_id: str
    items: list[LineItem] = Field(min_length=1)


class OrderRecord(SqsRecordModel):
    body: Json[Order]  # the documented way: the body's JSON parsed into the order


class PricedOrder(BaseModel):
    order_id: str
    total: Decimal
    needs_review: bool


processor = BatchProcessor(event_type=EventType.SQS, model=OrderRecord)
config = IdempotencyConfig(event_key_jmespath="order_id", expires_after_seconds=3600)
persistence_layer = DynamoDBPersistenceLayer(
    table_name=os.environ["IDEMPOTENCY_TABLE_NAME"], boto3_client=dynamodb
)


@idempotent_function(  # type: ignore[untyped-decorator]  # Powertools types it as Any
    data_keyword_argument="order",
    config=config,
    persistence_store=persistence_layer,
    output_serializer=PydanticSerializer(model=PricedOrder),
)
def process_order(order: Order) -> PricedOrder:
    settings: dict[str, str] = ssm.get(CONFIG_PARAMETER_NAME, transform="json", max_age=300)  # type: ignore[assignment]
    total = sum((item.unit_price * item.quantity for item in order.items), Decimal(0))
    priced = PricedOrder(
        order_id=order.order_id,
        total=total,
        needs_review=total >= Decimal(settings["review_threshold"]),
    )
    logger.info("order priced", order_id=priced.order_id, total=str(priced.total))
    metrics.add_metric(name="OrdersPriced", unit=MetricUnit.Count, value=1)
    return priced


def record_handler(record: OrderRecord) -> None:
    process_order(order=record.body)


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    return process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=record_handler, processor=processor, context=context
    )
