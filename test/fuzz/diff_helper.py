#!/usr/bin/python3
"""Reference parser for the differential fuzz targets: Python `cryptography` (pyca).

Reads one request per line on stdin: "<kind> <hex>" with kind one of x509, spki, pkey,
ocsp, pem; writes one JSON object per line on stdout: {"ok": true, "fields": {...}} when
pyca accepts the input, {"ok": false, "error": "..."} when it refuses it. A first line
{"ready": true, "version": "..."} announces the helper. Runs until stdin closes.
"""
import datetime
import json
import sys

try:
    import cryptography
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, ed448, rsa, dsa, x25519, x448
    from cryptography.x509 import ocsp
except Exception as e:  # noqa: BLE001
    print(json.dumps({"ready": False, "error": "python cryptography not importable: %s" % e}), flush=True)
    sys.exit(0)

UTC = datetime.timezone.utc


def ts(d):
    if d is None:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return int(d.timestamp())


def key_type(k):
    if isinstance(k, ec.EllipticCurvePublicKey) or isinstance(k, ec.EllipticCurvePrivateKey):
        return {"secp256r1": "ec-p256", "secp384r1": "ec-p384"}.get(k.curve.name, "ec-" + k.curve.name)
    if isinstance(k, (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)):
        return "ed25519"
    if isinstance(k, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        return "rsa"
    if isinstance(k, (dsa.DSAPublicKey, dsa.DSAPrivateKey)):
        return "dsa"
    if isinstance(k, (x25519.X25519PublicKey, x25519.X25519PrivateKey)):
        return "x25519"
    if isinstance(k, (ed448.Ed448PublicKey, ed448.Ed448PrivateKey, x448.X448PublicKey, x448.X448PrivateKey)):
        return "448"
    return type(k).__name__


def cert_fields(c):
    exts = c.extensions  # parses every extension; raises on a malformed one
    dns, ips = [], []
    has_san = False
    for e in exts:
        if isinstance(e.value, x509.SubjectAlternativeName):
            has_san = True
            dns = [str(v) for v in e.value.get_values_for_type(x509.DNSName)]
            ips = [v.packed.hex() for v in e.value.get_values_for_type(x509.IPAddress)]
    try:
        kt = key_type(c.public_key())
    except Exception:  # noqa: BLE001  (an unsupported key is not a certificate error)
        kt = "unsupported"
    return {
        "serial": str(c.serial_number),
        "notBefore": ts(c.not_valid_before),
        "notAfter": ts(c.not_valid_after),
        "subject": c.subject.rfc4514_string(),
        "issuer": c.issuer.rfc4514_string(),
        "dns": dns,
        "ips": ips,
        "hasSan": has_san,
        "keyType": kt,
        "extensions": len(exts),
    }


def handle(kind, data):
    if kind == "x509":
        return cert_fields(x509.load_der_x509_certificate(data))
    if kind == "pem":
        return {"der": x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER).hex()}
    if kind == "spki":
        k = serialization.load_der_public_key(data) if data[:1] == b"\x30" else serialization.load_pem_public_key(data)
        return {"keyType": key_type(k)}
    if kind == "pkey":
        k = serialization.load_der_private_key(data, password=None) if data[:1] == b"\x30" else serialization.load_pem_private_key(data, password=None)
        return {"keyType": key_type(k)}
    if kind == "ocsp":
        r = ocsp.load_der_ocsp_response(data)
        out = {"responseStatus": r.response_status.name}
        if r.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL:
            out.update({
                "certStatus": r.certificate_status.name,
                "serial": str(r.serial_number),
                "thisUpdate": ts(r.this_update),
                "nextUpdate": ts(r.next_update),
                "revocationTime": ts(r.revocation_time),
                "extensions": len(r.extensions),
                "singleExtensions": len(r.single_extensions),
                "certificates": len(r.certificates),
            })
        return out
    raise ValueError("unknown kind " + kind)


def main():
    print(json.dumps({"ready": True, "version": cryptography.__version__}), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        kind, _, hexdata = line.partition(" ")
        try:
            fields = handle(kind, bytes.fromhex(hexdata))
            res = {"ok": True, "fields": fields}
        except Exception as e:  # noqa: BLE001  (every refusal is an answer)
            res = {"ok": False, "error": "%s: %s" % (type(e).__name__, str(e)[:200])}
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
