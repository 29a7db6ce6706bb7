"""Login throttling per name and address."""

from __future__ import annotations

from wardgate.console.ratelimit import LoginThrottle


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_pair_limit_and_its_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(3, 60, clock=clock)
    for _ in range(3):
        assert throttle.retry_after("ada", "1.2.3.4") == 0
        throttle.failed("ada", "1.2.3.4")
    assert 59 < throttle.retry_after("ada", "1.2.3.4") <= 60
    assert throttle.retry_after("ada", "5.6.7.8") == 0  # another address is not held up
    assert throttle.retry_after("bob", "1.2.3.4") == 0
    clock.now += 61
    assert throttle.retry_after("ada", "1.2.3.4") == 0


def test_one_address_spraying_names_is_held() -> None:
    throttle = LoginThrottle(2, 60, clock=Clock())
    for i in range(8):
        throttle.failed(f"user{i}", "9.9.9.9")
    assert throttle.retry_after("fresh-name", "9.9.9.9") > 0


def test_many_addresses_on_one_name_are_held_later() -> None:
    throttle = LoginThrottle(2, 60, clock=Clock())
    for i in range(20):
        throttle.failed("ADA", f"10.0.0.{i}")
    assert throttle.retry_after("ada", "10.9.9.9") > 0  # names compare case-insensitively


def test_success_clears_the_pair_and_memory_is_bounded() -> None:
    throttle = LoginThrottle(2, 60, clock=Clock(), max_entries=50)
    throttle.failed("ada", "1.1.1.1")
    throttle.failed("ada", "1.1.1.1")
    throttle.succeeded("ada", "1.1.1.1")
    assert throttle.retry_after("ada", "1.1.1.1") == 0
    for i in range(500):
        throttle.failed(f"n{i}", f"a{i}")
    assert len(throttle._hits) <= 50
