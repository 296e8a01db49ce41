"""The emulator clock: real time plus an offset the admin API can advance.

Every lifecycle decision reads this clock, so a test can jump 14 days ahead and observe expiry
without sleeping, and the same stored facts always produce the same view.
"""

from __future__ import annotations

import time


class Clock:
    """Milliseconds since the epoch, shifted by ``offset_ms``."""

    def __init__(self, offset_ms: int = 0) -> None:
        self.offset_ms = offset_ms

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.offset_ms

    def advance(self, seconds: float) -> int:
        if seconds < 0:
            raise ValueError("the emulator clock only moves forward")
        self.offset_ms += int(seconds * 1000)
        return self.now_ms()
