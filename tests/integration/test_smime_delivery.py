"""S/MIME on a message's path through the real mssd (issue 4): what our accounts submit is signed with
their CPS-style signing certificate and encrypted to recipients who keep their own keys; what arrives
is decrypted where the server holds the key, verified, and filed with an Authentication-Results
verdict (RFC 8601 / RFC 7281) or refused or quarantined by the recipient's policy. Messages are sent
with Python's smtplib and made or checked with `openssl cms`; keys at rest are checked in the database."""
import email
import re
import smtplib
import sqlite3
import subprocess

import pytest

from mssd_harness import DOCTOR, DOMAIN, GP, PASSWORD, SECRETARY, Server, wait_mail_count

EXTERNAL = "dr.externe@autre.mssante.fr"
EXTERNAL_IDNAT = "810003456786"
ENTITY = b"Content-Type: text/plain; charset=utf-8\r\n\r\nResultats de biologie: normaux.\r\n"


def run(*args, input=None, check=True):
    r = subprocess.run([str(a) for a in args], input=input, capture_output=True, timeout=120)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))}: {r.stderr.decode(errors='replace')}")
    return r


@pytest.fixture(scope="module")
def mssd(tmp_path_factory):
    root = tmp_path_factory.mktemp("smime-delivery")
    s = Server(root / "data")
    s.init()
    s.add_standard_accounts()
    # The GP and the secretary leave their keys to the server; the doctor keeps hers (end to end).
    s.ctl("smime", "settings", DOCTOR, "--keys", "client")
    s.certs = {}
    for who, idnat in ((GP, "810001045367"), (DOCTOR, "810002567773"), (SECRETARY, "810001045367"),
                       (EXTERNAL, EXTERNAL_IDNAT)):
        out = root / who.split("@")[0]
        s.ctl("pki", "issue", "personal", who, "--ps-idnat", idnat, "--out", str(out))
        s.certs[who] = out
    s.root = root
    s.bundle = root / "bundle.pem"
    s.refresh_bundle = lambda: s.bundle.write_bytes(
        b"".join(p.read_bytes() for p in [s.data / "pki" / "trust.pem"] + sorted((s.data / "pki").glob("*.crl"))))
    s.refresh_bundle()
    s.start()
    yield s
    s.stop()


def submit(server, sender, to, message):
    with smtplib.SMTP("127.0.0.1", server.submission, timeout=60) as c:
        c.starttls(context=server.tls_context())
        c.login(sender, PASSWORD)
        c.sendmail(sender, to, message)


def relay(server, sender, to, message):
    with smtplib.SMTP("127.0.0.1", server.smtp, timeout=60) as c:
        c.sendmail(sender, to, message)


def plain(sender, to, subject, extra=b""):
    return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMessage-ID: <{subject}@x>\r\n".encode()
            + extra + b"MIME-Version: 1.0\r\n" + ENTITY)


def crlf(data):
    """SMTP wants CRLF lines (mssd refuses bare LF with 5.6.0); openssl writes some of its own with LF."""
    return re.sub(rb"\r?\n", b"\r\n", data)


def openssl_signed(server, signer, to, subject, from_=None):
    """A whole message signed by `signer`'s CPS signing certificate with openssl cms (multipart/signed)."""
    d = server.certs[signer]
    entity = server.root / "entity"
    entity.write_bytes(ENTITY)
    return crlf(run("openssl", "cms", "-sign", "-in", entity, "-signer", d / "sign-cert.pem", "-inkey", d / "sign-key.pem",
               "-certfile", server.data / "pki" / "personnes.crt", "-md", "sha256", "-from", from_ or signer,
               "-to", to, "-subject", subject, "-crlfeol").stdout)


def last(server, address, folder="INBOX"):
    listing = server.mail_list(address, folder)
    assert listing, f"nothing in {address} {folder}"
    return server.mail_fetch(address, listing[-1][0], folder)


def openssl_verify(server, path):
    """`openssl cms -verify` of a stored message against the test IGC and its CRLs; the content."""
    r = run("openssl", "cms", "-verify", "-in", path, "-CAfile", server.bundle, "-purpose", "smimesign",
            "-crl_check_all", check=False)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout


def openssl_decrypt(server, who, path, check=True):
    d = server.certs[who]
    return run("openssl", "cms", "-decrypt", "-in", path, "-recip", d / "enc-cert.pem", "-inkey", d / "enc-key.pem",
               check=check)


def results(raw):
    """Our Authentication-Results fields, unfolded."""
    msg = email.message_from_bytes(raw)
    return [re.sub(r"\s+", " ", v) for v in msg.get_all("Authentication-Results", [])]


def test_submitted_mail_is_signed_with_the_senders_certificate(mssd, tmp_path):
    before = len(mssd.mail_list(SECRETARY))
    submit(mssd, GP, [SECRETARY], plain(GP, SECRETARY, "signed-by-server"))
    wait_mail_count(mssd, SECRETARY, before + 1)
    raw = last(mssd, SECRETARY)
    assert re.search(rb"Content-Type: multipart/signed;.*protocol=\"?application/pkcs7-signature", raw, re.S)
    (ar,) = results(raw)
    assert ar.startswith(f"{DOMAIN}; smime=pass (signed by 810001045367)")
    assert f'body.smime-identifier="{GP}"' in ar
    assert mssd.wait_log(rf"smime signed_by={re.escape(GP)} {re.escape(SECRETARY)}=pass")
    # An independent implementation verifies the stored signature against the test IGC and its CRLs.
    stored = tmp_path / "stored.eml"
    stored.write_bytes(raw)
    assert b"Resultats de biologie: normaux." in openssl_verify(mssd, stored)


def test_a_recipient_keeping_its_keys_gets_mail_only_its_card_opens(mssd, tmp_path):
    before = len(mssd.mail_list(DOCTOR))
    submit(mssd, GP, [DOCTOR], plain(GP, DOCTOR, "end-to-end"))
    wait_mail_count(mssd, DOCTOR, before + 1)
    raw = last(mssd, DOCTOR)
    assert re.search(rb"Content-Type: application/(x-)?pkcs7-mime;.*smime-type=", raw, re.S)
    assert b"Resultats de biologie" not in raw
    assert "smime=neutral (encrypted end to end" in results(raw)[0]
    stored = tmp_path / "stored.eml"
    stored.write_bytes(raw)
    for who in (DOCTOR, GP):  # the recipient, and the sender for its Sent copy
        (tmp_path / "inner.eml").write_bytes(openssl_decrypt(mssd, who, stored).stdout)
        assert b"Resultats de biologie: normaux." in openssl_verify(mssd, tmp_path / "inner.eml")
    assert openssl_decrypt(mssd, SECRETARY, stored, check=False).returncode != 0


def test_a_recipient_with_an_older_client_gets_aes_cbc_and_rsa_pkcs1_key_transport(mssd, tmp_path):
    """cipher = "aes-256-cbc" is for clients that predate AuthEnvelopedData (RFC 5083) and RSA-OAEP: the
    envelope then uses what every S/MIME client opens (RFC 8551 2.3 and 2.7: RSA PKCS#1 v1.5, AES-CBC)."""
    mssd.ctl("smime", "settings", DOCTOR, "--cipher", "aes-256-cbc")
    try:
        before = len(mssd.mail_list(DOCTOR))
        submit(mssd, GP, [DOCTOR], plain(GP, DOCTOR, "older-client"))
        wait_mail_count(mssd, DOCTOR, before + 1)
        stored = tmp_path / "stored.eml"
        stored.write_bytes(last(mssd, DOCTOR))
    finally:
        mssd.ctl("smime", "settings", DOCTOR, "--cipher", "domain")
    structure = run("openssl", "cms", "-cmsout", "-print", "-in", stored).stdout.decode()
    assert "pkcs7-envelopedData" in structure and "aes-256-cbc" in structure
    assert "rsaesOaep" not in structure and structure.count("algorithm: rsaEncryption") == 2  # recipient and sender
    (tmp_path / "inner.eml").write_bytes(openssl_decrypt(mssd, DOCTOR, stored).stdout)
    assert b"Resultats de biologie: normaux." in openssl_verify(mssd, tmp_path / "inner.eml")


def test_the_server_decrypts_and_verifies_for_a_mailbox_whose_key_it_holds(mssd, tmp_path):
    signed = tmp_path / "signed.eml"
    signed.write_bytes(openssl_signed(mssd, EXTERNAL, SECRETARY, "decrypt-at-delivery"))
    encrypted = crlf(run("openssl", "cms", "-encrypt", "-in", signed, "-aes-256-gcm", "-recip",
                    mssd.certs[SECRETARY] / "enc-cert.pem", "-from", EXTERNAL, "-to", SECRETARY,
                    "-subject", "decrypt-at-delivery", "-crlfeol").stdout)
    before = len(mssd.mail_list(SECRETARY))
    relay(mssd, EXTERNAL, [SECRETARY], encrypted)
    wait_mail_count(mssd, SECRETARY, before + 1)
    raw = last(mssd, SECRETARY)
    assert b"Resultats de biologie: normaux." in raw
    assert b"multipart/signed" in raw
    (ar,) = results(raw)
    assert f"smime=pass (signed by {EXTERNAL_IDNAT}; decrypted by {DOMAIN})" in ar


def test_altered_content_is_quarantined_with_its_verdict(mssd):
    signed = openssl_signed(mssd, EXTERNAL, SECRETARY, "altered")
    altered = signed.replace(b"normaux", b"ANORMAUX")
    inbox, junk = len(mssd.mail_list(SECRETARY)), len(mssd.mail_list(SECRETARY, "Junk"))
    relay(mssd, EXTERNAL, [SECRETARY], altered)
    wait_mail_count(mssd, SECRETARY, junk + 1, folder="Junk")
    assert len(mssd.mail_list(SECRETARY)) == inbox
    (ar,) = results(last(mssd, SECRETARY, "Junk"))
    assert "smime=fail (content-altered" in ar or "smime=fail (bad-signature" in ar, ar


def test_a_signer_naming_someone_else_fails(mssd):
    signed = openssl_signed(mssd, EXTERNAL, SECRETARY, "mismatch", from_="usurpateur@autre.mssante.fr")
    junk = len(mssd.mail_list(SECRETARY, "Junk"))
    relay(mssd, "usurpateur@autre.mssante.fr", [SECRETARY], signed)
    wait_mail_count(mssd, SECRETARY, junk + 1, folder="Junk")
    assert "smime=fail (signer-mismatch" in results(last(mssd, SECRETARY, "Junk"))[0]


def test_an_untrusted_ca_fails(mssd, tmp_path):
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", tmp_path / "k.pem", "-out",
        tmp_path / "c.pem", "-days", "30", "-subj", "/CN=810003456786", "-addext",
        f"subjectAltName=email:{EXTERNAL}", "-addext", "keyUsage=digitalSignature,nonRepudiation",
        "-addext", "extendedKeyUsage=emailProtection")
    (tmp_path / "entity").write_bytes(ENTITY)
    signed = crlf(run("openssl", "cms", "-sign", "-in", tmp_path / "entity", "-signer", tmp_path / "c.pem", "-inkey",
                 tmp_path / "k.pem", "-md", "sha256", "-from", EXTERNAL, "-to", SECRETARY, "-subject",
                 "untrusted", "-crlfeol").stdout)
    junk = len(mssd.mail_list(SECRETARY, "Junk"))
    relay(mssd, EXTERNAL, [SECRETARY], signed)
    wait_mail_count(mssd, SECRETARY, junk + 1, folder="Junk")
    assert "smime=fail (untrusted" in results(last(mssd, SECRETARY, "Junk"))[0]


def test_unsigned_mail_is_accepted_with_verdict_none_and_forged_results_are_removed(mssd):
    forged = f"Authentication-Results: {DOMAIN.upper()}; smime=pass\r\n".encode()
    theirs = b"Authentication-Results: mx.autre.mssante.fr; dkim=pass\r\n"
    before = len(mssd.mail_list(SECRETARY))
    relay(mssd, EXTERNAL, [SECRETARY], plain(EXTERNAL, SECRETARY, "unsigned", forged + theirs))
    wait_mail_count(mssd, SECRETARY, before + 1)
    ours = [r for r in results(last(mssd, SECRETARY)) if r.lower().startswith(DOMAIN)]
    assert ours == [f"{DOMAIN}; smime=none (not signed)"]
    assert any(r.startswith("mx.autre.mssante.fr; dkim=pass") for r in results(last(mssd, SECRETARY)))


@pytest.mark.parametrize("spelling", [f'"{DOMAIN}"', f"{DOMAIN}.", f'(x) "{DOMAIN.upper()}." (y)',
                                      f"\r\n (folded)\r\n {DOMAIN}\r\n", f"(\\() {DOMAIN}"])
def test_forged_results_in_any_spelling_of_our_name_are_removed(mssd, spelling):
    forged = f"Authentication-Results: {spelling}; smime=pass\r\n".encode()
    before = len(mssd.mail_list(SECRETARY))
    relay(mssd, EXTERNAL, [SECRETARY], plain(EXTERNAL, SECRETARY, "forged-spelling", forged))
    wait_mail_count(mssd, SECRETARY, before + 1)
    assert [r for r in results(last(mssd, SECRETARY)) if "smime=pass" in r] == []


def test_a_header_opening_with_a_continuation_line_cannot_extend_our_verdict(mssd):
    before = len(mssd.mail_list(SECRETARY))
    relay(mssd, EXTERNAL, [SECRETARY], b"\tsmime=pass\r\n" + plain(EXTERNAL, SECRETARY, "continuation"))
    wait_mail_count(mssd, SECRETARY, before + 1)
    assert results(last(mssd, SECRETARY)) == [f"{DOMAIN}; smime=none (not signed)"]


def test_policy_reject_refuses_with_the_precise_status_and_files_nothing(mssd):
    mssd.ctl("smime", "settings", GP, "--unsigned", "reject", "--invalid", "reject")
    try:
        before = len(mssd.mail_list(GP)), len(mssd.mail_list(GP, "Junk"))
        with pytest.raises(smtplib.SMTPDataError) as unsigned:
            relay(mssd, EXTERNAL, [GP], plain(EXTERNAL, GP, "refused-unsigned"))
        assert unsigned.value.smtp_code == 550 and unsigned.value.smtp_error.startswith(b"5.7.1")
        altered = openssl_signed(mssd, EXTERNAL, GP, "refused-altered").replace(b"normaux", b"ANORMAUX")
        with pytest.raises(smtplib.SMTPDataError) as invalid:
            relay(mssd, EXTERNAL, [GP], altered)
        assert invalid.value.smtp_code == 550 and invalid.value.smtp_error.startswith(b"5.7.7")
        assert mssd.wait_log(r"refused by S/MIME policy: 5\.7\.7")
        assert (len(mssd.mail_list(GP)), len(mssd.mail_list(GP, "Junk"))) == before
    finally:
        mssd.ctl("smime", "settings", GP, "--unsigned", "domain", "--invalid", "domain")


def test_a_revoked_signer_fails_once_mssd_sees_the_new_crl_by_itself(mssd, tmp_path):
    serial = run("openssl", "x509", "-in", mssd.certs[EXTERNAL] / "sign-cert.pem", "-noout", "-serial").stdout
    mssd.ctl("pki", "revoke", serial.decode().strip().split("=")[1], "--reason", "keyCompromise")
    # No SIGHUP: mssd looks at pki/*.crl every 30 s and reloads when they change.
    assert mssd.wait_log(r"reloaded \(trust anchors or CRLs changed on disk", timeout=45)
    junk = len(mssd.mail_list(SECRETARY, "Junk"))
    relay(mssd, EXTERNAL, [SECRETARY], openssl_signed(mssd, EXTERNAL, SECRETARY, "revoked"))
    wait_mail_count(mssd, SECRETARY, junk + 1, folder="Junk")
    assert "smime=fail (revoked" in results(last(mssd, SECRETARY, "Junk"))[0]


def test_private_keys_are_sealed_outside_the_database(mssd):
    db = sqlite3.connect(mssd.data / "mssd.db")
    rows = db.execute("SELECT address, usage, sealed_key FROM smime_certificates").fetchall()
    db.close()
    held = {(a, u) for a, u, k in rows if k is not None}
    assert (GP, "sign") in held and (SECRETARY, "encryption") in held
    assert (DOCTOR, "sign") not in held and (DOCTOR, "encryption") not in held
    assert all(k.startswith("v1:") for a, u, k in rows if k is not None)
    assert b"PRIVATE KEY" not in (mssd.data / "mssd.db").read_bytes()
    assert (mssd.data / "vault.key").stat().st_mode & 0o077 == 0


def test_moving_a_mailbox_to_client_custody_drops_the_keys_the_server_held(mssd):
    who = "interne@" + DOMAIN
    mssd.ctl("account", "add", who, "--kind", "personal", "--password-stdin", input=(PASSWORD + "\n").encode())
    mssd.ctl("pki", "issue", "personal", who, "--ps-idnat", "810002567773", "--out", str(mssd.root / "interne"))
    out = mssd.ctl("smime", "settings", who, "--keys", "client").stdout.decode()
    assert out.startswith(f"{who} keys=client")
    db = sqlite3.connect(mssd.data / "mssd.db")
    keys = db.execute("SELECT sealed_key FROM smime_certificates WHERE address = ?", (who,)).fetchall()
    db.close()
    assert keys == [(None,), (None,)]
