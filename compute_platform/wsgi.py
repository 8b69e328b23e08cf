import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compute_platform.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # import every view now, in the master, not on a worker's first request

# Everything loaded so far lives as long as the process: move it out of the garbage collector's
# sight, so a large response (10,000 servers) does not pay for rescanning Django's own objects.
gc.freeze()
