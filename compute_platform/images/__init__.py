"""The image domain (Glance's part of the platform): image records and their data files.

Its own app, as volumes is: compute meets it only at Instance.image and the data path a build reads.
"""
