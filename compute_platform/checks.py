"""Deployment safety checks Django runs before every management command (migrate, compute_worker ...);
wsgi.py runs them too, so gunicorn refuses to serve with them failing."""
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

# Placeholders this project has shipped as defaults (settings.py, docker-compose.yml): public, so not secret.
KNOWN_PLACEHOLDERS = {"change-me"}


@register(Tags.security)
def secret_key_is_set(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # set but empty
        key = ""
    if key.strip() and key not in KNOWN_PLACEHOLDERS | {settings.INSECURE_SECRET_KEY}:
        return []
    return [Error("SECRET_KEY is missing or a published placeholder",
                  hint="set SECRET_KEY in the environment to a long random string, e.g. "
                       "python3 -c 'import secrets; print(secrets.token_urlsafe(50))' (DEBUG=1 allows the "
                       "placeholder, for development only)",
                  id="compute_platform.E001")]
