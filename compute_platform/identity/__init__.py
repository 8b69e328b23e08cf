"""The identity domain (Keystone's part of the platform): projects, users (Django's), role assignments, tokens.

Its own app, as volumes is: compute, volumes and images meet it only through foreign keys to Project
and the RequestContext a validated token becomes.
"""
