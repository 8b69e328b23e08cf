"""`manage.py serial_proxy`: the serial console proxy (consoleproxy/server.py), as `make run` starts it."""
import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve guests' serial consoles over websockets to holders of a console token."

    def add_arguments(self, parser):
        parser.add_argument("--address", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.SERIAL_PROXY_PORT)
        parser.add_argument("--host", help="serve only this compute host's guests (a proxy per machine)")

    def handle(self, *args, address="127.0.0.1", port=None, host=None, **options):
        from consoleproxy.server import serve

        asyncio.run(serve(address=address, port=port, host=host))
