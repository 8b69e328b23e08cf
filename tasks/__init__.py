"""Celery tasks: thin wrappers that take ids and call the compute manager (tasks/manager/)."""
