"""Key pairs (Nova's os-keypairs): per user; generated (RSA 2048, as Nova) or imported; fingerprinted as Nova does."""
import base64
import binascii
import hashlib
import logging
import re
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.db import IntegrityError, transaction

from ..exceptions import BadRequest, Conflict, NotFound
from ..models import KeyPair
from .quotas import OverQuota, quota_lock_user, quota_user_limits

logger = logging.getLogger(__name__)

# Nova's keypair name before microversion 2.92: letters, digits, space, underscore, hyphen.
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9 _-]{1,255}$")


def _colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def ssh_fingerprint(public_key: str) -> str:
    """Nova's fingerprint of an OpenSSH public key: MD5 of the base64 key blob, colon-separated hex.
    Raises BadRequest unless the key parses as an OpenSSH public key."""
    invalid = BadRequest("Keypair data is invalid: failed to generate fingerprint")
    try:
        serialization.load_ssh_public_key(public_key.strip().encode())
        blob = base64.b64decode(public_key.split()[1], validate=True)
    except (ValueError, IndexError, UnsupportedAlgorithm, binascii.Error, UnicodeEncodeError):
        raise invalid
    return _colon_hex(hashlib.md5(blob).digest())


def x509_fingerprint(certificate: str) -> str:
    """Nova's fingerprint of an x509 certificate: SHA-1 of its DER form, colon-separated hex."""
    try:
        cert = x509.load_pem_x509_certificate(certificate.encode())
    except (ValueError, UnicodeEncodeError) as exc:
        raise BadRequest(f"Keypair data is invalid: failed to generate X509 fingerprint. Error message: {exc}")
    return _colon_hex(cert.fingerprint(hashes.SHA1()))


def ssh_keypair_generate() -> tuple[str, str]:
    """(private key PEM, public key in OpenSSH form), RSA 2048, as Nova generates them."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    return private, f"{public} Generated-by-Nova"


def x509_keypair_generate(*, common_name: str) -> tuple[str, str]:
    """(private key PEM, self-signed certificate PEM) for an x509 keypair (Nova uses them for WinRM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + timedelta(days=3650)).sign(key, hashes.SHA256()))
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    return private, cert.public_bytes(serialization.Encoding.PEM).decode()


def keypair_validate_name(name: str) -> None:
    if not NAME_PATTERN.match(name or "") or name != name.strip():
        raise BadRequest("Keypair data is invalid: Keypair name contains unsafe characters (allowed: letters, "
                         "digits, spaces, '_' and '-', 1 to 255 characters, no leading or trailing space)")


def keypair_create(*, context, name: str, public_key: str | None = None,
                   key_type: str = KeyPair.SSH) -> tuple[KeyPair, str | None]:
    """Import `public_key`, or generate a pair when it is None. Returns (keypair, private key or None).

    409 if the user has a keypair of that name; 403 over the key_pairs quota (counted per user under a
    lock on the user's row, so concurrent creates cannot pass it together).
    """
    keypair_validate_name(name)
    private_key = None
    if public_key is None:
        if key_type == KeyPair.X509:
            private_key, public_key = x509_keypair_generate(common_name=f"user-{context.user_id}")
        else:
            private_key, public_key = ssh_keypair_generate()
    public_key = public_key.strip()
    fingerprint = x509_fingerprint(public_key) if key_type == KeyPair.X509 else ssh_fingerprint(public_key)
    limit = quota_user_limits(project_id=context.project_id, user_id=context.user_id)["key_pairs"]
    try:
        with transaction.atomic():
            quota_lock_user(user_id=context.user_id)
            if limit >= 0 and KeyPair.objects.filter(user_id=context.user_id).count() >= limit:
                raise OverQuota("Quota exceeded, too many key pairs.")
            keypair = KeyPair.objects.create(user_id=context.user_id, name=name, type=key_type,
                                             fingerprint=fingerprint, public_key=public_key)
    except IntegrityError:
        raise Conflict(f"Key pair '{name}' already exists.")
    logger.info("keypair %s (%s) created for user %s (%s)", name, fingerprint, context.user_id,
                "generated" if private_key else "imported")
    return keypair, private_key


def keypair_get(*, context, name: str) -> KeyPair:
    keypair = KeyPair.objects.filter(user_id=context.user_id, name=name).first()
    if keypair is None:
        raise NotFound(f"Keypair {name} not found for user {context.user_key}")
    return keypair


def keypair_list(*, context, limit: int, marker: str | None = None) -> list[KeyPair]:
    """The caller's key pairs by name, `limit` of them after `marker` (a key pair name), as Nova 2.35."""
    qs = KeyPair.objects.filter(user_id=context.user_id).order_by("name")
    if marker:
        if not qs.filter(name=marker).exists():
            raise BadRequest(f"marker [{marker}] not found")
        qs = qs.filter(name__gt=marker)  # names are unique per user
    return list(qs[:limit])


def keypair_delete(*, context, name: str) -> None:
    """Servers booted with the key keep their copy (Instance.key_data)."""
    deleted, _ = KeyPair.objects.filter(user_id=context.user_id, name=name).delete()
    if not deleted:
        raise NotFound(f"Keypair {name} not found for user {context.user_key}")
    logger.info("keypair %s of user %s deleted", name, context.user_id)
