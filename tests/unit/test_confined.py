"""Reading within a budget: a child that allocates or loops too long is stopped, the rest pass."""

from __future__ import annotations

import os
import time

import pytest

from service.core.confined import ReadingTooCostly, confined
from service.core.signed_upload import SignedUploadRefused


def allocate(megabytes: int) -> int:
    """Hold `megabytes` at once and return their length."""
    return len(bytearray(megabytes * 1024 * 1024))


def sleep(seconds: float) -> None:
    """Sleep; a child that outlives its budget."""
    time.sleep(seconds)


def refuse() -> None:
    """Raise a refusal whose constructor takes two arguments."""
    raise SignedUploadRefused("damaged", "Tệp PDF bị hỏng, không đọc được.")


def pid() -> int:
    """The process id the function ran in."""
    return os.getpid()


def test_a_result_within_the_budget_comes_back() -> None:
    assert confined(allocate, 16, memory=64 * 1024 * 1024) == 16 * 1024 * 1024


def test_the_function_runs_in_another_process() -> None:
    assert confined(pid) != os.getpid()


def test_memory_beyond_the_budget_is_refused_as_memory() -> None:
    with pytest.raises(ReadingTooCostly) as refused:
        confined(allocate, 200, memory=64 * 1024 * 1024)
    assert refused.value.what == "memory"


def test_time_beyond_the_budget_is_refused_as_time() -> None:
    started = time.perf_counter()
    with pytest.raises(ReadingTooCostly) as refused:
        confined(sleep, 30, seconds=0.5)
    assert refused.value.what == "time"
    assert time.perf_counter() - started < 10  # the child was killed, not waited for


def test_the_readers_refusal_is_raised_again_with_its_reason() -> None:
    with pytest.raises(SignedUploadRefused) as refused:
        confined(refuse)
    assert (refused.value.reason, refused.value.message) == (
        "damaged", "Tệp PDF bị hỏng, không đọc được.")


def parent_death_signal() -> int:
    """The signal this process gets when its parent ends (PR_GET_PDEATHSIG)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    value = ctypes.c_int()
    libc.prctl(2, ctypes.byref(value))
    return value.value


def test_a_reading_child_is_killed_when_its_parent_ends() -> None:
    import signal

    assert confined(parent_death_signal) == signal.SIGKILL


def exit_quietly() -> None:
    """End the child without an answer, as a crash in its start-up would."""
    os._exit(3)


def abort() -> None:
    """End the child by a signal, as an allocator aborting at the limit does."""
    os.abort()


def test_a_child_that_ends_without_an_answer_is_an_error_not_a_cost() -> None:
    with pytest.raises(RuntimeError, match=r"the reading child ended \(3\) without an answer"):
        confined(exit_quietly)


def test_a_child_killed_by_a_signal_crossed_the_memory_budget() -> None:
    with pytest.raises(ReadingTooCostly) as refused:
        confined(abort)
    assert refused.value.what == "memory"
