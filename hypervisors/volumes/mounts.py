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

The kernel (`/proc/self/mountinfo`), not Redis, says whether something is mounted; Redis says who needs it.
"""
from __future__ import annotations

import contextlib
import enum
import logging
import os
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Mapping

import redis

from . import commands, mountinfo
from .exports import ExportRef, mount_point_for
from .fencing import FencedLock

LOG = logging.getLogger(__name__)


def attachment_key(volume_id: str, instance_uuid: str) -> str:
    return f"{volume_id}:{instance_uuid}"


def volume_op_key(volume_id: str) -> str:
    """The key a volume create or delete holds while it writes the file on the export."""
    return f"op:{volume_id}"


# KEYS: lock, attachments. ARGV: op ('add' | 'remove'), key. Returns the attachments left, or nil when
# the locked path must be taken.
_FAST_PATH = """
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
    missing_keys: dict[str, list[str]] = field(default_factory=dict)  # expected, not in Redis
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

    def __init__(self, *, host: str, redis_client: redis.Redis, mount_base: str, lock_ttl: float = 15.0,
                 lock_wait: float = 300.0, mount_timeout: float = 60.0, mount_binary: str = "mount",
                 umount_binary: str = "umount") -> None:
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
        self._fast_script = redis_client.register_script(_FAST_PATH)

    # -- naming ----------------------------------------------------------------------------------------

    def mountpoint(self, export: ExportRef) -> str:
        return mount_point_for(self.mount_base, export.share)

    def _key(self, export: ExportRef, part: str) -> str:
        # The hash tag keeps one export's keys, which one script touches together, in one Cluster slot.
        return f"mount:{{{self.host}}}:{export.id}:{part}"

    def state_keys(self, export: ExportRef) -> dict[str, str]:
        """The Redis keys of one export's state on this host (for observers and operators)."""
        return {part: self._key(export, part) for part in ("attachments", "lock", "fence", "pending")}

    def _lock(self, export: ExportRef) -> FencedLock:
        return FencedLock(self.redis, lock_key=self._key(export, "lock"), fence_key=self._key(export, "fence"),
                          attachments_key=self._key(export, "attachments"), pending_key=self._key(export, "pending"),
                          ttl=self.lock_ttl, wait=self.lock_wait)

    def _fast(self, export: ExportRef, op: str, key: str) -> int | None:
        """The warm path, one round trip and no lock: add a key to a set that is already non-empty, or
        remove one that leaves it non-empty. Neither changes whether the export must be mounted, and
        by the invariant a non-empty set means mounted, so no mount check is needed. It runs only while
        no one holds the lock (a holder may be mid-mount, mid-unmount or rebuilding the set), atomically
        in Redis; otherwise it returns None and the caller takes the locked path."""
        res = self._fast_script(keys=[self._key(export, "lock"), self._key(export, "attachments")], args=[op, key])
        return None if res is None else int(res)

    # -- the two operations ------------------------------------------------------------------------------

    def attach(self, export: ExportRef, key: str) -> str:
        """Afterwards `export` is mounted on this host and `key` is in its set; returns the mount point.

        Idempotent. If the mount fails, nothing is recorded and MountFailed is raised; a mount that
        reported failure but left the export mounted counts as success.
        """
        left = self._fast(export, "add", key)
        if left is None:
            with self._lock(export) as lock:
                self._ensure_mounted(export)
                left = lock.update("add", key)
        LOG.info("host %s export %s: +%s (%d attachments)", self.host, export.id, key, left)
        return self.mountpoint(export)

    def detach(self, export: ExportRef, key: str) -> DetachOutcome:
        """Afterwards `key` is not in the set; if the set is empty the export is unmounted, unless the
        kernel says it is busy, in which case it stays mounted and marked for the audit. Never raises
        for a busy or already-absent mount; detaching an unknown key is a no-op that still unmounts an
        export nobody needs."""
        left = self._fast(export, "remove", key)
        if left is not None:
            outcome = DetachOutcome.STILL_NEEDED
        else:
            with self._lock(export) as lock:
                left = lock.update("remove", key)
                outcome = DetachOutcome.STILL_NEEDED if left else self._unmount(export, lock)
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

    def rebuild(self, exports: Iterable[ExportRef], needed: Mapping[str, set[str]]) -> ReconcileReport:
        """At worker start, before any work: make Redis say exactly `needed` (export id -> keys, from the
        driver's guests and the database), then make the kernel agree: referenced and unmounted ->
        mount, mounted and unreferenced -> unmount. Mounts under our base of no known export are
        unmounted too. Only for a host whose other workers are not running yet."""
        return self._reconcile(exports, needed=needed)

    def audit(self, exports: Iterable[ExportRef], expected: Mapping[str, set[str]] | None = None) -> ReconcileReport:
        """Periodic: retry pending unmounts, unmount what nobody needs, remount what someone needs and is
        gone, and report (not fix) keys where Redis and `expected` (the database) disagree, since an
        operation in flight legitimately makes them differ for a moment."""
        return self._reconcile(exports, expected=expected)

    def _reconcile(self, exports: Iterable[ExportRef], *, needed: Mapping[str, set[str]] | None = None,
                   expected: Mapping[str, set[str]] | None = None) -> ReconcileReport:
        report = ReconcileReport()
        exports = list(exports)
        known_points = {self.mountpoint(e) for e in exports}
        for export in exports:
            report.checked += 1
            with self._lock(export) as lock:
                if needed is not None:
                    keys = set(needed.get(export.id, ()))
                    lock.update("replace", *keys)
                else:
                    keys = self.attachments(export)
                    want = set(expected.get(export.id, ())) if expected is not None else keys
                    if keys - want:
                        report.stale_keys[export.id] = sorted(keys - want)
                    if want - keys:
                        report.missing_keys[export.id] = sorted(want - keys)
                mounted = mountinfo.is_mounted(self.mountpoint(export))
                if keys and not mounted:
                    try:
                        self._ensure_mounted(export)
                        lock.update("clear_pending")
                        report.mounted.append(export.id)
                    except commands.MountFailed as exc:
                        LOG.error("host %s export %s: needed but cannot mount: %s", self.host, export.id, exc)
                        report.failed.append(export.id)
                elif not keys and mounted:
                    outcome = self._unmount(export, lock)
                    (report.busy if outcome is DetachOutcome.BUSY else report.unmounted).append(export.id)
                else:
                    lock.update("clear_pending")
        for mp in sorted(set(mountinfo.mounts_under(self.mount_base)) - known_points):
            # Under our base but no export we know of: a leftover of a deleted export or a crash.
            res = commands.run(commands.umount_argv(mp, binary=self.umount_binary), timeout=self.mount_timeout)
            (report.stray_unmounted if res.returncode == 0 else report.busy).append(mp)
        if report.drift or report.busy:
            LOG.warning("host %s mount reconcile: %s", self.host, report.as_dict())
        return report

    # -- the kernel side, always called with the export's lock held ---------------------------------------

    def _ensure_mounted(self, export: ExportRef) -> None:
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
