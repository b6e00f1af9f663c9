"""Rate limits and the device cache, with the clock as a parameter."""

from __future__ import annotations

import pytest

from fabdesk.api.deps import DeviceCache
from fabdesk.api.limits import RateLimiter, TooManyRequests
from fabdesk.usage.devices import AuthenticatedDevice


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=3, monotonic=clock)
    for _ in range(3):
        limiter.take(1)
    with pytest.raises(TooManyRequests) as raised:
        limiter.take(1)
    assert raised.value.retry_after == 1
    limiter.take(2)  # another device has its own allowance
    clock.now += 0.5
    limiter.take(1)
    with pytest.raises(TooManyRequests):
        limiter.take(1)


def test_a_quiet_spell_refills_only_up_to_the_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=1.0, burst=2, monotonic=clock)
    clock.now += 3600
    limiter.take(1)
    limiter.take(1)
    with pytest.raises(TooManyRequests):
        limiter.take(1)


def test_the_device_cache_forgets_after_its_ttl() -> None:
    clock = Clock()
    cache = DeviceCache(2.0, monotonic=clock)
    device = AuthenticatedDevice(device_id=1, equipment_id=2, equipment_tag="CF1-00001-R")
    cache.put("digest", device)
    assert cache.get("digest") == device
    clock.now += 2.5
    assert cache.get("digest") is None


def test_no_cache_at_zero() -> None:
    cache = DeviceCache(0)
    cache.put("digest", AuthenticatedDevice(1, 2, "x"))
    assert cache.get("digest") is None
