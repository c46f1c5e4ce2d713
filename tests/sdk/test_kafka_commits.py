"""The Kafka transport's commits that go without waiting: a commit refused in flight is not
lost, on close or when its partition is revoked.

librdkafka cannot be made to refuse one commit on cue, so the consumer's inner client is
replaced, after a real one was made, by one that records what it is asked."""

from __future__ import annotations

from typing import Any

from confluent_kafka import KafkaError
from confluent_kafka import TopicPartition as KafkaTopicPartition

from sdk.transports.kafka import KafkaConsumer


class _Recording:
    def __init__(self, assigned: list[tuple[str, int]]) -> None:
        self.assigned = assigned
        self.calls: list[tuple[str, list[tuple[str, int, int]], bool]] = []

    def commit(self, *, offsets: list[KafkaTopicPartition], asynchronous: bool) -> None:
        self.calls.append(
            ("commit", [(tp.topic, tp.partition, tp.offset) for tp in offsets], asynchronous)
        )

    def assignment(self) -> list[KafkaTopicPartition]:
        return [KafkaTopicPartition(t, p) for t, p in self.assigned]

    def close(self) -> None:
        self.calls.append(("close", [], False))


def _consumer(assigned: list[tuple[str, int]]) -> tuple[KafkaConsumer, _Recording]:
    consumer = KafkaConsumer(
        "kafka://127.0.0.1:1", "g", ["t"], "earliest", auto_create_topics=False
    )
    consumer._consumer.close()
    fake = _Recording(assigned)
    consumer._consumer = fake
    return consumer, fake


def _timed_out() -> Any:
    return KafkaError(KafkaError.REQUEST_TIMED_OUT)


def test_a_commit_refused_in_flight_is_committed_again_on_close() -> None:
    consumer, fake = _consumer([("t", 0)])
    consumer.commit({("t", 0): 42})
    assert fake.calls == [("commit", [("t", 0, 42)], True)]
    consumer._on_commit(_timed_out(), [])
    consumer.close()
    assert fake.calls[1:] == [("commit", [("t", 0, 42)], False), ("close", [], False)]


def test_an_answered_commit_is_not_sent_again_on_close() -> None:
    consumer, fake = _consumer([("t", 0)])
    consumer.commit({("t", 0): 7})
    consumer._on_commit(None, [KafkaTopicPartition("t", 0, 7)])
    consumer.close()
    assert fake.calls == [("commit", [("t", 0, 7)], True), ("close", [], False)]


def test_a_revoke_commits_what_is_in_flight_for_the_partitions_going() -> None:
    consumer, fake = _consumer([("t", 0), ("t", 1)])
    consumer.commit({("t", 0): 5, ("t", 1): 9})
    consumer._on_revoke(fake, [KafkaTopicPartition("t", 1)])
    assert fake.calls[-1] == ("commit", [("t", 1, 9)], False)
    # the commit in flight then fails: partition 1 is no longer ours to commit
    consumer._on_commit(_timed_out(), [])
    fake.assigned = [("t", 0)]
    consumer.close()
    assert fake.calls[-2:] == [("commit", [("t", 0, 5)], False), ("close", [], False)]
