"""Pro Santé Connect sign-in against the real mssd (issue 13): SASL OAUTHBEARER (RFC 7628) and XOAUTH2
on IMAP and submission, with tokens made here by a local issuer (an RSA and an EC P-256 key made with
python3-cryptography, published as a JWKS file, then over HTTPS for the jwks_url and introspection
paths). Accepted: the professional's personal mailbox and an organisational mailbox they belong to.
Refused, each with the error challenge first and then NO / 535: expired, not yet valid, wrong
audience or issuer, wrong key, unknown kid, alg none, tampered claims, eIDAS level too low, a
PS_IdNat without a mailbox, another professional's mailbox."""
import base64
import imaplib
import json
import http.server
import smtplib
import ssl
import threading
import time
import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from mssd_harness import DOCTOR, GP, PRACTICE, SECRETARY, Server

ISSUER = "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet"
AUDIENCE = "mssd-test"
GP_IDNAT = "810001045367"      # jean.dupont, member of cabinet@
DOCTOR_IDNAT = "810002567773"  # marie.martin, member of nothing


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64u(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return b64u(n.to_bytes(length, "big"))


class Issuer:
    """A local OpenID provider: its keys, its JWKS, the tokens it signs."""

    def __init__(self):
        self.rsa = {"k1": rsa.generate_private_key(public_exponent=65537, key_size=2048),
                    "p1": rsa.generate_private_key(public_exponent=65537, key_size=2048)}
        self.ec = {"e1": ec.generate_private_key(ec.SECP256R1())}

    def add_rsa(self, kid):
        self.rsa[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self):
        keys = []
        for kid, k in self.rsa.items():
            n = k.public_key().public_numbers()
            keys.append({"kty": "RSA", "kid": kid, "use": "sig", "alg": "PS256" if kid.startswith("p") else "RS256",
                         "n": int_b64u(n.n),
                         "e": int_b64u(n.e)})
        for kid, k in self.ec.items():
            n = k.public_key().public_numbers()
            keys.append({"kty": "EC", "kid": kid, "use": "sig", "crv": "P-256", "x": int_b64u(n.x, 32),
                         "y": int_b64u(n.y, 32)})
        return json.dumps({"keys": keys})

    @staticmethod
    def claims(idnat=GP_IDNAT, **overrides):
        now = int(time.time())
        c = {"iss": ISSUER, "aud": [AUDIENCE, "account"], "exp": now + 300, "iat": now - 5, "nbf": now - 5,
             "acr": "eidas1", "SubjectNameID": idnat, "preferred_username": idnat, "azp": "mss-client"}
        c.update(overrides)
        return {k: v for k, v in c.items() if v is not None}

    def token(self, claims=None, kid="k1", alg=None, signer=None):
        claims = claims or self.claims()
        alg = alg or ("ES256" if kid in self.ec else "PS256" if kid.startswith("p") else "RS256")
        header = b64u(json.dumps({"alg": alg, "typ": "JWT", "kid": kid}))
        payload = b64u(json.dumps(claims))
        signing_input = f"{header}.{payload}".encode()
        key = signer or self.rsa.get(kid) or self.ec.get(kid)
        if alg == "none":
            return f"{header}.{payload}."
        if alg == "ES256":
            r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        elif alg == "PS256":
            signature = key.sign(signing_input, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
        else:
            signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{payload}.{b64u(signature)}"


def xoauth2(user, token):
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def oauthbearer(token, authzid=""):
    a = f"a={authzid}" if authzid else ""
    return f"n,{a},\x01host=127.0.0.1\x01auth=Bearer {token}\x01\x01"


def add_oauth_section(server, **settings):
    lines = ["", "[oauth]"]
    for k, v in settings.items():
        lines.append(f"{k} = {json.dumps(v)}")
    path = server.data / "mssd.toml"
    path.write_text(path.read_text() + "\n".join(lines) + "\n")


def tolerant_auth(server):
    """Many refusals from 127.0.0.1 here are the point, not guessing: no lock-out in these tests."""
    server.configure(section="auth", lockout_after=1000, ip_lockout_after=100000, account_delay_after=100000)


@pytest.fixture(scope="module")
def issuer():
    return Issuer()


@pytest.fixture(scope="module")
def psc(tmp_path_factory, issuer):
    s = Server(tmp_path_factory.mktemp("mssd-oauth"))
    s.init()
    s.add_standard_accounts()
    tolerant_auth(s)
    (s.data / "jwks.json").write_text(issuer.jwks())
    add_oauth_section(s, issuer=ISSUER, audience=AUDIENCE, jwks_file="jwks.json", acr_minimum="eidas1")
    s.start()
    yield s
    s.stop()


def imap_client(server):
    return imaplib.IMAP4_SSL("127.0.0.1", server.imaps, ssl_context=server.tls_context(), timeout=60)


def imap_sign_in(server, mechanism, message):
    """AUTHENTICATE; returns (client, challenges seen after the first) or raises imaplib's error."""
    c = imap_client(server)
    seen = []

    def answer(challenge):
        if challenge:
            seen.append(challenge)
            return b""
        return message.encode()

    try:
        c.authenticate(mechanism, answer)
    except imaplib.IMAP4.error as e:
        c.challenges = seen
        c.shutdown()
        raise RefusedWith(str(e), seen) from None
    return c, seen


class RefusedWith(Exception):
    def __init__(self, text, challenges):
        super().__init__(text)
        self.text = text
        self.challenges = challenges


def test_mechanisms_are_offered_after_tls_only(psc):
    c = imap_client(psc)
    assert "AUTH=OAUTHBEARER" in c.capabilities and "AUTH=XOAUTH2" in c.capabilities
    c.logout()
    plain = imaplib.IMAP4("127.0.0.1", psc.imap, timeout=60)
    assert "AUTH=XOAUTH2" not in plain.capabilities
    plain.logout()
    with smtplib.SMTP("127.0.0.1", psc.submission, timeout=60) as s:
        s.ehlo()
        assert "OAUTHBEARER" not in s.esmtp_features.get("auth", "")
        s.starttls(context=psc.tls_context())
        s.ehlo()
        assert "OAUTHBEARER" in s.esmtp_features["auth"] and "XOAUTH2" in s.esmtp_features["auth"]


def test_mechanisms_are_not_offered_without_oauth_config(server):
    c = imap_client(server)
    assert "AUTH=XOAUTH2" not in c.capabilities
    with pytest.raises(imaplib.IMAP4.error):
        c.authenticate("XOAUTH2", lambda _: xoauth2(GP, "abc").encode())
    c.logout()


def test_xoauth2_opens_the_personal_mailbox(psc, issuer):
    c, seen = imap_sign_in(psc, "XOAUTH2", xoauth2(GP, issuer.token()))
    assert seen == []
    assert c.select("INBOX")[0] == "OK"
    c.logout()
    assert psc.wait_log(r"AUTHENTICATE PS_IdNat 810001045367 " + GP.replace(".", r"\."))


def test_oauthbearer_with_an_ec_key_opens_the_organisational_mailbox(psc, issuer):
    c, _ = imap_sign_in(psc, "OAUTHBEARER", oauthbearer(issuer.token(kid="e1"), authzid=PRACTICE))
    status, data = c.namespace()
    assert status == "OK"
    assert c.select("INBOX")[0] == "OK"
    c.logout()
    assert psc.wait_log(r"AUTHENTICATE PS_IdNat 810001045367 " + PRACTICE.replace(".", r"\."))


def test_oauthbearer_without_authzid_opens_the_only_personal_mailbox(psc, issuer):
    c, _ = imap_sign_in(psc, "OAUTHBEARER", oauthbearer(issuer.token(Issuer.claims(DOCTOR_IDNAT))))
    c.logout()
    assert psc.wait_log(r"AUTHENTICATE PS_IdNat 810002567773 " + DOCTOR.replace(".", r"\."))


def test_ps256_token_and_its_key_kept_to_ps256(psc, issuer):
    c, _ = imap_sign_in(psc, "XOAUTH2", xoauth2(GP, issuer.token(kid="p1")))
    c.logout()
    with pytest.raises(RefusedWith):  # the same key, RS256: its JWK says PS256 only
        imap_sign_in(psc, "XOAUTH2", xoauth2(GP, issuer.token(kid="p1", alg="RS256")))
    assert psc.wait_log(r"token refused, algorithm refused: alg RS256 with key 'p1'")


def test_sasl_ir_initial_response(psc, issuer):
    """imaplib never sends SASL-IR: a raw TLS exchange with the response in the command."""
    import socket
    raw = psc.tls_context().wrap_socket(socket.create_connection(("127.0.0.1", psc.imaps), 60),
                                        server_hostname="127.0.0.1")
    f = raw.makefile("rwb")
    f.readline()
    ir = base64.b64encode(oauthbearer(issuer.token()).encode()).decode()
    f.write(f"a1 AUTHENTICATE OAUTHBEARER {ir}\r\n".encode())
    f.flush()
    assert f.readline().startswith(b"a1 OK")
    raw.close()


def _refused_tokens(issuer):
    intruder = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    good = issuer.token()
    head, payload, sig = good.split(".")
    tampered_claims = Issuer.claims(GP_IDNAT)
    tampered_claims["SubjectNameID"] = DOCTOR_IDNAT
    return {
        "expired": issuer.token(Issuer.claims(exp=now - 3600, iat=now - 7200, nbf=now - 7200)),
        "not yet valid": issuer.token(Issuer.claims(nbf=now + 3600, iat=now)),
        "wrong audience": issuer.token(Issuer.claims(aud="someone-else")),
        "wrong issuer": issuer.token(Issuer.claims(iss="https://evil.example/realms/x")),
        "wrong key": issuer.token(kid="k1", signer=intruder),
        "unknown kid": issuer.token(kid="nope", alg="RS256", signer=intruder),
        "alg none": issuer.token(alg="none"),
        "HS256 with the public key": _hs256_with_public_key(issuer),
        "tampered claims": f"{head}.{b64u(json.dumps(tampered_claims))}.{sig}",
        "acr missing": issuer.token(Issuer.claims(acr=None)),
        "acr too low": issuer.token(Issuer.claims(acr="eidas0")),
        "PS_IdNat with no mailbox": issuer.token(Issuer.claims("810009999999")),
        "no professional": issuer.token(Issuer.claims(SubjectNameID=None, preferred_username=None)),
    }


def _hs256_with_public_key(issuer):
    import hmac
    pem = issuer.rsa["k1"].public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}))
    payload = b64u(json.dumps(Issuer.claims()))
    mac = hmac.new(pem, f"{header}.{payload}".encode(), "sha256").digest()
    return f"{header}.{payload}.{b64u(mac)}"


REFUSALS = ["expired", "not yet valid", "wrong audience", "wrong issuer", "wrong key", "unknown kid", "alg none",
            "HS256 with the public key", "tampered claims", "acr missing", "acr too low",
            "PS_IdNat with no mailbox", "no professional"]


@pytest.mark.parametrize("case", REFUSALS)
def test_imap_refuses_bad_tokens_with_the_error_challenge_first(psc, issuer, case):
    token = _refused_tokens(issuer)[case]
    with pytest.raises(RefusedWith) as refused:
        imap_sign_in(psc, "OAUTHBEARER", oauthbearer(token, authzid=GP))
    assert "AUTHENTICATIONFAILED" in refused.value.text
    assert len(refused.value.challenges) == 1
    status = json.loads(refused.value.challenges[0])["status"]
    assert status == ("insufficient_scope" if case.startswith("acr") else "invalid_token")
    assert token not in "\n".join(psc.log)


def test_someone_elses_mailbox_is_refused(psc, issuer):
    doctor = issuer.token(Issuer.claims(DOCTOR_IDNAT))
    for mailbox in (GP, PRACTICE, SECRETARY):
        with pytest.raises(RefusedWith) as refused:
            imap_sign_in(psc, "XOAUTH2", xoauth2(mailbox, doctor))
        assert "AUTHENTICATIONFAILED" in refused.value.text
        assert json.loads(refused.value.challenges[0]) == {"status": "401", "schemes": "bearer"}
    assert psc.wait_log(r"is not a mailbox of PS_IdNat 810002567773")


def test_what_the_token_says_is_logged_escaped(psc, issuer):
    forged = issuer.token(kid="nope\nFORGED: line", alg="RS256", signer=issuer.rsa["k1"])
    with pytest.raises(RefusedWith):
        imap_sign_in(psc, "XOAUTH2", xoauth2(GP, forged))
    assert psc.wait_log(r"unknown key: kid 'nope\\x0aFORGED: line'")
    assert not any(line.startswith("FORGED") for line in psc.log)


def test_submission_xoauth2_and_oauthbearer(psc, issuer):
    token = issuer.token()
    with smtplib.SMTP("127.0.0.1", psc.submission, timeout=60) as s:
        s.starttls(context=psc.tls_context())
        s.ehlo()
        code, _ = s.auth("XOAUTH2", lambda challenge=None: xoauth2(GP, token))
        assert code == 235
        s.sendmail(GP, [DOCTOR], f"From: <{GP}>\r\nTo: <{DOCTOR}>\r\nSubject: psc\r\n\r\nbonjour\r\n")
    with smtplib.SMTP_SSL("127.0.0.1", psc.submissions, context=psc.tls_context(), timeout=60) as s:
        s.ehlo()
        code, _ = s.auth("OAUTHBEARER", lambda challenge=None: oauthbearer(token, PRACTICE))
        assert code == 235


def test_submission_refusal_sends_the_error_then_535(psc, issuer):
    expired = issuer.token(Issuer.claims(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200))
    seen = []

    def answer(challenge=None):
        if challenge:
            seen.append(challenge)
            return ""
        return xoauth2(GP, expired)

    with smtplib.SMTP_SSL("127.0.0.1", psc.submissions, context=psc.tls_context(), timeout=60) as s:
        s.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            s.auth("XOAUTH2", answer)
        assert refused.value.smtp_code == 535
    assert json.loads(seen[0])["status"] == "401"


def test_new_kid_is_picked_up_from_the_jwks_file(psc, issuer):
    issuer.add_rsa("k2")
    (psc.data / "jwks.json").write_text(issuer.jwks())
    time.sleep(6)  # unknown kids reload the keys at most every 5 s; earlier tests just did
    c, _ = imap_sign_in(psc, "XOAUTH2", xoauth2(GP, issuer.token(kid="k2")))
    c.logout()
    assert psc.wait_log(rf"loaded {len(issuer.rsa) + len(issuer.ec)} signing keys")


def test_refused_tokens_count_towards_the_guards_lockout(fresh, issuer):
    """Bearer failures go through auth::Guard like passwords: 2 refusals of one mailbox from one
    address lock that pair out, and then even a good token is refused without a check."""
    fresh.configure(section="auth", lockout_after=2)
    (fresh.data / "jwks.json").write_text(issuer.jwks())
    add_oauth_section(fresh, issuer=ISSUER, audience=AUDIENCE, jwks_file="jwks.json")
    fresh.start()
    wrong_audience = issuer.token(Issuer.claims(aud="other"))
    for _ in range(2):
        with pytest.raises(RefusedWith) as refused:
            imap_sign_in(fresh, "XOAUTH2", xoauth2(GP, wrong_audience))
        assert "AUTHENTICATIONFAILED" in refused.value.text
    with pytest.raises(RefusedWith) as refused:
        imap_sign_in(fresh, "XOAUTH2", xoauth2(GP, issuer.token()))
    assert "UNAVAILABLE" in refused.value.text
    assert fresh.wait_log(r"lock-out of account .*jean\.dupont.* from IP 127\.0\.0\.1")
    with smtplib.SMTP_SSL("127.0.0.1", fresh.submissions, context=fresh.tls_context(), timeout=60) as s:
        s.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as locked:
            s.auth("XOAUTH2", lambda challenge=None: xoauth2(GP, issuer.token()))
        assert locked.value.smtp_code == 454


# -- the issuer over HTTPS: jwks_url and RFC 7662 introspection ----------------------------------
def tls_files(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    (directory / "issuer.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "issuer.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                             serialization.PrivateFormat.PKCS8,
                                                             serialization.NoEncryption()))
    return directory / "issuer.pem", directory / "issuer.key"


class IssuerHttps:
    """The issuer's certs and introspection endpoints over TLS on loopback."""

    def __init__(self, directory, issuer):
        cert, key = tls_files(directory)
        self.issuer = issuer
        self.introspected = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, body):
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self.reply(outer.issuer.jwks())

            def do_POST(self):
                form = self.rfile.read(int(self.headers["Content-Length"])).decode()
                fields = dict(p.split("=", 1) for p in form.split("&"))
                outer.introspected.append((self.headers.get("Authorization"), fields))
                token = fields["token"]
                if token == "opaque-good":
                    self.reply(json.dumps(dict(Issuer.claims(), active=True)))
                else:
                    self.reply(json.dumps({"active": False}))

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.cert = cert
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


@pytest.fixture
def https_issuer(tmp_path, issuer):
    h = IssuerHttps(tmp_path, issuer)
    yield h
    h.close()


def test_keys_from_jwks_url(fresh, https_issuer, issuer):
    tolerant_auth(fresh)
    add_oauth_section(fresh, issuer=ISSUER, audience=[AUDIENCE], jwks_url=https_issuer.url + "/certs",
                      ca_file=str(https_issuer.cert))
    fresh.start()
    c, _ = imap_sign_in(fresh, "XOAUTH2", xoauth2(GP, issuer.token(kid="e1")))
    c.logout()
    assert fresh.wait_log(r"loaded \d+ signing keys of the issuer from https://127\.0\.0\.1")


def test_jwks_url_with_an_untrusted_certificate_is_a_temporary_failure(fresh, https_issuer, issuer):
    add_oauth_section(fresh, issuer=ISSUER, audience=AUDIENCE, jwks_url=https_issuer.url + "/certs")
    fresh.start()
    with pytest.raises(RefusedWith) as refused:
        imap_sign_in(fresh, "XOAUTH2", xoauth2(GP, issuer.token()))
    assert "UNAVAILABLE" in refused.value.text
    assert fresh.wait_log(r"cannot load the issuer's keys")


def test_introspection(fresh, https_issuer):
    tolerant_auth(fresh)
    (fresh.data / "client.secret").write_text("s3cr3t\n")
    add_oauth_section(fresh, issuer=ISSUER, audience=AUDIENCE, introspection_url=https_issuer.url + "/introspect",
                      client_id="mssd", client_secret_file="client.secret", ca_file=str(https_issuer.cert))
    fresh.start()
    for _ in range(2):  # the second is answered from the cache
        c, _ = imap_sign_in(fresh, "OAUTHBEARER", oauthbearer("opaque-good", GP))
        c.logout()
    assert len(https_issuer.introspected) == 1
    authorization, fields = https_issuer.introspected[0]
    assert authorization == "Basic " + base64.b64encode(b"mssd:s3cr3t").decode()
    assert fields["token_type_hint"] == "access_token"
    with pytest.raises(RefusedWith) as refused:
        imap_sign_in(fresh, "OAUTHBEARER", oauthbearer("opaque-revoked", GP))
    assert "AUTHENTICATIONFAILED" in refused.value.text
    assert fresh.wait_log(r"token refused, inactive")
