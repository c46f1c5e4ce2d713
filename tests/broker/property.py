from __future__ import annotations

import os


def examples(default: int) -> int:
    """Hypothesis examples per property: bounded unless CHARTER_PROPERTY_EXAMPLES says more."""
    return int(os.environ.get("CHARTER_PROPERTY_EXAMPLES", default))
