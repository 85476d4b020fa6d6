"""Wait for a condition, not for a time: a sleep is either too short on a loaded machine or wasted on an idle one."""

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], timeout_s: float = 120, interval_s: float = 0.05) -> bool:
    """Poll `condition` until it is true or `timeout_s` (a generous bound, not a timing claim) has passed;
    returns whether it came true, for the caller to assert with its own message."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return bool(condition())
        time.sleep(interval_s)
    return True
