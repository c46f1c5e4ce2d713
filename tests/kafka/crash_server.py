"""The Kafka listener over a broker in `argv[1]` on port `argv[2]`, until killed: the crash
test's child (charter serve's own wiring, without the registry's start-up cost)."""

from __future__ import annotations

import sys
import threading

from broker import Broker
from broker.kafka import KafkaListener, ListenerSettings


def main() -> None:
    broker = Broker(sys.argv[1])
    listener = KafkaListener(broker, ListenerSettings(port=int(sys.argv[2])))
    listener.start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
