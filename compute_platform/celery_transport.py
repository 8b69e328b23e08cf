"""kombu's Redis transport, with the BRPOP that fetches messages packed from cached pieces.

kombu builds each BRPOP anew: a key per queue and priority (`compute.<host>`, `compute.<host>\\x06\\x163`, ...),
then redis-py encodes every one of them in Python. A worker with one queue does not notice; the multi-host fake
worker (`compute_worker --hosts sim1..sim1000`) sends a BRPOP of 4,000 keys after every message it takes, and
packing it cost more CPU than the task itself (py-spy: half the worker's main thread at 1,000 hosts). Here each
key is encoded once; a BRPOP joins the cached pieces in kombu's own order (its round-robin rotation, priorities
first), so which queue is served first is unchanged, and every host keeps its own queue.
"""
from time import monotonic

from kombu.transport import redis


class Channel(redis.Channel):
    _packed_keys: dict

    def _brpop_start(self, timeout=None):
        if self.global_keyprefix:  # keys are rewritten per command then: kombu's own way
            return super()._brpop_start(timeout)
        if timeout is None:
            timeout = self.brpop_timeout
        queues = self._queue_cycle.consume(len(self.active_queues))
        if not queues:
            return
        cache = self.__dict__.setdefault("_packed_keys", {})
        for queue in queues:
            if queue not in cache:
                cache[queue] = [_bulk(self._q_for_pri(queue, pri)) for pri in self.priority_steps]
        pieces = [cache[queue][i] for i in range(len(self.priority_steps)) for queue in queues]
        self._in_poll = self.client.connection
        self._brpop_sent_at = monotonic()
        self.client.connection.send_packed_command(  # a list of chunks, as redis-py's own packers give
            [b"".join([b"*%d\r\n" % (len(pieces) + 2), _bulk("BRPOP"), *pieces, _bulk(str(timeout or 0))])])


def _bulk(text: str) -> bytes:
    """One argument of a command in the Redis protocol (RESP bulk string)."""
    data = text.encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


class Transport(redis.Transport):
    Channel = Channel
