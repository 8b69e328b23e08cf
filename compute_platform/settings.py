"""Settings, all from the environment (django-environ), with embedded defaults for `make run`."""
import hashlib
import hmac
from pathlib import Path

import environ

from compute_platform import tasknames

BASE_DIR = Path(__file__).resolve().parent.parent
RUN_DIR = BASE_DIR / ".run"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# Signs sessions (the admin console) and password-reset tokens. No usable default: outside DEBUG, the
# system check in compute_platform/checks.py refuses to start with this placeholder or none at all.
# `make run` generates one per install (.run/secret-key); docker-compose requires it from the environment.
INSECURE_SECRET_KEY = "dev-only-insecure-key-change-me"
SECRET_KEY = env("SECRET_KEY", default=INSECURE_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "compute_platform.identity",
    "compute_platform.images",
    "compute_platform.compute",
    "compute_platform.volumes",
    # the operator console: the admin's overview (landing page), launch form, serial console
    "compute_platform.console",
    "compute_platform.network",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's and Swagger UI's static files from gunicorn, with no web server in front.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "api.common.middleware.RequestIdMiddleware",
    "api.common.middleware.HeaderLimitsMiddleware",
    # Compute microversion negotiation (OpenStack-API-Version): 400/406 before any view runs.
    "api.common.microversions.MicroversionMiddleware",
    "api.volume.microversions.VolumeMicroversionMiddleware",
]

ROOT_URLCONF = "compute_platform.urls"
WSGI_APPLICATION = "compute_platform.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{RUN_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on the busy timeout
    # instead of failing with "database is locked" when a reader upgrades; WAL lets reads run beside.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Django's backend, but a worker's connect waits out a database restart (pg_backend/base.py).
    DATABASES["default"]["ENGINE"] = "compute_platform.pg_backend"
    # No JIT: it compiled the 10,000-server list's query for ~180 ms (its per-row subqueries push the planner's
    # cost past jit_above_cost) to save a few; these are short OLTP queries, where JIT only adds compile time.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_TZ = True
STATIC_URL = "static/"
# Set for `collectstatic` in images (Dockerfile); without it (make run), WhiteNoise serves straight
# from the apps' static folders.
STATIC_ROOT = env("STATIC_ROOT", default=None)
WHITENOISE_USE_FINDERS = True

# The largest request body the API parses (Django's default, 2.5 MB); larger answers 413 overLimit.
# Image data (PUT /image/v2/images/{id}/file) is streamed and capped by IMAGE_SIZE_CAP instead.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BODY_SIZE", default=2_621_440)
# The API's bound on request headers, answered with a JSON 431 (api.common.middleware.HeaderLimitsMiddleware);
# gunicorn's own, higher limits (compute_platform/gunicorn.conf.py) only stop what would exhaust memory.
MAX_REQUEST_HEADER_SIZE = env.int("MAX_REQUEST_HEADER_SIZE", default=16384)
MAX_REQUEST_HEADERS = env.int("MAX_REQUEST_HEADERS", default=100)

# --- Identity ----------------------------------------------------------------------------------
# argon2id first (compute_platform/passwords.py); PBKDF2 kept so existing hashes verify and are
# rehashed with argon2id on the next login.
PASSWORD_HASHERS = [
    "compute_platform.passwords.TunedArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
TOKEN_TTL_SECONDS = env.int("TOKEN_TTL_SECONDS", default=3600)
# Public base URL put into the service catalog; None means "derive from the request".
PUBLIC_ENDPOINT = env("PUBLIC_ENDPOINT", default=None)
REGION_NAME = env("REGION_NAME", default="RegionOne")

# --- Image -------------------------------------------------------------------------------------
# Uploaded image data, one file per image (`<IMAGE_DIR>/<image id>`); hosts read it from here.
IMAGE_DIR = Path(env("IMAGE_DIR", default=str(RUN_DIR / "images")))
# The largest image upload accepted (Glance's image_size_cap, default 1 TiB).
IMAGE_SIZE_CAP = env.int("IMAGE_SIZE_CAP", default=1 << 40)

# --- Compute -----------------------------------------------------------------------------------
COMPUTE_DRIVER = env("COMPUTE_DRIVER", default="fake")
COMPUTE_STATE_DIR = Path(env("COMPUTE_STATE_DIR", default=str(RUN_DIR / "compute")))
# The capacity each fake-driver host reports (a real driver asks the hypervisor).
FAKE_HOST_VCPUS = env.int("FAKE_HOST_VCPUS", default=32)
FAKE_HOST_MEMORY_MB = env.int("FAKE_HOST_MEMORY_MB", default=131072)
FAKE_HOST_DISK_GB = env.int("FAKE_HOST_DISK_GB", default=2048)
# The fake driver's per-host guest files, and its slowed operations (e.g. `spawn=2,destroy=1`, for tests of
# crashes mid-operation).
FAKE_DRIVER_STATE_DIR = Path(env("FAKE_DRIVER_STATE_DIR", default=str(COMPUTE_STATE_DIR / "fake")))
FAKE_DRIVER_DELAYS = env("FAKE_DRIVER_DELAYS", default="")
# The host a process serves when nothing sets it (the worker command sets it from --host at start-up).
COMPUTE_HOST = env("COMPUTE_HOST", default="")
# A host worker's Celery pool (the worker command's defaults).
WORKER_POOL = env("WORKER_POOL", default="threads")
WORKER_CONCURRENCY = env.int("WORKER_CONCURRENCY", default=4)
WORKER_LOGLEVEL = env("WORKER_LOGLEVEL", default="INFO")
DEFAULT_AVAILABILITY_ZONE = env("DEFAULT_AVAILABILITY_ZONE", default="nova")
# A host whose worker has not reported within this many seconds is "down" (Nova's service_down_time).
SERVICE_DOWN_TIME = env.int("SERVICE_DOWN_TIME", default=60)
HEARTBEAT_INTERVAL = env.int("HEARTBEAT_INTERVAL", default=10)
POWER_SYNC_INTERVAL = env.int("POWER_SYNC_INTERVAL", default=60)
CPU_ALLOCATION_RATIO = env.float("CPU_ALLOCATION_RATIO", default=4.0)
RAM_ALLOCATION_RATIO = env.float("RAM_ALLOCATION_RATIO", default=1.0)
DISK_ALLOCATION_RATIO = env.float("DISK_ALLOCATION_RATIO", default=1.0)
# Moves: may a resize land on the server's own host (Nova's allow_resize_to_same_host; off by default)?
ALLOW_RESIZE_TO_SAME_HOST = env.bool("ALLOW_RESIZE_TO_SAME_HOST", default=False)
# Nova's [api]max_limit: the most servers one list page returns.
API_MAX_LIMIT = env.int("API_MAX_LIMIT", default=1000)
# An instance whose task_state has not moved for this long on a live host has its work re-sent.
STALE_TASK_SECONDS = env.int("STALE_TASK_SECONDS", default=600)
SOFT_POWER_OFF_TIMEOUT = env.float("SOFT_POWER_OFF_TIMEOUT", default=60.0)
# Nova's [DEFAULT] shelved_offload_time: seconds a shelved server keeps its host before it is offloaded
# (0: at once, as part of the shelve; -1: never, only shelveOffload). The sweep runs every
# SHELVED_POLL_INTERVAL seconds (Nova's shelved_poll_interval).
SHELVED_OFFLOAD_TIME = env.int("SHELVED_OFFLOAD_TIME", default=0)
SHELVED_POLL_INTERVAL = env.int("SHELVED_POLL_INTERVAL", default=3600)
# A worker whose database goes away mid-task waits this long for it (compute_platform/db_retry.py) rather
# than leave the instance stuck in its task_state; the API does not wait (503).
DB_OUTAGE_RETRY_SECONDS = env.float("DB_OUTAGE_RETRY_SECONDS", default=120.0)
# libvirt driver (COMPUTE_DRIVER=libvirt). `qemu` is TCG, which runs anywhere; use `kvm` on a host whose
# /dev/kvm runs guests. Instance disks and the image cache live under INSTANCES_DIR, which QEMU's user
# (libvirt-qemu) must be able to traverse.
LIBVIRT_URI = env("LIBVIRT_URI", default="qemu:///system")
LIBVIRT_VIRT_TYPE = env("LIBVIRT_VIRT_TYPE", default="qemu")
INSTANCES_DIR = Path(env("INSTANCES_DIR", default=str(RUN_DIR / "instances")))
# Moves on libvirt: INSTANCES_DIR may name the host (`.../{host}`), so hosts sharing a machine keep their disks
# apart and a resize or cold migration finds the destination's directory. LIBVIRT_LIVE_MIGRATION_URI names
# another host's libvirt (`{host}`, Nova's live_migration_uri), e.g. `qemu+unix:///system?socket=/run/{host}/libvirt-sock`;
# empty: this host does not live-migrate.
LIBVIRT_LIVE_MIGRATION_URI = env("LIBVIRT_LIVE_MIGRATION_URI", default="")
# The metadata service (api/metadata, Nova's nova-api-metadata behind Neutron's proxy): the secret a host's
# metadata proxies sign the guest's address and network with (Nova's metadata_proxy_shared_secret; unset: one
# derived from SECRET_KEY, which serves an API and workers that share it), and the URL they relay to.
METADATA_PROXY_SHARED_SECRET = env("METADATA_PROXY_SHARED_SECRET", default="") or hmac.new(
    SECRET_KEY.encode(), b"metadata-proxy-shared-secret", hashlib.sha256).hexdigest()
METADATA_API_URL = env("METADATA_API_URL", default="http://127.0.0.1:8000/metadata")
# Default quotas of every project (Nova's defaults); -1 is unlimited. os-quota-sets overrides them per project.
QUOTA_DEFAULTS = {
    "instances": env.int("QUOTA_INSTANCES", default=10),
    "cores": env.int("QUOTA_CORES", default=20),
    "ram": env.int("QUOTA_RAM", default=51200),
    "key_pairs": env.int("QUOTA_KEY_PAIRS", default=100),
    "metadata_items": env.int("QUOTA_METADATA_ITEMS", default=128),
    "server_groups": env.int("QUOTA_SERVER_GROUPS", default=10),
    "server_group_members": env.int("QUOTA_SERVER_GROUP_MEMBERS", default=10),
    "injected_files": env.int("QUOTA_INJECTED_FILES", default=5),
    "injected_file_content_bytes": env.int("QUOTA_INJECTED_FILE_CONTENT_BYTES", default=10240),
    "injected_file_path_bytes": env.int("QUOTA_INJECTED_FILE_PATH_BYTES", default=255),
}

# --- Consoles (the serial console proxy and the operator console) --------------------------------
# Console tokens (Nova's console auth tokens) live this long, in Redis under CONSOLE_REDIS_URL; the
# serial proxy (`manage.py serial_proxy`, started by `make run`) accepts a websocket only with a live one.
CONSOLE_TOKEN_TTL = env.int("CONSOLE_TOKEN_TTL", default=600)
CONSOLE_REDIS_URL = env("CONSOLE_REDIS_URL", default=env("REDIS_URL", default="redis://127.0.0.1:6379/0"))
# The URL clients get (Nova's [serial_console] base_url): `{host}` is replaced by the guest's compute host,
# for a proxy per compute machine; one machine needs no placeholder.
SERIAL_PROXY_URL = env("SERIAL_PROXY_URL", default="ws://127.0.0.1:6083/")
SERIAL_PROXY_PORT = env.int("SERIAL_PROXY_PORT", default=6083)
# Flower, linked from the operator console's overview (make run starts it on FLOWER_PORT).
FLOWER_URL = env("FLOWER_URL", default="http://127.0.0.1:5555/")
# --- Networking (the Neutron-shaped network service) ------------------------------------------------
# Default network quotas of every project (Neutron's defaults); -1 is unlimited; /network/v2.0/quotas overrides.
NETWORK_QUOTA_DEFAULTS = {
    "network": env.int("QUOTA_NETWORK", default=100),
    "subnet": env.int("QUOTA_SUBNET", default=100),
    "port": env.int("QUOTA_PORT", default=500),
    "security_group": env.int("QUOTA_SECURITY_GROUP", default=10),
    "security_group_rule": env.int("QUOTA_SECURITY_GROUP_RULE", default=100),
    "floatingip": env.int("QUOTA_FLOATINGIP", default=50),
}
# Neutron's base MAC: ports get fa:16:3e plus three random octets.
NETWORK_BASE_MAC = env("NETWORK_BASE_MAC", default="fa:16:3e:00:00:00")

# --- Volumes (NFS exports and the MountManager) --------------------------------------------------
# Each host mounts exports under VOLUME_MOUNT_BASE/<host> (os-brick naming below that): the per-host folder
# keeps the fake hosts that share one machine apart. Production: /var/lib/nova/mnt.
VOLUME_MOUNT_BASE = Path(env("VOLUME_MOUNT_BASE", default=str(COMPUTE_STATE_DIR / "mnt")))
MOUNT_TIMEOUT = env.float("MOUNT_TIMEOUT", default=60.0)
# Lease of a per-(host, export) mount lock; renewed while held, so only a dead holder loses it.
MOUNT_LOCK_TTL = env.float("MOUNT_LOCK_TTL", default=15.0)
VOLUME_AUDIT_INTERVAL = env.int("VOLUME_AUDIT_INTERVAL", default=60)
# The mount identity of the volume service (the conductor worker consuming `volume`), which mounts exports
# to create and delete volume files.
VOLUME_SERVICE_HOST = env("VOLUME_SERVICE_HOST", default="volume-service")
# Volume files are created with this mode; libvirt's dynamic ownership hands them to QEMU's user on attach.
VOLUME_FILE_MODE = int(env("VOLUME_FILE_MODE", default="0660"), 8)

# --- Celery ------------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
# Results are kept only for the few synchronous calls to a host (console output); all else ignores them.
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
# The MountManager's state (attachment sets, fenced locks) lives here; every worker of a cluster must share it.
MOUNT_REDIS_URL = env("MOUNT_REDIS_URL", default=REDIS_URL)
CELERY_RESULT_EXPIRES = 300
HOST_CALL_TIMEOUT = env.float("HOST_CALL_TIMEOUT", default=15.0)
# Celery's Django fixup otherwise closes the worker's database connection around every task, so each
# task paid a new PostgreSQL connection (a third of a build's CPU). Broken connections are still
# replaced: Django checks them before use (CONN_HEALTH_CHECKS) and after errors.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = tasknames.CONDUCTOR_QUEUE
# An unreachable broker or result store must cost a request seconds, not the ~20 s of Celery's default
# retries (the result store's reconnects): a connect gives up after BROKER_CONNECT_TIMEOUT and a publish is
# retried BROKER_PUBLISH_RETRIES times. A publish that failed after its commit waits in the database
# (DispatchBacklog) for the broker's return; a synchronous host call answers 503.
BROKER_CONNECT_TIMEOUT = env.float("BROKER_CONNECT_TIMEOUT", default=2.0)
BROKER_PUBLISH_RETRIES = env.int("BROKER_PUBLISH_RETRIES", default=2)
BROKER_SOCKET_OPTIONS = {"socket_connect_timeout": BROKER_CONNECT_TIMEOUT,
                         "socket_timeout": max(5.0, BROKER_CONNECT_TIMEOUT)}
_RETRY_POLICY = {"max_retries": BROKER_PUBLISH_RETRIES, "interval_start": 0, "interval_step": 0.2,
                 "interval_max": 0.5}
# One Redis list per queue: no task is sent with a priority, and kombu's default keeps four (priorities 0, 3, 6,
# 9), so every BRPOP named four keys a queue: 4,000 for the multi-host worker at 1,000 hosts.
BROKER_PRIORITY_STEPS = [0]
# visibility_timeout: longer than the slowest task (a soft power-off waits up to SOFT_POWER_OFF_TIMEOUT), so
# Redis never redelivers a message whose task is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("BROKER_VISIBILITY_TIMEOUT", default=3600),
                                   "priority_steps": BROKER_PRIORITY_STEPS, **BROKER_SOCKET_OPTIONS}
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_CONNECT_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = _RETRY_POLICY
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = BROKER_CONNECT_TIMEOUT
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {**BROKER_SOCKET_OPTIONS, "retry_policy": _RETRY_POLICY}
# How often the conductor checks that the broker still holds its messages (a restarted Redis lacks the
# generation key it set), and re-sends the backlog of publishes that failed while it was away.
BROKER_WATCH_INTERVAL = env.float("BROKER_WATCH_INTERVAL", default=15.0)
# Flower's task list: the workers' events (received, started, succeeded). A "sent" event from the API as well
# cost a second Redis round trip in every request that hands work to a host (a third of a publish's CPU and
# ~half its wall time, measured); a queued task still shows in the queue depths (overview, LLEN).
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = env.bool("TASK_SENT_EVENTS", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "fan-out-power-state-sync": {
        "task": tasknames.SYNC_POWER_STATES_ALL_HOSTS,
        "schedule": float(POWER_SYNC_INTERVAL),
        "options": {"queue": tasknames.CONDUCTOR_QUEUE},
    },
    "redrive-stale-tasks": {
        "task": tasknames.REDRIVE_STALE_TASKS,
        "schedule": 300.0,
        "options": {"queue": tasknames.CONDUCTOR_QUEUE},
    },
    "audit-mounts": {
        "task": tasknames.AUDIT_MOUNTS_ALL_HOSTS,
        "schedule": float(VOLUME_AUDIT_INTERVAL),
        "options": {"queue": tasknames.CONDUCTOR_QUEUE},
    },
    "purge-expired-tokens": {
        "task": tasknames.PURGE_EXPIRED_TOKENS,
        "schedule": 3600.0,
        "options": {"queue": tasknames.CONDUCTOR_QUEUE},
    },
    "offload-shelved-instances": {  # moves A
        "task": tasknames.OFFLOAD_SHELVED_INSTANCES,
        "schedule": float(SHELVED_POLL_INTERVAL),
        "options": {"queue": tasknames.CONDUCTOR_QUEUE},
    },
}

# --- REST framework ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.common.auth.KeystoneTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["api.common.renderers.OrjsonRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.common.errors.openstack_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Compute platform API",
    "DESCRIPTION": "OpenStack-shaped Keystone v3, Nova v2.1 and Glance v2 subsets.",
    "VERSION": "2.1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets from the sidecar package: /api/docs/ works with no internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
