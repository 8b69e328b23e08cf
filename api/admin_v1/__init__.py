"""The platform's own admin API at /api/v1 (no OpenStack equivalent): exports and host mounts."""
