"""The console's pages read the broker for the server's own use: `/metrics` counts the
fetches clients make, and a topic page's reads are not among them."""

from __future__ import annotations

import uuid

import httpx

from broker import ProducerRecord
from broker.client import BrokerClient
from tests.kafka.conftest import Serve
from tests.metrics.test_metrics import scrape, value

FETCHED = ("charter_broker_fetched_records_total", "charter_broker_fetched_bytes_total")


def test_topic_pages_are_not_counted_as_fetches_and_a_client_fetch_still_is(
    served: Serve,
) -> None:
    topic = f"kc-{uuid.uuid4().hex[:8]}"
    values = [f"console-{n}" for n in range(5)]
    with BrokerClient(served.url) as client:
        client.create_topic(topic)
        client.produce(topic, [ProducerRecord(v.encode()) for v in values])
        before = scrape(served.url)
        # the recent-schemas table and the event browser: latest, from an offset, a count
        for params in ({}, {"offset": "0"}, {"partition": "0", "count": "3"}):
            page = httpx.get(f"{served.url}/ui/topics/{topic}", params=params, timeout=10)
            assert page.status_code == 200, page.text[-2000:]
            assert values[-1] in page.text  # the page did read the records
        after_pages = scrape(served.url)
        for name in FETCHED:
            assert value(after_pages, name, topic=topic) == value(before, name, topic=topic)

        assert [r.value for r in client.fetch(topic, 0, 0).records] == [v.encode()
                                                                         for v in values]
        after_fetch = scrape(served.url)
        moved = (value(after_fetch, FETCHED[0], topic=topic)
                 - value(after_pages, FETCHED[0], topic=topic))
        assert moved == len(values)
