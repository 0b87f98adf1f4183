"""Refused credentials on the DMP's PDSm interface (/dmp/fhir) count as failed sign-ins in auth::Guard,
under the same lock-outs as IMAP and SMTP (issue 12): a bearer token refused, or a client certificate
the TLS layer did not verify, counts against the client's address and against the professional the
credential claims to be; once locked out the client gets 429 Too Many Requests with Retry-After
(RFC 6585) before any check, even with a good credential, while other addresses and professionals
go on. Clients bind to their own 127.0.0.x so that each test's counts are its own."""
import base64
import datetime
import http.client
import json
import smtplib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mssd_harness import DOMAIN, Server
from test_dmp import AUTHOR, TRAITANT
from test_dmp_rights import SEARCH, setup_dmp
from test_oauth import AUDIENCE, ISSUER, Issuer, add_oauth_section

LOCKOUT_AFTER, IP_LOCKOUT_AFTER = 2, 5


@pytest.fixture(scope="module")
def issuer():
    return Issuer()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory, issuer):
    s = Server(tmp_path_factory.mktemp("mssd-dmp-lockout"))
    s.init()
    s.add_standard_accounts()
    setup_dmp(s)
    (s.data / "jwks.json").write_text(issuer.jwks())
    add_oauth_section(s, issuer=ISSUER, audience=AUDIENCE, jwks_file="jwks.json", acr_minimum="eidas1")
    s.configure(section="auth", lockout_after=LOCKOUT_AFTER, ip_lockout_after=IP_LOCKOUT_AFTER,
                account_delay_after=100000)
    s.start()
    yield s
    s.stop()


def get(server, source, who=None, token=None, cert=None):
    """GET SEARCH from source (127.0.0.x) with a named client certificate, a (cert, key) pair, and/or a token."""
    if who:
        cert = server.certs[who]
    context = server.tls_context(*cert) if cert else server.tls_context()
    c = http.client.HTTPSConnection("127.0.0.1", server.https, context=context, timeout=60, source_address=(source, 0))
    c.request("GET", SEARCH, headers={"Authorization": f"Bearer {token}"} if token else {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r, json.loads(data) if data else None


def assert_locked_out(status, response, body):
    assert status == 429, (status, body)
    retry = int(response.getheader("Retry-After"))
    assert 1 <= retry <= 900, retry
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == "throttled", body


def wrong_audience(issuer, idnat):
    return issuer.token(issuer.claims(idnat=idnat, aud="another-service"))


def test_refused_tokens_lock_that_professional_out_from_that_address(guarded, issuer):
    source = "127.0.0.31"
    for _ in range(LOCKOUT_AFTER):
        status, response, body = get(guarded, source, token=wrong_audience(issuer, TRAITANT[0]))
        assert status == 401 and 'error="invalid_token"' in response.getheader("WWW-Authenticate"), body
    good = issuer.token(issuer.claims(idnat=TRAITANT[0]))
    assert_locked_out(*get(guarded, source, token=good))
    assert_locked_out(*get(guarded, source, token=wrong_audience(issuer, TRAITANT[0])))  # no 401: not even checked
    assert guarded.wait_log(rf"lock-out of account psc:{TRAITANT[0]} from IP {source}", timeout=30)
    assert get(guarded, "127.0.0.32", token=good)[0] == 200, "another address goes on"
    assert get(guarded, source, token=issuer.token(issuer.claims(idnat=AUTHOR[0])))[0] not in (401, 429), \
        "another professional from that address goes on"


def test_guessing_from_one_address_locks_the_address_out_for_any_credential(guarded, issuer):
    source = "127.0.0.33"
    for i in range(IP_LOCKOUT_AFTER):
        assert get(guarded, source, token=wrong_audience(issuer, "8" + "%011d" % (900 + i)))[0] == 401
    assert guarded.wait_log(rf"lock-out of IP {source}", timeout=30)
    assert_locked_out(*get(guarded, source, token=issuer.token(issuer.claims(idnat=TRAITANT[0]))))
    assert_locked_out(*get(guarded, source, who="traitant"))
    assert get(guarded, "127.0.0.34", who="traitant")[0] == 200


def self_signed(directory, ps_idnat):
    """A client certificate shaped like a CPS (CN = PS_IdNat, OU=IGC-SANTE TEST) that no trusted CA issued."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "IGC-SANTE TEST"),
                      x509.NameAttribute(NameOID.COMMON_NAME, ps_idnat)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "forged-cert.pem", directory / "forged-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_refused_client_certificates_count_as_the_professional_they_name(guarded, tmp_path):
    source = "127.0.0.35"
    forged = self_signed(tmp_path, TRAITANT[0])
    for _ in range(LOCKOUT_AFTER):
        status, response, body = get(guarded, source, cert=forged)
        assert status == 401 and response.getheader("WWW-Authenticate").startswith("Bearer realm="), body
    assert guarded.wait_log(rf"client certificate refused", timeout=30)
    assert_locked_out(*get(guarded, source, who="traitant"))  # the real CPS of that PS_IdNat, same address
    assert get(guarded, "127.0.0.36", who="traitant")[0] == 200


def test_failed_smtp_sign_ins_and_the_dmp_share_the_address_lock(guarded):
    source = "127.0.0.37"
    for i in range(IP_LOCKOUT_AFTER):
        with smtplib.SMTP("127.0.0.1", guarded.submission, timeout=60, source_address=(source, 0)) as c:
            c.starttls(context=guarded.tls_context())
            c.ehlo()
            plain = base64.b64encode(f"\0nobody{i}@{DOMAIN}\0wrong password".encode()).decode()
            assert c.docmd("AUTH", f"PLAIN {plain}")[0] == 535  # one mechanism, one failure
    assert_locked_out(*get(guarded, source, who="traitant"))
    assert get(guarded, "127.0.0.38", who="traitant")[0] == 200


def test_no_credentials_are_no_failure(guarded):
    source = "127.0.0.39"
    for _ in range(IP_LOCKOUT_AFTER + 2):
        status, response, _ = get(guarded, source)
        assert status == 401 and "error=" not in response.getheader("WWW-Authenticate")
    assert get(guarded, source, who="traitant")[0] == 200
