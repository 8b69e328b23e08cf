"""gc_paused: the collector is off inside, back on when the last of nested or concurrent pauses ends,
and left off if it was off before."""
import gc

from api.common.gcpause import gc_paused


def test_the_collector_resumes_when_the_last_pause_ends():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # another request thread's pause
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_resumes_after_an_exception_and_leaves_a_disabled_collector_disabled():
    try:
        with gc_paused():
            raise ValueError
    except ValueError:
        pass
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
