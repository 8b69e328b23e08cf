"""Add an export volumes can live on (`make run` adds a bind export under .run/exports/default).

    manage.py export_create NAME SHARE [--fstype nfs|bind] [--options OPTS] [--disabled] [--if-missing]
"""
from django.core.management.base import BaseCommand, CommandError

from compute_platform.compute.exceptions import ComputeError
from compute_platform.volumes.models import Export
from compute_platform.volumes.services.exports import export_create


class Command(BaseCommand):
    help = "Add an NFS export (server:/path) or, for local use, a bind export (an absolute directory)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("share")
        parser.add_argument("--fstype", choices=["nfs", "bind"], default="nfs")
        parser.add_argument("--options", default="", help="mount options, one comma-separated word")
        parser.add_argument("--disabled", action="store_true", help="take no new volumes")
        parser.add_argument("--if-missing", action="store_true",
                            help="succeed without change when an export of that name exists (idempotent)")

    def handle(self, *args, name, share, fstype, options, disabled, if_missing, **kw):
        existing = Export.objects.filter(name=name).first()
        if existing is not None and if_missing:
            self.stdout.write(f"export {name} exists: {existing.share} ({existing.fstype})")
            return
        try:
            export = export_create(name=name, share=share, fstype=fstype, mount_options=options,
                                   enabled=not disabled)
        except ComputeError as exc:
            raise CommandError(exc.message)
        self.stdout.write(f"export {export.name} created: id {export.pk}, {export.share} ({export.fstype})")
