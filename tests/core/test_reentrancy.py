"""``no_grad``, ``enable_grad`` and ``detect_anomaly`` as decorators, from many threads at once.

Each call of a decorated function gets its own context, so calls that start and end in any
order (threads, recursion) leave every thread's recording exactly as it was.
"""

from __future__ import annotations

import random
import threading
import time

import pytest

from autograd import Value, detect_anomaly, enable_grad, is_grad_enabled, no_grad
from autograd.core.engine import recording


@pytest.mark.parametrize("decorator", [no_grad, enable_grad, detect_anomaly], ids=lambda d: d.__name__)
def test_decorated_calls_from_many_threads_in_random_order(decorator: object) -> None:
    rng = random.Random(7)
    delays = [[rng.random() * 0.002 for _ in range(20)] for _ in range(8)]
    errors: list[BaseException] = []

    @decorator()  # type: ignore[operator]
    def work(pause: float) -> bool:
        time.sleep(pause)  # so that calls from different threads overlap and end out of order
        y = Value(2.0) * 3.0
        return bool(y._prev)

    def thread(pauses: list[float]) -> None:
        try:
            before = recording.get()
            for pause in pauses:
                inside = work(pause)
                assert inside == (decorator is not no_grad)  # recorded, except under no_grad
                assert recording.get() is before  # each call put the state back
            assert is_grad_enabled() and Value(1.0) * 2 is not None and (Value(1.0) * 2)._prev
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=thread, args=(p,)) for p in delays]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert recording.get() is True


def test_a_decorated_function_may_call_itself() -> None:
    @no_grad()
    def depth(n: int) -> int:
        assert not is_grad_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(50) == 50 and is_grad_enabled()

    @detect_anomaly()
    def nested(n: int) -> float:
        return Value(1.0).data if n == 0 else nested(n - 1)

    assert nested(20) == 1.0 and recording.get() is True
