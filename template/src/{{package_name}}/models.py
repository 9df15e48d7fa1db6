"""Business input and output of the function, independent of any AWS event shape.

Validation lives here: a message that does not fit these models is rejected before any logic runs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


class LineItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Z0-9-]+$")
    quantity: int = Field(gt=0, le=10_000)
    unit_price: Money


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    order_id: str = Field(min_length=1, max_length=64)
    customer_id: str = Field(min_length=1, max_length=64)
    items: tuple[LineItem, ...] = Field(min_length=1, max_length=100)


class PricedOrder(BaseModel):
    model_config = ConfigDict(frozen=True)

    order_id: str
    total: Decimal
    item_count: int
    needs_review: bool


class RuntimeConfig(BaseModel):
    """Tunable behaviour, read from SSM Parameter Store so it changes without a deploy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    review_threshold: Money = Decimal("1000.00")
