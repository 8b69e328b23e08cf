"""The password hasher: argon2id tuned to about 100 ms per hash.

Django's default (PBKDF2-SHA256, 1M iterations) took 0.6-0.9 s here, paid by every password token
and so by every `openstack` CLI command; Keystone's bcrypt takes about 0.25 s. Measured with
argon2.low_level.hash_secret on the 2-core benchmark machine (median of 9): t=2, m=46 MiB, p=1 is
~100 ms (t=1 ~66 ms, t=2 m=32 MiB ~73 ms, Django's own t=2 m=100 MiB p=8 ~170 ms). m=46 MiB is
OWASP's argon2id memory figure. PBKDF2 stays in PASSWORD_HASHERS so existing hashes still verify;
Django rehashes them with this one on the user's next successful login (check_password's setter).
"""
from django.contrib.auth.hashers import Argon2PasswordHasher


class TunedArgon2PasswordHasher(Argon2PasswordHasher):
    # Same algorithm name ("argon2"): the parameters are stored in each hash, so changing them later
    # makes Django rehash on login (must_update) without a new hasher class.
    time_cost = 2
    memory_cost = 47104  # KiB
    parallelism = 1
