"""The block-storage domain (Cinder's part of the platform): NFS exports, volumes, attachments.

A separate app from `compute`, as NetBox keeps one app per domain: volumes have their own lifecycle and
API (Cinder v3), and meet compute only at attachments.
"""
