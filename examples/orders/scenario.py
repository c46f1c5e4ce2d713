"""The orders scenario, end to end, against a registry and a broker given by URL.

1. `order-service` registers `order.placed` v1 and publishes orders, one of them a poison pill
   (a SKU the inventory does not carry).
2. `inventory`, `notification` and `analytics` consume in their own groups. The poison pill
   goes to `<topic>.dlq` after its retries while inventory goes on with the rest.
   `notification` dies after emailing but before committing; when it restarts the orders are
   redelivered, and its idempotency store keeps it from emailing anyone twice.
3. A compatible v2 (a `channel` field with a default) is registered mid-run and more orders
   are published with it; every consumer reads both versions (analytics through v2).
4. `analytics` is rebuilt by replaying the topic from the beginning: same totals.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from examples.orders.services import Analytics, Inventory, Notification
from sdk import Consumer, Event, Message, Producer, Registry, Serializer, read_dead_letter

__all__ = ["Outcome", "run"]

HERE = Path(__file__).resolve().parent
SCHEMA_V1 = HERE.parents[1] / "schemas" / "examples" / "order.placed.avsc"
SCHEMA_V2 = HERE / "order.placed.v2.avsc"
PRICES = {
    "SKU-RED-MUG": Decimal("9.50"),
    "SKU-TEA-100": Decimal("4.25"),
    "SKU-KETTLE": Decimal("39.00"),
}
POISON_SKU = "SKU-DISCONTINUED"
PARTITIONS = 3


class _ProcessDied(BaseException):
    """Stands for the notification process dying (not an Exception: nothing catches it)."""


class _DiesBeforeItsFirstCommit(Consumer):
    """The notification consumer's first life: it handles a batch, then dies before committing."""

    def commit(self) -> None:
        raise _ProcessDied


@dataclass
class Outcome:
    published: int = 0
    schema_ids: dict[str, int] = field(default_factory=dict)
    inventory: dict[str, Any] = field(default_factory=dict)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    emails: int = 0
    unique_emails: int = 0
    redelivered_and_skipped: int = 0
    analytics_live: dict[str, Any] = field(default_factory=dict)
    analytics_replayed: dict[str, Any] = field(default_factory=dict)

    def checks(self) -> dict[str, bool]:
        return {
            "the poison pill is the only dead letter": [d["orderId"] for d in self.dead_letters]
            == ["ord-poison"],
            "every order was emailed exactly once": self.emails
            == self.unique_emails
            == self.published,
            "the crash caused redeliveries, all skipped": self.redelivered_and_skipped > 0,
            "both schema versions were consumed": set(self.analytics_live.get("versions", {}))
            == {1, 2},
            "analytics rebuilt by replay has the same totals": self.analytics_live
            == self.analytics_replayed,
        }


def _orders(rng: random.Random, start: int, count: int, *, version: int) -> list[Event]:
    placed = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)
    out: list[Event] = []
    for n in range(start, start + count):
        items = [
            {"sku": sku, "quantity": rng.randint(1, 3), "unitPrice": PRICES[sku]}
            for sku in rng.sample(sorted(PRICES), rng.randint(1, 2))
        ]
        data: dict[str, Any] = {
            "orderId": f"ord-{n}",
            "customerId": f"cus-{rng.randint(1, 5)}",
            "items": items,
            "total": sum((i["unitPrice"] * i["quantity"] for i in items), Decimal("0.00")),
            "currency": rng.choice(["EUR", "EUR", "GBP"]),
            "placedAt": placed + timedelta(minutes=n),
        }
        if version == 2:
            data["channel"] = rng.choice(["web", "app"])
        out.append(Event("order.placed", "/services/orders", data, version=version))
    return out


def _poison() -> Event:
    item = {"sku": POISON_SKU, "quantity": 1, "unitPrice": Decimal("1.00")}
    data = {
        "orderId": "ord-poison",
        "customerId": "cus-1",
        "items": [item],
        "total": Decimal("1.00"),
        "currency": "EUR",
        "placedAt": datetime(2026, 11, 26, 20, 30, tzinfo=UTC),
    }
    return Event("order.placed", "/services/orders", data)


def run(
    registry_url: str,
    broker_url: str,
    work_dir: Path,
    *,
    topic: str = "orders",
    first_orders: int = 20,
    second_orders: int = 10,
    seed: int = 7,
    log: Any = print,
) -> Outcome:
    rng = random.Random(seed)
    outcome = Outcome()
    consumer_options: dict[str, Any] = {"partitions": PARTITIONS}
    if broker_url.startswith("kafka://"):
        consumer_options["session_timeout_ms"] = 6000
    v1 = SCHEMA_V1.read_text()
    v2 = json.loads(SCHEMA_V2.read_text())
    registry = Registry(registry_url)
    store = f"sqlite:///{work_dir / 'notification-handled.db'}"

    def consumer(group: str | None, *, kind: type[Consumer] = Consumer, **extra: Any) -> Consumer:
        return kind(
            broker_url, registry=registry, group=group, topics=[topic], **consumer_options, **extra
        )

    inventory = Inventory({sku: 1000 for sku in PRICES})
    notification = Notification()
    analytics = Analytics()

    # 1. order-service publishes v1 orders and, among them, the poison pill
    first = _orders(rng, 1, first_orders, version=1)
    first.insert(first_orders // 2, _poison())
    writer_v1 = Serializer(registry, topic=topic, schema=v1, auto_register=True)
    with Producer(
        broker_url, registry=registry, serializers={topic: writer_v1}, partitions=PARTITIONS
    ) as order_service:
        for event in first:
            order_service.publish(topic, event, key=event.data["customerId"])
    outcome.schema_ids["v1"] = writer_v1.schema_id
    outcome.published += len(first)
    log(f"order-service: published {len(first)} v1 orders (schema id {writer_v1.schema_id})")

    # 2. the consumers, each in its own group
    with consumer("inventory") as c:
        stats = c.run(inventory, retries=2, backoff_s=0.01, max_messages=len(first))
    log(
        f"inventory: reserved {stats.handled} orders, {stats.dead_lettered} to the DLQ "
        f"after {stats.retries} retries"
    )

    dying = consumer("notification", kind=_DiesBeforeItsFirstCommit)
    try:
        dying.run(notification, idempotency=store, max_messages=len(first))
    except _ProcessDied:
        log(f"notification: died before committing, after emailing {len(notification.outbox)}")
    finally:
        dying.close()
    with consumer("notification") as c:
        stats = c.run(notification, idempotency=store, max_messages=len(first))
    outcome.redelivered_and_skipped = stats.duplicates
    log(
        f"notification: restarted; {stats.duplicates} redelivered orders skipped, "
        f"{stats.handled} emailed"
    )

    with consumer("analytics", reader_schema=v2) as c:
        c.run(analytics, max_messages=len(first))

    # 3. a compatible v2 is registered mid-run; more orders, and everyone reads both versions
    second = _orders(rng, first_orders + 1, second_orders, version=2)
    writer_v2 = Serializer(registry, topic=topic, schema=v2, auto_register=True)
    with Producer(
        broker_url, registry=registry, serializers={topic: writer_v2}, partitions=PARTITIONS
    ) as order_service:
        for event in second:
            order_service.publish(topic, event, key=event.data["customerId"])
    outcome.schema_ids["v2"] = writer_v2.schema_id
    outcome.published += len(second)
    log(
        f"order-service: registered v2 (schema id {writer_v2.schema_id}), "
        f"published {len(second)} orders"
    )
    with consumer("inventory") as c:
        c.run(inventory, retries=2, backoff_s=0.01, max_messages=len(second))
    with consumer("notification") as c:
        c.run(notification, idempotency=store, max_messages=len(second))
    with consumer("analytics", reader_schema=v2) as c:
        c.run(analytics, max_messages=len(second))

    # 4. analytics rebuilt from the beginning of the topic
    rebuilt = Analytics()
    with consumer(None, reader_schema=v2) as c:
        c.seek_to_beginning()
        c.run(rebuilt, max_messages=outcome.published, dead_letter=False)
    log(f"analytics: live {analytics.totals()}")
    log(f"analytics: replay {rebuilt.totals()}")

    with Consumer(
        broker_url, registry=registry, group=None, topics=[f"{topic}.dlq"], **consumer_options
    ) as c:
        got: list[Message] = []
        quiet = 0
        while quiet < 4:  # the DLQ is read until it stays quiet for 4 polls
            batch = c.poll(0.5)
            quiet = 0 if batch else quiet + 1
            got.extend(batch)
    for m in got:
        letter = read_dead_letter(m.headers)
        outcome.dead_letters.append(
            {
                "orderId": m.value["data"]["orderId"],
                "error": letter.error if letter else None,
                "attempts": letter.attempts if letter else None,
            }
        )
    log(f"dead letters: {outcome.dead_letters}")
    outcome.inventory = dict(inventory.reserved)
    outcome.emails = len(notification.outbox)
    outcome.unique_emails = len(set(notification.outbox))
    outcome.analytics_live = analytics.totals()
    outcome.analytics_replayed = rebuilt.totals()
    registry.close()
    return outcome
