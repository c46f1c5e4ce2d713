"""The console in headless Chromium (Debian's `chromium`, driven by Playwright): every page
renders real data with no JavaScript error; a screenshot of each page lands in tmp_path."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from broker import ProducerRecord
from broker.client import BrokerClient
from tests.console.conftest import (
    ORDER_V3,
    PROTO_TOPIC,
    SAMPLE_S,
    TIMED_TOPIC,
    Keyed,
    Seeded,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def watched(context: Any) -> Any:
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
           if m.type == "error" else None)
    tab.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    tab.problems = problems
    return tab


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = watched(context)
    yield tab
    context.close()
    assert tab.problems == []


def charted(page: Any, series: str, points: int = 2) -> Any:
    """The chart's figure once it holds at least `points` points."""
    figure = page.locator(f'figure[data-series="{series}"]')
    page.wait_for_function(
        f"""() => Number(document.querySelector('figure[data-series="{series}"]')
                 ?.dataset.points || 0) >= {points}""",
        timeout=15_000,
    )
    return figure


def shot(page: Any, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)



def submit(page: Any, button: str) -> None:
    """Click a form's button and wait for the page it loads: a click returns once the
    navigation has committed, before the new page's content is read."""
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()

def test_overview(page: Any, seeded: Seeded, tmp_path: Path) -> None:
    page.goto(f"{seeded.url}/ui")
    rows = page.locator("#subjects-table tbody tr")
    assert rows.count() == 4  # Avro, JSON, Protobuf and the hostile name
    assert "AVRO" in page.locator("#subjects-table").inner_text()
    page.get_by_label("Search subjects").fill("orders")
    assert page.locator("#subjects-table tbody tr:visible").count() == 1
    page.get_by_label("Search subjects").fill("")
    assert "billing" in page.locator("#groups").inner_text()
    assert page.evaluate("window.__xss") is None
    rates = charted(page, "produce")
    assert rates.locator("svg polyline").count() >= 1
    assert "orders: now 0 records/s" in rates.locator("svg").get_attribute("aria-label")
    shot(page, tmp_path, "overview")


def test_subject_page_and_playground(page: Any, seeded: Seeded, tmp_path: Path) -> None:
    page.goto(f"{seeded.url}/ui/subjects/orders-value")
    assert page.locator("article h3").count() == 3
    assert page.locator(".tok-key").count() > 0  # highlighted
    assert page.evaluate("window.__xss") is None
    shot(page, tmp_path, "subject")
    page.get_by_label("Candidate schema").fill(json.dumps(ORDER_V3))
    page.get_by_label("Level").select_option("FORWARD")
    submit(page, "Check")
    verdict = page.locator("#verdict")
    assert "at FORWARD" in verdict.inner_text()
    assert "Compatible" in verdict.inner_text() or "Incompatible" in verdict.inner_text()
    # a field without a default breaks BACKWARD against the latest version (v3)
    breaking = {**ORDER_V3, "fields": [*ORDER_V3["fields"], {"name": "country", "type": "string"}]}
    page.get_by_label("Candidate schema").fill(json.dumps(breaking))
    page.get_by_label("Level").select_option("")
    submit(page, "Check")
    assert "Incompatible at BACKWARD" in page.locator("#verdict").inner_text()
    assert "country" in page.locator("ul.findings").inner_text()
    shot(page, tmp_path, "playground")


def test_json_subject_page(page: Any, seeded: Seeded, tmp_path: Path) -> None:
    page.goto(f"{seeded.url}/ui/subjects/customer-json")
    assert "JSON" in page.locator("table").first.inner_text()
    assert "email" in page.locator("#v2").inner_text()
    shot(page, tmp_path, "subject-json")


def test_diff_shows_the_added_field_and_the_rule(page: Any, seeded: Seeded,
                                                 tmp_path: Path) -> None:
    page.goto(f"{seeded.url}/ui/subjects/orders-value")
    page.get_by_label("Compare version").select_option("2")
    page.get_by_label("with").select_option("3")
    submit(page, "Show diff")
    assert "/diff?from=2&to=3" in page.url
    added = page.locator("td.add").all_inner_texts()
    assert any("region" in text for text in added)
    assert "Incompatible" in page.locator("#verdict").inner_text()
    rule = page.locator("tr.finding-row code.rule").first.inner_text()
    assert rule and rule in page.locator("ul.findings").inner_text()
    shot(page, tmp_path, "diff")


def test_topic_page_events_and_live_lag(page: Any, seeded: Seeded, tmp_path: Path) -> None:
    page.goto(f"{seeded.url}/ui/topics/orders")
    values = page.locator("pre.value").all_inner_texts()
    assert any('"amount": 9.5' in v for v in values)
    assert any("gift <b>wrap</b>" in v for v in values)  # shown as text
    assert page.locator(".event.violation").count() == 1
    page.wait_for_function(
        "document.getElementById('lag-updated').textContent.startsWith('Updated')",
        timeout=10_000,
    )
    lag_row = page.locator("#lag-table tbody tr").first.inner_text()
    assert lag_row.split() == ["billing", "0", "1", "3", "2"]
    shot(page, tmp_path, "topic")
    page.get_by_label("From offset").fill("1")
    page.get_by_label("Records", exact=True).fill("1")
    submit(page, "Show")
    assert page.locator("article.event").count() == 1
    assert "Offset 1" in page.locator("article.event h3").inner_text()


def test_phone_width(browser: Any, seeded: Seeded, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    tab = context.new_page()
    tab.goto(f"{seeded.url}/ui/subjects/orders-value/diff?from=2&to=3")
    width = tab.evaluate("document.documentElement.scrollWidth")
    tab.screenshot(path=str(tmp_path / "diff-phone.png"), full_page=True)
    tab.goto(f"{seeded.url}/ui/topics/orders")
    charted(tab, "lag")
    topic_width = tab.evaluate("document.documentElement.scrollWidth")
    tab.screenshot(path=str(tmp_path / "topic-phone.png"), full_page=True)
    context.close()
    assert width <= 390  # wide tables scroll in their own box, the page does not
    assert topic_width <= 390


def test_topic_charts_draw_lag_and_produce_rate(page: Any, seeded: Seeded,
                                                tmp_path: Path) -> None:
    page.goto(f"{seeded.url}/ui/topics/orders")
    lag = charted(page, "lag")
    assert lag.locator("svg polyline[data-name=billing]").count() == 1
    label = lag.locator("svg").get_attribute("aria-label")
    assert label.startswith("Lag per consumer group (records). billing: now 2 records, highest 2")
    lag.locator("summary").click()
    row = lag.locator("table.figures tbody tr").first.inner_text().split()
    assert row[:4] == ["billing", "2", "2", "2"] and int(row[4]) >= 2
    # a busy topic: three bursts of records, each in its own sampling interval
    with BrokerClient(seeded.url) as broker:
        broker.create_topic("busy")
        for burst in (20, 50, 10):
            time.sleep(SAMPLE_S * 2.5)
            broker.produce("busy", [ProducerRecord(b"x") for _ in range(burst)])
    time.sleep(SAMPLE_S * 2.5)
    page.goto(f"{seeded.url}/ui/topics/busy")
    rate = charted(page, "produce", points=4)
    rate.locator("summary").click()
    cells = rate.locator("table.figures tbody tr").first.inner_text().split()
    assert cells[0] == "busy" and float(cells[2]) > 0  # the highest rate
    assert "No group reads this topic." in page.locator("#lag-table").inner_text()
    shot(page, tmp_path, "topic-charts")


def test_events_from_a_time_and_a_bad_time(page: Any, seeded: Seeded, tmp_path: Path) -> None:
    page.goto(f"{seeded.url}/ui/topics/{TIMED_TOPIC}")
    page.get_by_label("or from time").fill("2023-11-14T22:13:22Z")
    page.get_by_label("Records", exact=True).fill("2")
    submit(page, "Show")
    headings = page.locator("article.event h3").all_inner_texts()
    assert [h.split()[1] for h in headings] == ["2", "3"]
    assert "2023-11-14T22:13:22.000Z" in headings[0]
    shot(page, tmp_path, "events-by-time")
    page.get_by_label("or from time").fill("last tuesday")
    submit(page, "Show")
    alert = page.get_by_role("alert")
    assert "'last tuesday' is not a time" in alert.inner_text()
    assert page.get_by_label("or from time").get_attribute("aria-invalid") == "true"
    # the page answers 400, which Chromium logs as a failed load: that one is expected
    page.problems.remove("console error: Failed to load resource: the server responded with "
                         "a status of 400 (Bad Request)")
    shot(page, tmp_path, "events-bad-time")


def test_protobuf_topic_subject_and_diff(page: Any, seeded: Seeded, tmp_path: Path) -> None:
    page.goto(f"{seeded.url}/ui/topics/{PROTO_TOPIC}")
    values = page.locator("pre.value").all_inner_texts()
    assert [json.loads(v) for v in values][1:] == [{"shipment_id": "s-1", "cents": "250"},
                                                   {"shipment_id": "s-2", "cents": "99"}]
    assert "named by the header, GUID" in page.locator("article.event h3").nth(2).inner_text()
    assert json.loads(values[0])["parcels"] == [{"tracking": "T1", "weight_kg": 1.25}]
    assert page.locator(".event.violation").count() == 0
    shot(page, tmp_path, "topic-protobuf")
    page.goto(f"{seeded.url}/ui/subjects/{PROTO_TOPIC}-value")
    assert page.locator("#v1 .tok-key", has_text="message").count() == 3  # Shipment, Parcel, Refund
    shot(page, tmp_path, "subject-protobuf")
    submit(page, "Show diff")
    assert "FIELD_SCALAR_KIND_CHANGED" in page.locator("tr.finding-row").first.inner_text()
    assert "int64 id = 1;" in page.locator("td.add").first.inner_text()
    shot(page, tmp_path, "diff-protobuf")


def test_a_reader_key_sees_only_its_prefixes(browser: Any, keyed: Keyed,
                                             tmp_path: Path) -> None:
    key, secret = keyed.reader
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  http_credentials={"username": key, "password": secret})
    tab = watched(context)
    try:
        tab.goto(f"{keyed.url}/ui")
        assert tab.locator("#subjects-table tbody").inner_text().split() == [
            "team-a.orders-value", "AVRO", "1", "BACKWARD"]
        assert "team-b" not in tab.locator("main").inner_text()
        assert tab.locator("#groups tbody tr").inner_text().split() == [
            "shared", "team-a.orders", "1"]
        shot(tab, tmp_path, "reader-overview")
        tab.goto(f"{keyed.url}/ui/topics/team-a.orders")
        raw = tab.locator("pre.value.raw").inner_text()
        assert raw == f"schema id {keyed.hidden_id} is not one this key may read"
        assert json.loads(tab.locator("pre.value:not(.raw)").inner_text())["amount"] == 1.5
        charted(tab, "lag")
        shot(tab, tmp_path, "reader-topic")
    finally:
        context.close()
    assert tab.problems == []
