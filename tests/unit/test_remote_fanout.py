"""The bounded fan-out: every host's outcome kept, the bound held, Ctrl-C handled."""

from __future__ import annotations

import _thread
import threading
import time

from mycelium.release.remote.fanout import StopSignal, fan_out


def test_every_key_gets_its_result_or_its_exception() -> None:
    def job(key: int, _stop: StopSignal) -> int:
        if key == 2:
            raise ValueError("host 2 broke")
        return key * 10

    group = fan_out([1, 2, 3], job, forks=3)
    assert group.succeeded == {1: 10, 3: 30}
    assert list(group.failed) == [2]
    assert str(group.failed[2]) == "host 2 broke"
    assert not group.interrupted


def test_no_more_jobs_run_at_once_than_forks() -> None:
    running = 0
    peak = 0
    lock = threading.Lock()

    def job(_key: int, _stop: StopSignal) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    fan_out(list(range(8)), job, forks=2)
    assert peak == 2


def test_ctrl_c_runs_the_stop_actions_and_keeps_what_finished() -> None:
    stopped = threading.Event()

    def job(key: str, stop: StopSignal) -> str:
        if key == "quick":
            return "done"
        stop.on_stop(key, stopped.set)
        time.sleep(0.2)
        _thread.interrupt_main()  # Ctrl-C while this host still runs
        for _ in range(100):  # bounded: the stop action ends the wait
            if stop.is_set():
                return "stopped"
            time.sleep(0.05)
        return "never stopped"

    group = fan_out(["quick", "slow"], job, forks=2, grace=10)
    assert group.interrupted
    assert stopped.is_set()
    assert group.results == {"quick": "done", "slow": "stopped"}
