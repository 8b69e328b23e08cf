"""Placement: filter the hosts (filters.py), weigh the survivors (weighers.py), claim the best one
atomically (claims.py). filters and weighers are pure, so this package imports nothing eagerly."""
