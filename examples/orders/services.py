"""The services of the orders example: what each does with an `order.placed` event."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sdk import Message

__all__ = ["Analytics", "Inventory", "Notification", "UnknownSkuError"]


class UnknownSkuError(Exception):
    """Inventory cannot reserve stock for a SKU it does not carry: no retry will help."""


@dataclass
class Inventory:
    """Reserves stock for every line of an order, all or nothing."""

    stock: dict[str, int]
    reserved: Counter[str] = field(default_factory=Counter)

    def __call__(self, message: Message) -> None:
        items = message.value["data"]["items"]
        for item in items:  # check first, so a failed attempt leaves nothing half-reserved
            if item["sku"] not in self.stock:
                raise UnknownSkuError(f"no stock is kept for {item['sku']!r}")
        for item in items:
            self.stock[item["sku"]] -= item["quantity"]
            self.reserved[item["sku"]] += item["quantity"]


@dataclass
class Notification:
    """Emails the customer once per order: the side effect that must not happen twice."""

    outbox: list[tuple[str, str]] = field(default_factory=list)  # (customer, order) emails sent
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, message: Message) -> None:
        data = message.value["data"]
        with self._lock:
            self.outbox.append((data["customerId"], data["orderId"]))


@dataclass
class Analytics:
    """Revenue per currency, orders per channel and per contract version: rebuildable state."""

    revenue: dict[str, Decimal] = field(default_factory=dict)
    channels: Counter[str] = field(default_factory=Counter)
    versions: Counter[int] = field(default_factory=Counter)
    orders: int = 0

    def __call__(self, message: Message) -> None:
        event: dict[str, Any] = message.value
        data = event["data"]
        self.revenue[data["currency"]] = (
            self.revenue.get(data["currency"], Decimal(0)) + data["total"]
        )
        self.channels[data["channel"]] += 1  # v1 events read as v2 get the default, "web"
        self.versions[event["version"]] += 1
        self.orders += 1

    def totals(self) -> dict[str, Any]:
        return {
            "orders": self.orders,
            "revenue": {c: str(v) for c, v in sorted(self.revenue.items())},
            "channels": dict(sorted(self.channels.items())),
            "versions": dict(sorted(self.versions.items())),
        }
