import gc
import os

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compute_platform.settings")
application = get_wsgi_application()
# Management commands run Django's system checks; a WSGI server does not. Refuse to serve when the
# security ones fail (a missing SECRET_KEY): gunicorn then exits with "Worker failed to boot".
_failed = [c for c in checks.run_checks(tags=[checks.Tags.security]) if c.is_serious()]
if _failed:
    raise ImproperlyConfigured("; ".join(str(c) for c in _failed))
get_resolver().url_patterns  # import every view now, in the master, not on a worker's first request

# Everything loaded so far lives as long as the process: move it out of the garbage collector's
# sight, so a large response (10,000 servers) does not pay for rescanning Django's own objects.
gc.freeze()
