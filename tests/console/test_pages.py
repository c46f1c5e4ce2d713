"""The console's pages over plain HTTP: real data, escaped, nothing registered by the playground."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import quote

import httpx
import pytest

from broker import ProducerRecord
from broker.client import BrokerClient
from tests.console.conftest import (
    HOSTILE_SUBJECT,
    ORDER_V3,
    PROTO_TOPIC,
    PROTO_V1,
    TIMED_BASE_MS,
    TIMED_TOPIC,
    Keyed,
    Seeded,
)

OFFSETS = re.compile(r"<h3>Offset (\d+) ")


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


def offsets_shown(text: str) -> list[int]:
    return [int(n) for n in OFFSETS.findall(text)]


def test_events_from_a_time(seeded: Seeded) -> None:
    # the records are one second apart from TIMED_BASE_MS (2023-11-14T22:13:20Z)
    page = get(seeded, f"/ui/topics/{TIMED_TOPIC}?at=2023-11-14T22:13:22Z&count=2")
    assert page.status_code == 200 and offsets_shown(page.text) == [2, 3]
    assert "The first record at or after 2023-11-14T22:13:22.000Z is at offset 2" in page.text
    assert offsets_shown(get(seeded, f"/ui/topics/{TIMED_TOPIC}?at={TIMED_BASE_MS + 2500}"
                                     ).text) == [3, 4]
    zoned = get(seeded, f"/ui/topics/{TIMED_TOPIC}?at={quote('2023-11-14T23:13:21+01:00')}")
    assert offsets_shown(zoned.text) == [1, 2, 3, 4]
    later = get(seeded, f"/ui/topics/{TIMED_TOPIC}?at=2030-01-01T00:00:00Z")
    assert offsets_shown(later.text) == [] and "not written yet" in later.text
    assert "2023-11-14T22:13:24.000Z" in get(seeded, f"/ui/topics/{TIMED_TOPIC}").text


@pytest.mark.parametrize(("query", "message"), [
    ("at=yesterday", "is not a time"),
    ("at=1700000000000000000", "A time in milliseconds must be from 0 to 253402300799999"),
    ("offset=abc", "The offset must be a whole number"),
    ("offset=-1", "The offset must be a whole number"),
    ("offset=1&at=2023-11-14T22:13:22Z", "Give an offset or a time, not both."),
    ("count=0", "The number of records must be from 1 to 200"),
    ("count=5000", "The number of records must be from 1 to 200"),
    ("partition=3", "The partition must be from 0 to 0"),
])
def test_bad_positions_are_explained(seeded: Seeded, query: str, message: str) -> None:
    page = get(seeded, f"/ui/topics/{TIMED_TOPIC}?{query}")
    assert page.status_code == 400
    problem = re.search(r'<p class="verdict bad" role="alert" id="ev-problem">(.*?)</p>',
                        page.text)
    assert problem is not None and message in problem.group(1).replace("&#39;", "'")
    assert 'aria-invalid="true"' in page.text
    assert offsets_shown(page.text) == [0, 1, 2, 3, 4]  # the latest records instead


def test_protobuf_events_are_decoded_with_their_writer_schema(seeded: Seeded) -> None:
    text = get(seeded, f"/ui/topics/{PROTO_TOPIC}").text
    values = [json.loads(v.replace("&#34;", '"'))
              for v in re.findall(r'<pre class="code value"[^>]*>(.*?)</pre>', text, re.S)]
    # a Shipment (message index [0], a Timestamp and a nested Parcel) and a Refund ([1])
    assert values == [
        {"id": "s-1", "shipped_at": "2023-11-14T22:13:20Z",
         "parcels": [{"tracking": "T1", "weight_kg": 1.25}]},
        {"shipment_id": "s-1", "cents": "250"},
        {"shipment_id": "s-2", "cents": "99"},  # named by a GUID header, not the prefix
    ]
    assert text.count(f"schema id {seeded.proto_id} ({PROTO_TOPIC}-value v1)") == 3
    guid = httpx.get(f"{seeded.url}/subjects/{PROTO_TOPIC}-value/versions/1").json()["guid"]
    assert f"named by the header, GUID {guid}" in text


def test_protobuf_subject_diff_and_playground(seeded: Seeded) -> None:
    subject = f"{PROTO_TOPIC}-value"
    page = get(seeded, f"/ui/subjects/{subject}").text
    assert '<span class="tok-key">message</span> Shipment {' in page
    assert '<span class="tok-lit">string</span> id = <span class="tok-num">1</span>;' in page
    diff = get(seeded, f"/ui/subjects/{subject}/diff?from=1&to=2").text
    line = re.search(r'<code class="rule">FIELD_SCALAR_KIND_CHANGED</code> '
                     r'<a href="#R(\d+)">line \d+</a> at <code>#/Shipment/id</code>', diff)
    assert line is not None
    row = re.search(rf'id="R{line.group(1)}">{line.group(1)}</td><td class="code add">(.*?)</td>',
                    diff)
    assert row is not None and "int64</span> id" in row.group(1)
    before = httpx.get(f"{seeded.url}/subjects/{subject}/versions").json()
    checked = httpx.post(f"{seeded.url}/ui/subjects/{subject}/playground",
                         data={"schema": PROTO_V1, "schema_type": "PROTOBUF"})
    assert checked.status_code == 200
    assert "Incompatible</strong> at BACKWARD" in checked.text
    # the finding sits under the candidate's line 7, `string id = 1;`
    assert '<a href="#C7">line 7</a> at <code>#/Shipment/id</code>' in checked.text
    assert re.search(r'id="C7">7</td><td class="code">.*?id = .*?</td></tr>\n'
                     r'<tr class="finding-row">.*?FIELD_SCALAR_KIND_CHANGED', checked.text)
    assert httpx.get(f"{seeded.url}/subjects/{subject}/versions").json() == before


def test_charts_json_carries_lag_and_produce_rate(seeded: Seeded) -> None:
    lag = get(seeded, "/ui/topics/orders/charts.json").json()
    assert lag["interval_s"] == 0.3
    (billing,) = lag["lag"]
    assert billing["name"] == "billing" and billing["points"][-1][1] == 2
    def rate_points() -> list[list[float]]:
        points: list[list[float]] = get(seeded, "/ui/topics/rated/charts.json").json(
        )["produce"][0]["points"]
        return points

    def wait_for(done: object) -> list[list[float]]:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            points = rate_points()
            if callable(done) and done(points):
                return points
            time.sleep(0.2)
        raise AssertionError("the sampler took no sample in 20 s")

    with BrokerClient(seeded.url) as broker:
        broker.create_topic("rated")
        wait_for(lambda p: len(p) >= 1)  # two samples have seen the empty topic
        broker.produce("rated", [ProducerRecord(b"x") for _ in range(30)])
    points = wait_for(lambda p: any(rate > 0 for _, rate in p))
    # one produce call: its 30 records lie between two samples, so one non-zero point, whose
    # rate times the time between those samples gives back the 30 records
    moved = [i for i, (_, rate) in enumerate(points) if rate > 0]
    assert len(moved) == 1 and moved[0] >= 1
    at, rate = points[moved[0]]
    elapsed_s = (at - points[moved[0] - 1][0]) / 1000
    assert abs(rate * elapsed_s - 30) < 0.05
    overview = get(seeded, "/ui/charts.json").json()
    assert "rated" in [s["name"] for s in overview["produce"]]
    assert get(seeded, "/ui/topics/nope/charts.json").status_code == 404


def test_a_reader_key_sees_only_its_prefixes(keyed: Keyed) -> None:
    with httpx.Client(base_url=keyed.url, auth=keyed.reader, timeout=30) as reader:
        overview = reader.get("/ui").text
        assert "team-a.orders-value" in overview and "team-a.orders" in overview
        assert "team-b" not in overview
        assert reader.get("/ui/subjects/team-a.orders-value").status_code == 200
        for path in ("/ui/subjects/team-b.secret-value",
                     "/ui/subjects/team-b.secret-value/diff?from=1&to=1",
                     "/ui/topics/team-b.secret", "/ui/topics/team-b.secret/lag.json",
                     "/ui/topics/team-b.secret/charts.json"):
            refused = reader.get(path)
            assert refused.status_code == 403 and refused.json()["error_code"] == 40301, path
        topic = reader.get("/ui/topics/team-a.orders").text
        assert "&#34;amount&#34;: 1.5" in topic
        assert f"schema id {keyed.hidden_id} is not one this key may read" in topic
        assert "&#34;amount&#34;: 2.5" not in topic and "team-b" not in topic
        charts = reader.get("/ui/charts.json").json()
        assert [s["name"] for s in charts["produce"]] in ([], ["team-a.orders"])
        # the playground is offered exactly when the guard lets its POST through
        page = reader.get("/ui/subjects/team-a.orders-value").text
        post = reader.post("/ui/subjects/team-a.orders-value/playground",
                           data={"schema": json.dumps(ORDER_V3), "schema_type": "AVRO"})
        assert post.status_code in (200, 403)
        assert ('name="schema"' in page) == (post.status_code == 200)
        assert ('id="play-refused"' in page) == (post.status_code == 403)
    with httpx.Client(base_url=keyed.url, auth=keyed.admin, timeout=30) as admin:
        everything = admin.get("/ui").text
        assert "team-b.secret-value" in everything and "team-b.secret" in everything
        assert f"{keyed.hidden_id}" in admin.get("/ui/topics/team-a.orders").text
        assert 'name="schema"' in admin.get("/ui/subjects/team-b.secret-value").text
    assert httpx.get(f"{keyed.url}/ui", timeout=30).status_code == 401
