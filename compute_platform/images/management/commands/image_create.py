"""Register an image (metadata; active, so the fake driver can boot it).

    manage.py image_create cirros --disk-format qcow2 [--property kernel_id=...] [--private]
"""
from django.core.management.base import BaseCommand, CommandError

from compute_platform.images.models import Image


class Command(BaseCommand):
    help = "Register an active image by its metadata."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--disk-format", default="qcow2")
        parser.add_argument("--container-format", default="bare")
        parser.add_argument("--min-ram", type=int, default=0)
        parser.add_argument("--min-disk", type=int, default=0)
        parser.add_argument("--size", type=int, default=None)
        parser.add_argument("--private", action="store_true")
        parser.add_argument("--property", action="append", default=[], metavar="KEY=VALUE")

    def handle(self, *args, name, disk_format, container_format, min_ram, min_disk, size, private, property, **kw):
        props = {}
        for item in property:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise CommandError(f"--property takes KEY=VALUE, not {item!r}")
            props[key] = value
        image = Image.objects.create(name=name, status="active", disk_format=disk_format,
                                     container_format=container_format, min_ram=min_ram, min_disk=min_disk,
                                     size=size, visibility="private" if private else "public", properties=props)
        self.stdout.write(str(image.id))
