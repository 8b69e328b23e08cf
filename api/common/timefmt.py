"""The two timestamp forms OpenStack APIs use (UTC datetimes in, strings out, None stays None)."""


def iso_z(dt) -> str | None:
    """Seconds with a Z: Nova's server `created`/`updated`, Glance's timestamps."""
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


def iso_usec(dt) -> str | None:
    """Microseconds, no zone: Nova's launched_at, action times, service updated_at."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f") if dt else None
