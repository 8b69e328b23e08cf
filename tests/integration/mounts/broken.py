"""A deliberately wrong MountManager, to prove the stress checks can fail (a check that cannot is a defect)."""
from hypervisors.volumes import DetachOutcome, MountManager


class UnmountsInUseManager(MountManager):
    """Nova's old race, reintroduced: every detach unmounts, whoever else still needs the export."""

    def detach(self, export, key):
        outcome = super().detach(export, key)
        if outcome is DetachOutcome.STILL_NEEDED:
            with self._lock(export) as lock, self._kernel(export):
                self._unmount_unlocked(export, lock)  # skipping the "is the set empty?" check
        return outcome
