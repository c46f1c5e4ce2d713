"""Settings for the whole suite."""

from __future__ import annotations

import os

# CLI tests read Rich's plain output; a CI runner that forces colour would put escape codes in it.
for name in ("FORCE_COLOR", "CLICOLOR_FORCE", "PY_COLORS"):
    os.environ.pop(name, None)
