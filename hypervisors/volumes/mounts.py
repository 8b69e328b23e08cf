"""The MountManager: which exports a host must have mounted, shared by every worker process of the host.

Per (host, export) it keeps, in Redis:
- `attachments`: the SET of attachment keys (`<volume_id>:<instance_uuid>`, or `op:<volume_id>` while a
  volume file is made or removed) that need the export mounted. A set, not a counter: Celery delivers at
  least once, and a repeated attach or detach must not count twice.
- a fenced lock (see fencing.py), held across mount and umount and every change of the set;
- `pending`: why an unmount that should have happened has not ("target is busy"), for the audit.

Invariant, which the stress test checks from outside: whenever an export's set is non-empty, the export is
mounted on that host. Attach mounts *before* adding; detach unmounts only *after* removing the last key,
and only while holding the lock, so no attach can add a key in between.

The kernel (`/proc/self/mountinfo`), not Redis, says whether something is mounted; Redis holds a *copy* of
who needs it. The truth is the database's live attachments and the guests' disks, which the caller supplies
as `truth`. Redis may restart empty at any moment: a per-host generation key, written by a rebuild and absent
from an empty Redis, is checked atomically by every script that acts (the warm path, every lock acquire and
every fenced update). When it is missing, the first worker of the host to notice takes the host's rebuild
lock, rebuilds the sets from the truth and reconciles the kernel; everyone else waits, then retries.

Each export's kernel side (the "is it mounted?" check with the mount or umount it decides) is also held
under a file lock beside the mount point, which, unlike the Redis lock, survives Redis: an operation that
lost its Redis lock mid-mount cannot race the rebuild's mount or unmount of the same export.
"""
from __future__ import annotations

import contextlib
import enum
import fcntl
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping

import redis

from . import commands, mountinfo
from .exports import ExportRef, mount_point_for
from .fencing import FencedLock, LockLost, StateLost

# What the truth callback returns: every export known, and {export id: {attachment key}} the host needs.
Truth = Callable[[], "tuple[list[ExportRef], Mapping[str, set[str]]]"]

LOG = logging.getLogger(__name__)


def attachment_key(volume_id: str, instance_uuid: str) -> str:
    return f"{volume_id}:{instance_uuid}"


def volume_op_key(volume_id: str) -> str:
    """The key a volume create or delete holds while it writes the file on the export."""
    return f"op:{volume_id}"


# KEYS: lock, attachments, generation. ARGV: op ('add' | 'remove'), key. Returns the attachments left,
# nil when the locked path must be taken, or -1 when the host's state is lost (no generation).
_FAST_PATH = """
if redis.call('exists', KEYS[3]) == 0 then return -1 end
if redis.call('exists', KEYS[1]) == 1 then return nil end
local n = redis.call('scard', KEYS[2])
if n == 0 then return nil end
if ARGV[1] == 'add' then
  redis.call('sadd', KEYS[2], ARGV[2])
  return redis.call('scard', KEYS[2])
end
if redis.call('sismember', KEYS[2], ARGV[2]) == 1 then
  if n == 1 then return nil end
  redis.call('srem', KEYS[2], ARGV[2])
  return n - 1
end
return n
"""

# KEYS: rebuilding, generation. ARGV: the rebuild's nonce. The rebuild's last step: it counts only if no other
# rebuild took over and Redis did not restart meanwhile (either would have replaced or dropped the marker).
_COMMIT_REBUILD = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('set', KEYS[2], ARGV[1])
redis.call('del', KEYS[1])
return 1
"""


class DetachOutcome(enum.Enum):
    STILL_NEEDED = "still-needed"  # other attachments remain: the export stays mounted
    UNMOUNTED = "unmounted"
    NOT_MOUNTED = "not-mounted"  # nothing to unmount (already gone)
    BUSY = "busy"  # umount refused (target is busy): left mounted and marked for the audit


@dataclass(frozen=True)
class MountStatus:
    export_id: str
    share: str
    mountpoint: str
    mounted: bool
    attachments: tuple[str, ...]
    pending_unmount: str | None
    lock_holder: str | None
    fencing_token: int | None


@dataclass
class ReconcileReport:
    """What a rebuild or an audit found and did, per category, as export ids (or mount points)."""

    mounted: list[str] = field(default_factory=list)  # referenced but not mounted: mounted now
    unmounted: list[str] = field(default_factory=list)  # mounted, unreferenced: unmounted now
    busy: list[str] = field(default_factory=list)  # should be unmounted but busy: left pending
    failed: list[str] = field(default_factory=list)  # a mount that failed: its users will fail too
    stray_unmounted: list[str] = field(default_factory=list)  # mount points of no known export
    stale_keys: dict[str, list[str]] = field(default_factory=dict)  # in Redis, not expected
    pruned_keys: dict[str, list[str]] = field(default_factory=dict)  # stale, confirmed by a fresh truth: removed
    missing_keys: dict[str, list[str]] = field(default_factory=dict)  # expected, not in Redis: added back
    checked: int = 0

    @property
    def drift(self) -> bool:
        return bool(self.mounted or self.unmounted or self.stray_unmounted or self.stale_keys
                    or self.missing_keys or self.failed)

    def as_dict(self) -> dict:
        return dict(vars(self))


class MountManager:
    """Mounts and unmounts a host's exports as its attachments require. One per worker process is fine:
    all coordination is in Redis, keyed by host, so every process of the host sees the same state."""

    def __init__(self, *, host: str, redis_client: redis.Redis, mount_base: str, truth: Truth | None = None,
                 lock_ttl: float = 15.0, lock_wait: float = 300.0, mount_timeout: float = 60.0,
                 mount_binary: str = "mount", umount_binary: str = "umount", state_retries: int = 5) -> None:
        """`truth()` returns (every export, {export id: {attachment key}} the host needs), read from the
        database and the guests; without it a lost state cannot be rebuilt and operations raise StateLost."""
        if not host or "/" in host or "}" in host:
            raise ValueError(f"invalid host name {host!r}")
        self.host = host
        self.redis = redis_client
        self.mount_base = os.path.abspath(mount_base)
        self.lock_ttl = lock_ttl
        self.lock_wait = lock_wait
        self.mount_timeout = mount_timeout
        self.mount_binary = mount_binary
        self.umount_binary = umount_binary
        self.truth = truth
        self.state_retries = state_retries
        self._fast_script = redis_client.register_script(_FAST_PATH)
        self._commit_script = redis_client.register_script(_COMMIT_REBUILD)
        self.generation_key = f"mount:{{{host}}}:generation"
        self._rebuilding_key = f"mount:{{{host}}}:rebuilding"

    # -- naming ----------------------------------------------------------------------------------------

    def mountpoint(self, export: ExportRef) -> str:
        return mount_point_for(self.mount_base, export.share)

    def _key(self, export: ExportRef, part: str) -> str:
        # The hash tag keeps one export's keys, which one script touches together, in one Cluster slot.
        return f"mount:{{{self.host}}}:{export.id}:{part}"

    def state_keys(self, export: ExportRef) -> dict[str, str]:
        """The Redis keys of one export's state on this host (for observers and operators)."""
        keys = {part: self._key(export, part) for part in ("attachments", "lock", "fence", "pending")}
        return keys | {"generation": self.generation_key}

    def _lock(self, export: ExportRef, epoch: tuple[str, str] | None = None) -> FencedLock:
        """The export's lock; it is acquired only while the host's generation exists (or, for a rebuild,
        while its marker is the rebuild's own) and every update under it requires the same."""
        return FencedLock(self.redis, lock_key=self._key(export, "lock"), fence_key=self._key(export, "fence"),
                          attachments_key=self._key(export, "attachments"), pending_key=self._key(export, "pending"),
                          ttl=self.lock_ttl, wait=self.lock_wait, epoch=epoch or (self.generation_key, ""))

    def _host_lock(self) -> FencedLock:
        """Serializes rebuilds of the host's state across all its worker processes."""
        prefix = f"mount:{{{self.host}}}:rebuild"
        return FencedLock(self.redis, lock_key=f"{prefix}:lock", fence_key=f"{prefix}:fence",
                          attachments_key=f"{prefix}:unused", pending_key=f"{prefix}:unused", ttl=self.lock_ttl,
                          wait=self.lock_wait)

    @contextlib.contextmanager
    def _kernel(self, export: ExportRef) -> Iterator[None]:
        """Held across an "is it mounted?" check and the mount or umount it decides. Every worker process of
        the host shares this machine's file system, so a file lock serializes them even when Redis (and
        the export's Redis lock with it) vanished mid-mount."""
        os.makedirs(self.mount_base, exist_ok=True)
        fd = os.open(self.mountpoint(export) + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._wait_for_strays(export)
            yield
        finally:
            os.close(fd)  # drops the flock

    def _wait_for_strays(self, export: ExportRef) -> None:
        """With the file lock held, no live process of the host runs a mount or umount of this mount point, so
        any still running belongs to a holder that died mid-command (the kernel releases a dead holder's flock
        at once, and a `mount` inside its system call finishes before setpriv's death signal lands). Wait for
        it to end before looking at the mount table, or its mount could land on top of ours."""
        mp = self.mountpoint(export)
        deadline = time.monotonic() + self.mount_timeout
        while (strays := commands.processes_on(mp)) and time.monotonic() < deadline:
            time.sleep(0.02)
        if strays:
            LOG.error("host %s export %s: processes %s still run a command on %s after %.0f s; going on",
                      self.host, export.id, strays, mp, self.mount_timeout)

    def _fast(self, export: ExportRef, op: str, key: str) -> int | None:
        """The warm path, one round trip and no lock: add a key to a set that is already non-empty, or
        remove one that leaves it non-empty. Neither changes whether the export must be mounted, and
        by the invariant a non-empty set means mounted, so no mount check is needed. It runs only while
        no one holds the lock (a holder may be mid-mount, mid-unmount or rebuilding the set), atomically
        in Redis; otherwise it returns None and the caller takes the locked path. Without the host's
        generation (an empty Redis) the set cannot be trusted to mean "mounted": StateLost."""
        res = self._fast_script(keys=[self._key(export, "lock"), self._key(export, "attachments"),
                                      self.generation_key], args=[op, key])
        if res is not None and int(res) < 0:
            raise StateLost(f"host {self.host}: no generation key; the mount state must be rebuilt")
        return None if res is None else int(res)

    def _with_state(self, what: str, once: Callable[[], object]) -> object:
        """Run one idempotent operation; if the host's state was lost before or during it (StateLost), or its
        lock was lost (LockLost), rebuild the state from the truth if it is gone, then run it again."""
        for attempt in range(1, self.state_retries + 1):
            try:
                return once()
            except LockLost as exc:
                if attempt == self.state_retries:
                    raise
                LOG.warning("host %s: %s interrupted (attempt %d): %s; retrying after a rebuild if the state is "
                            "lost", self.host, what, attempt, exc)
                self.ensure_state()
        raise AssertionError("unreachable")

    # -- the two operations ------------------------------------------------------------------------------

    def attach(self, export: ExportRef, key: str) -> str:
        """Afterwards `export` is mounted on this host and `key` is in its set; returns the mount point.

        Idempotent. If the mount fails, nothing is recorded and MountFailed is raised; a mount that
        reported failure but left the export mounted counts as success.
        """
        def once() -> int:
            left = self._fast(export, "add", key)
            if left is None:
                with self._lock(export) as lock:
                    self._ensure_mounted(export)
                    left = lock.update("add", key)
            return left

        left = self._with_state(f"attach {key} to export {export.id}", once)
        LOG.info("host %s export %s: +%s (%d attachments)", self.host, export.id, key, left)
        return self.mountpoint(export)

    def detach(self, export: ExportRef, key: str) -> DetachOutcome:
        """Afterwards `key` is not in the set; if the set is empty the export is unmounted, unless the
        kernel says it is busy, in which case it stays mounted and marked for the audit. Never raises
        for a busy or already-absent mount; detaching an unknown key is a no-op that still unmounts an
        export nobody needs."""
        def once() -> tuple[int, DetachOutcome]:
            left = self._fast(export, "remove", key)
            if left is not None:
                return left, DetachOutcome.STILL_NEEDED
            with self._lock(export) as lock:
                left = lock.update("remove", key)
                return left, DetachOutcome.STILL_NEEDED if left else self._unmount(export, lock)

        left, outcome = self._with_state(f"detach {key} from export {export.id}", once)
        LOG.info("host %s export %s: -%s (%d left, %s)", self.host, export.id, key, left, outcome.value)
        return outcome

    @contextlib.contextmanager
    def mounted(self, export: ExportRef, key: str) -> Iterator[str]:
        """Hold the export mounted for the duration of a block (volume create/delete write the file)."""
        mountpoint = self.attach(export, key)
        try:
            yield mountpoint
        finally:
            self.detach(export, key)

    # -- reading ----------------------------------------------------------------------------------------

    def status(self, export: ExportRef) -> MountStatus:
        """A snapshot without the lock: for operators, not for decisions."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.smembers(self._key(export, "attachments"))
        pipe.get(self._key(export, "pending"))
        pipe.get(self._key(export, "lock"))
        pipe.get(self._key(export, "fence"))
        members, pending, holder, fence = pipe.execute()
        mp = self.mountpoint(export)
        return MountStatus(
            export_id=export.id, share=export.share, mountpoint=mp, mounted=mountinfo.is_mounted(mp),
            attachments=tuple(sorted(m.decode() for m in members)),
            pending_unmount=pending.decode() if pending else None,
            lock_holder=holder.decode() if holder else None, fencing_token=int(fence) if fence else None,
        )

    def attachments(self, export: ExportRef) -> set[str]:
        return {m.decode() for m in self.redis.smembers(self._key(export, "attachments"))}

    # -- recovery ----------------------------------------------------------------------------------------

    def has_state(self) -> bool:
        """Whether Redis holds this host's state (its generation key); False after Redis restarted empty."""
        return bool(self.redis.exists(self.generation_key))

    def ensure_state(self) -> ReconcileReport | None:
        """If Redis lost the host's state, rebuild it from the truth (once for the whole host: whoever gets
        the host's rebuild lock first does it, the others wait and find it done). Returns the rebuild's
        report, or None when the state was there."""
        if self.has_state():
            return None
        return self._rebuild(None, None, force=False)

    def rebuild(self, exports: Iterable[ExportRef] | None = None,
                needed: Mapping[str, set[str]] | None = None) -> ReconcileReport:
        """Make Redis say exactly `needed` (export id -> keys; both default to `truth()`), then make the
        kernel agree: referenced and unmounted -> mount, mounted and unreferenced -> unmount. Mounts under
        our base of no known export are unmounted too. Safe while other workers of the host run: it first
        drops the generation, so every operation stops at its next step and waits for the rebuild."""
        return self._rebuild(exports, needed, force=True)

    def _truth(self) -> tuple[list[ExportRef], Mapping[str, set[str]]]:
        if self.truth is None:
            raise StateLost(f"host {self.host}: the mount state is lost and no truth was given to rebuild it")
        exports, needed = self.truth()
        return list(exports), needed

    def _rebuild(self, exports, needed, *, force: bool) -> ReconcileReport | None:
        for attempt in range(1, self.state_retries + 1):
            with self._host_lock():
                if not force and self.has_state():
                    return None  # another worker of the host rebuilt it while we waited
                nonce = uuid.uuid4().hex
                # Stop everybody first: without the generation no warm path, acquire or update acts. Only
                # then read the truth, so every operation that acted before is in it (its row comes first).
                self.redis.pipeline(transaction=True).delete(self.generation_key).set(
                    self._rebuilding_key, nonce).execute()
                if exports is None or self.truth is not None and attempt > 1:
                    exports, needed = self._truth()
                try:
                    report = self._reconcile(list(exports), needed=needed, epoch=(self._rebuilding_key, nonce))
                    committed = self._commit_script(keys=[self._rebuilding_key, self.generation_key], args=[nonce])
                except StateLost as exc:
                    LOG.warning("host %s: rebuild %s interrupted: %s", self.host, nonce, exc)
                    committed = 0
                if committed:
                    LOG.info("host %s: mount state rebuilt from the truth, generation %s: %s", self.host, nonce,
                             {k: v for k, v in report.as_dict().items() if v})
                    return report
            # Redis restarted again mid-rebuild (or another rebuild took over): everything it wrote may be gone.
            LOG.warning("host %s: rebuild %s did not commit (attempt %d); starting over", self.host, nonce, attempt)
            force = True
        raise StateLost(f"host {self.host}: the mount state could not be rebuilt in {self.state_retries} attempts")

    def audit(self, exports: Iterable[ExportRef] | None = None,
              expected: Mapping[str, set[str]] | None = None) -> ReconcileReport:
        """Periodic: retry pending unmounts, remount what someone needs and is gone, unmount what nobody needs.
        `expected` (default: `truth()`) is who needs what. Redis never overrules it: keys it expects and
        Redis lacks are added back (and the export mounted); an export is unmounted only if neither Redis
        nor `expected` names anyone. Keys Redis has and `expected` lacks may be an operation in flight, so
        they are removed only if a fresh `truth()`, read under the export's lock (no warm path can change
        the set meanwhile), confirms nobody needs them. A lost state is rebuilt first."""
        if exports is None:
            exports, expected = self._truth()
        exports = list(exports)
        return self._with_state("audit", lambda: self._reconcile(exports, expected=expected))

    def _reconcile(self, exports: list[ExportRef], *, needed: Mapping[str, set[str]] | None = None,
                   expected: Mapping[str, set[str]] | None = None,
                   epoch: tuple[str, str] | None = None) -> ReconcileReport:
        report = ReconcileReport()
        known_points = {self.mountpoint(e) for e in exports}
        for export in exports:
            report.checked += 1
            with self._lock(export, epoch) as lock:
                if needed is not None:
                    keys = set(needed.get(export.id, ()))
                    lock.update("replace", *keys)
                    missing: set[str] = set()
                else:
                    keys = self.attachments(export)
                    want = set(expected.get(export.id, ())) if expected is not None else keys
                    missing = want - keys
                    if missing:
                        report.missing_keys[export.id] = sorted(missing)
                    if keys - want:
                        report.stale_keys[export.id] = sorted(keys - want)
                        pruned = self._confirmed_stale(export, keys - want)
                        if pruned:
                            lock.update("remove", *pruned)
                            report.pruned_keys[export.id] = sorted(pruned)
                            keys -= pruned
                    keys |= want
                with self._kernel(export):  # the decision and the act, with no other process between
                    self._reconcile_kernel(export, lock, keys, missing, report)
        for mp in sorted(set(mountinfo.mounts_under(self.mount_base)) - known_points):
            # Under our base but no export we know of: a leftover of a deleted export or a crash.
            res = commands.run(commands.umount_argv(mp, binary=self.umount_binary), timeout=self.mount_timeout)
            (report.stray_unmounted if res.returncode == 0 else report.busy).append(mp)
        if report.drift or report.busy:
            LOG.warning("host %s mount reconcile: %s", self.host, report.as_dict())
        return report

    def _reconcile_kernel(self, export: ExportRef, lock: FencedLock, keys: set[str], missing: set[str],
                          report: ReconcileReport) -> None:
        mounted = mountinfo.is_mounted(self.mountpoint(export))
        if keys and not mounted:
            try:
                self._mount_unlocked(export)
                lock.update("clear_pending")
                report.mounted.append(export.id)
            except commands.MountFailed as exc:
                LOG.error("host %s export %s: needed but cannot mount: %s", self.host, export.id, exc)
                report.failed.append(export.id)
                return
        if missing:
            lock.update("add", *missing)  # only now that it is mounted: a non-empty set means mounted
        if not keys and mounted:
            if lock.update("check"):
                return  # cannot happen under the lock (the warm path waits for it), but never unmount then
            outcome = self._unmount_unlocked(export, lock)
            (report.busy if outcome is DetachOutcome.BUSY else report.unmounted).append(export.id)
        elif keys and mounted:
            lock.update("clear_pending")

    def _confirmed_stale(self, export: ExportRef, stale: set[str]) -> set[str]:
        """The keys of `stale` that a truth read now (under the export's lock) does not name either."""
        if self.truth is None:
            return set()
        _, fresh = self.truth()
        return stale - set(fresh.get(export.id, ()))

    # -- the kernel side, always called with the export's lock held ---------------------------------------

    def _ensure_mounted(self, export: ExportRef) -> None:
        with self._kernel(export):
            self._mount_unlocked(export)

    def _mount_unlocked(self, export: ExportRef) -> None:
        mp = self.mountpoint(export)
        if mountinfo.is_mounted(mp):
            return
        os.makedirs(mp, exist_ok=True)
        res = commands.run(commands.mount_argv(export, mp, binary=self.mount_binary), timeout=self.mount_timeout)
        if mountinfo.is_mounted(mp):
            if res.returncode != 0:
                LOG.warning("host %s export %s: mount reported failure but %s is mounted: %s", self.host,
                            export.id, mp, res.output)
            else:
                LOG.info("host %s export %s: mounted %s on %s", self.host, export.id, export.share, mp)
            return
        if res.timed_out:
            raise commands.MountTimedOut(mp, f"mount of {export.share} killed after {self.mount_timeout:g} s")
        raise commands.MountFailed(mp, f"mount of {export.share} failed ({res.returncode}): {res.output}")

    def _unmount(self, export: ExportRef, lock: FencedLock) -> DetachOutcome:
        with self._kernel(export):
            # Atomically with the fence and generation check: the set is still empty, and our lock is still
            # the current one of this state. A rebuild after a Redis loss takes the export's new lock before
            # this file lock, so it either sees our unmount done or makes this check fail.
            if lock.update("check"):
                return DetachOutcome.STILL_NEEDED
            return self._unmount_unlocked(export, lock)

    def _unmount_unlocked(self, export: ExportRef, lock: FencedLock) -> DetachOutcome:
        mp = self.mountpoint(export)
        if not mountinfo.is_mounted(mp):
            lock.update("clear_pending")
            return DetachOutcome.NOT_MOUNTED
        res = commands.run(commands.umount_argv(mp, binary=self.umount_binary), timeout=self.mount_timeout)
        if not mountinfo.is_mounted(mp):
            lock.update("clear_pending")
            LOG.info("host %s export %s: unmounted %s", self.host, export.id, mp)
            return DetachOutcome.UNMOUNTED
        reason = "target is busy" if res.busy else (res.output or f"umount exit {res.returncode}")
        lock.update("mark_pending", reason)
        LOG.warning("host %s export %s: left %s mounted for the audit: %s", self.host, export.id, mp, reason)
        return DetachOutcome.BUSY
