"""The console in headless Chromium (Debian's `chromium`, driven by Playwright): every page
renders real data with no JavaScript error; a screenshot of each page lands in tmp_path."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.conftest import ORDER_V3, Seeded

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


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
           if m.type == "error" else None)
    tab.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    tab.problems = problems
    yield tab
    context.close()
    assert problems == []


def shot(page: Any, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


def test_overview(page: Any, seeded: Seeded, tmp_path: Path) -> None:
    page.goto(f"{seeded.url}/ui")
    rows = page.locator("#subjects-table tbody tr")
    assert rows.count() == 3
    assert "AVRO" in page.locator("#subjects-table").inner_text()
    page.get_by_label("Search subjects").fill("orders")
    assert page.locator("#subjects-table tbody tr:visible").count() == 1
    page.get_by_label("Search subjects").fill("")
    assert "billing" in page.locator("#groups").inner_text()
    assert page.evaluate("window.__xss") is None
    shot(page, tmp_path, "overview")


def test_subject_page_and_playground(page: Any, seeded: Seeded, tmp_path: Path) -> None:
    page.goto(f"{seeded.url}/ui/subjects/orders-value")
    assert page.locator("article h3").count() == 3
    assert page.locator(".tok-key").count() > 0  # highlighted
    assert page.evaluate("window.__xss") is None
    shot(page, tmp_path, "subject")
    page.get_by_label("Candidate schema").fill(json.dumps(ORDER_V3))
    page.get_by_label("Level").select_option("FORWARD")
    page.get_by_role("button", name="Check").click()
    verdict = page.locator("#verdict")
    assert "at FORWARD" in verdict.inner_text()
    assert "Compatible" in verdict.inner_text() or "Incompatible" in verdict.inner_text()
    # a field without a default breaks BACKWARD against the latest version (v3)
    breaking = {**ORDER_V3, "fields": [*ORDER_V3["fields"], {"name": "country", "type": "string"}]}
    page.get_by_label("Candidate schema").fill(json.dumps(breaking))
    page.get_by_label("Level").select_option("")
    page.get_by_role("button", name="Check").click()
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
    page.get_by_role("button", name="Show diff").click()
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
    page.get_by_role("button", name="Show").click()
    assert page.locator("article.event").count() == 1
    assert "Offset 1" in page.locator("article.event h3").inner_text()


def test_phone_width(browser: Any, seeded: Seeded, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    tab = context.new_page()
    tab.goto(f"{seeded.url}/ui/subjects/orders-value/diff?from=2&to=3")
    width = tab.evaluate("document.documentElement.scrollWidth")
    tab.screenshot(path=str(tmp_path / "diff-phone.png"), full_page=True)
    context.close()
    assert width <= 390  # wide tables scroll in their own box, the page does not
