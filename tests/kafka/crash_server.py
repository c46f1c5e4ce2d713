"""The crash test's children: the Kafka listener over a broker in `argv[1]` (charter serve's
own wiring, without the registry's start-up cost), one per trial, each killed by the test.

This process imports everything once and forks a child per line on stdin (the line is the
port), so a trial costs a fork and the broker's recovery, not an interpreter's start. It holds
no thread of its own when it forks. Each child prints `ready PID` once it listens; children are
reaped by the kernel (SIGCHLD ignored), so the test sees a killed child gone at once.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from broker import Broker
from broker.kafka import KafkaListener, ListenerSettings


def _child(data_dir: str, port: int) -> None:
    broker = Broker(data_dir)
    listener = KafkaListener(broker, ListenerSettings(port=port))
    listener.start()
    print(f"ready {os.getpid()}", flush=True)
    threading.Event().wait()


def main() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    print("zygote", flush=True)
    for line in sys.stdin:
        if os.fork() == 0:
            try:
                _child(sys.argv[1], int(line))
            finally:
                os._exit(1)


if __name__ == "__main__":
    main()
