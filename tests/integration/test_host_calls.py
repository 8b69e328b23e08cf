"""Synchronous calls to a host (console output, a host's mounts) answer 503 in OpenStack's shape, quickly,
when the broker is unreachable or the host does not answer: a request never hangs on them."""
import time

from devtools.services import free_port

BOUND = 10.0  # seconds: well under the ~19 s Celery's default result-store retries took


def _timed(fn):
    start = time.monotonic()
    r = fn()
    return r, time.monotonic() - start


def _assert_unavailable(r, elapsed):
    assert r.status_code == 503, r.text
    assert elapsed < BOUND, f"answered after {elapsed:.1f} s"
    fault = r.json()["serviceUnavailable"]
    assert fault["code"] == 503 and fault["message"]


def test_host_calls_answer_503_when_the_broker_is_unreachable_or_the_host_silent(make_stack):
    stack = make_stack(hosts=("call1",), HOST_CALL_TIMEOUT=3)
    sid = stack.boot(name="talker").json()["server"]["id"]
    stack.wait_status(sid, "ACTIVE")
    console = lambda: stack.action(sid, {"os-getConsoleOutput": {"length": 5}})  # noqa: E731
    mounts = lambda: stack.get("/api/v1/hosts/call1/mounts")  # noqa: E731
    assert console().status_code == 200 and mounts().status_code == 200

    # The API loses its broker (and result store): nothing is listening on that port.
    stack.restart_api(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    for call in (console, mounts, console):
        _assert_unavailable(*_timed(call))

    # The broker is back but the host's worker is gone: the call times out after HOST_CALL_TIMEOUT.
    stack.restart_api()
    stack.kill_worker("call1")
    for call in (console, mounts):
        r, elapsed = _timed(call)
        _assert_unavailable(r, elapsed)
        assert elapsed >= 3 * 0.9
