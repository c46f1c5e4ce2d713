"""The console's pages over plain HTTP: real data, escaped, nothing registered by the playground."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx

from tests.console.conftest import HOSTILE_SUBJECT, ORDER_V3, Seeded


def get(seeded: Seeded, path: str) -> httpx.Response:
    return httpx.get(seeded.url + path, timeout=30)


def test_overview_lists_subjects_topics_and_groups(seeded: Seeded) -> None:
    page = get(seeded, "/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "orders-value" in text and "customer-json" in text
    assert "<td>AVRO</td><td>3</td><td>BACKWARD</td>" in text
    assert "<td>JSON</td><td>2</td>" in text
    assert '<a href="/ui/topics/orders">orders</a></td><td>1</td><td>3</td><td>id</td>' in text
    assert "<td>billing</td>" in text and '<td class="lagging">2</td>' in text
    # an untrusted subject name is shown as text, never as markup
    assert HOSTILE_SUBJECT not in text and "&lt;img src=x onerror=alert(1)&gt;" in text


def test_subject_page_escapes_schema_text(seeded: Seeded) -> None:
    text = get(seeded, "/ui/subjects/orders-value").text
    assert "<script>window.__xss" not in text
    assert "&lt;/pre&gt;&lt;script&gt;" in text
    for schema_id in seeded.order_ids:
        assert f"<td>{schema_id}</td>" in text


def test_diff_anchors_the_breaking_finding_on_its_line(seeded: Seeded) -> None:
    text = get(seeded, "/ui/subjects/orders-value/diff?from=2&to=3").text
    assert "Incompatible" in text and "region" in text
    assert 'class="rule"' in text and 'href="#R' in text


def test_playground_checks_without_registering(seeded: Seeded) -> None:
    before = httpx.get(f"{seeded.url}/subjects/orders-value/versions").json()
    page = httpx.post(f"{seeded.url}/ui/subjects/orders-value/playground",
                      data={"schema": json.dumps({**ORDER_V3, "name": "Order"}),
                            "schema_type": "AVRO", "level": "FORWARD"})
    assert page.status_code == 200 and "at FORWARD" in page.text
    assert httpx.get(f"{seeded.url}/subjects/orders-value/versions").json() == before
    bad = httpx.post(f"{seeded.url}/ui/subjects/orders-value/playground",
                     data={"schema": "{not json", "schema_type": "AVRO"})
    assert bad.status_code == 422 and "Not checked" in bad.text


def test_topic_page_decodes_events_and_marks_contract_failures(seeded: Seeded) -> None:
    text = get(seeded, "/ui/topics/orders").text
    assert "&#34;amount&#34;: 20.0" in text or '"amount": 20.0' in text
    assert "gift &lt;b&gt;wrap&lt;/b&gt;" in text
    assert "Fails the topic's contract" in text
    assert "source=web" in text
    lag = get(seeded, "/ui/topics/orders/lag.json").json()
    assert lag == [{"group": "billing", "partition": 0, "committed": 1, "end": 3, "lag": 2}]


def test_unknown_things_are_404_pages(seeded: Seeded) -> None:
    assert get(seeded, "/ui/subjects/nope").status_code == 404
    assert get(seeded, "/ui/topics/nope").status_code == 404
    assert get(seeded, "/ui/static/../../etc/passwd").status_code == 404
    assert get(seeded, f"/ui/subjects/{quote(HOSTILE_SUBJECT, safe='')}").status_code == 200
