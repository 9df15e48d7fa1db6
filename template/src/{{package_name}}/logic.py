"""Business logic: plain typed functions, no AWS event shapes and no AWS SDK.

Replace the example with your own rules; keep this module free of I/O so it stays trivial to test.
"""

from __future__ import annotations

from decimal import Decimal

from .models import Order, PricedOrder, RuntimeConfig


def price_order(order: Order, config: RuntimeConfig) -> PricedOrder:
    """Total an order and flag it for manual review when it reaches the configured threshold."""
    total = sum((item.unit_price * item.quantity for item in order.items), Decimal("0"))
    return PricedOrder(
        order_id=order.order_id,
        total=total,
        item_count=sum(item.quantity for item in order.items),
        needs_review=total >= config.review_threshold,
    )
