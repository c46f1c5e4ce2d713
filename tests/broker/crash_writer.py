"""A producer process for the crash test: appends numbered records until it is killed.

Usage: python -m tests.broker.crash_writer DATA_DIR
Prints `ack N` after the produce holding record N returned (flush `always`: fsynced).
"""

from __future__ import annotations

import random
import sys

from broker import Broker, ProducerRecord, TopicConfig, UnknownTopicError

TOPIC = "crash"


def main(data_dir: str) -> None:
    broker = Broker(data_dir, maintenance_interval_ms=None)
    try:
        broker.describe_topic(TOPIC)
    except UnknownTopicError:
        broker.create_topic(TOPIC, TopicConfig(segment_bytes=16_384, flush="always"))
    seq = broker.offsets(TOPIC, 0)[1]
    rng = random.Random()
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    while True:
        count = rng.randint(1, 40)
        batch = [
            ProducerRecord(b"%012d" % (seq + i) + bytes(rng.randint(0, 300)), key=b"%d" % i)
            for i in range(count)
        ]
        broker.produce(TOPIC, batch, partition=0)
        seq += count
        out.write(f"ack {seq - 1}\n")
        out.flush()


if __name__ == "__main__":
    main(sys.argv[1])
