"""compute_platform.celery_transport against a real Redis: a consumer of many queues (as the multi-host fake
worker is) gets every message, from any queue and at any priority, and its BRPOP is the one kombu would send."""
import uuid

import pytest
import redis
from kombu import Connection, Exchange, Queue
from kombu.transport import redis as kombu_redis

TRANSPORT = "compute_platform.celery_transport:Transport"


@pytest.fixture
def queues(redis_url):
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    exchange = Exchange(prefix, type="direct")
    qs = [Queue(f"{prefix}.host{i}", exchange, routing_key=f"{prefix}.host{i}", max_priority=9) for i in range(300)]
    with Connection(redis_url) as conn:
        for q in qs:
            q(conn.default_channel).declare()
    yield exchange, qs
    with Connection(redis_url) as conn:
        for q in qs:
            q(conn.default_channel).delete()


def test_many_queues_every_message_delivered(redis_url, queues):
    exchange, qs = queues
    sent = {(qs[7].name, 0), (qs[150].name, 9), (qs[299].name, 3), (qs[0].name, 6)}
    with Connection(redis_url) as conn:
        producer = conn.Producer(exchange=exchange)
        for name, priority in sent:
            producer.publish({"queue": name, "priority": priority}, routing_key=name, priority=priority)
    got = set()
    with Connection(redis_url, transport=TRANSPORT) as conn:
        assert type(conn.default_channel).__module__ == "compute_platform.celery_transport"

        def on_message(body, message):
            got.add((body["queue"], body["priority"]))
            assert message.delivery_info["routing_key"] == body["queue"]
            message.ack()

        with conn.Consumer(qs, callbacks=[on_message]):
            while got != sent:
                conn.drain_events(timeout=10)  # socket.timeout (a failure) if a message never comes
    assert got == sent


class _Recorder:
    """Stands in for the channel's Redis connection: keeps what would be written to the socket, packed by
    redis-py's own packer when given as arguments."""

    def __init__(self):
        self.sent, self._pack = [], redis.Connection()._command_packer.pack

    def send_packed_command(self, command, check_health=True):
        self.sent.append(b"".join(command))

    def send_command(self, *args, **kwargs):
        self.sent.append(b"".join(self._pack(*args)))


def test_brpop_is_the_command_kombu_packs(redis_url, queues):
    """The same bytes as kombu's own _brpop_start through redis-py's packer: same keys, same order."""
    exchange, qs = queues
    with Connection(redis_url, transport=TRANSPORT) as conn:
        channel = conn.default_channel
        with conn.Consumer(qs[:40]):
            channel.client.connection = recorder = _Recorder()
            try:
                channel._brpop_start(timeout=1)
                kombu_redis.Channel._brpop_start(channel, timeout=1)
            finally:
                channel.client.connection, channel._in_poll = None, None
    ours, kombus = recorder.sent
    assert ours == kombus
    assert ours.startswith(b"*%d\r\n" % (40 * len(kombu_redis.PRIORITY_STEPS) + 2))  # BRPOP, keys, timeout
