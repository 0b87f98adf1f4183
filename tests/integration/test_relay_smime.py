"""S/MIME to recipients at other operators (issue 11) between two real mssd operators: a recipient whose
encryption certificate A knows (`mssctl smime import`) gets the message signed by the sender then
encrypted to that certificate (and the sender's own), which `openssl cms -decrypt` opens with the
recipient's key; a recipient without a known certificate gets the signed message, which
`openssl cms -verify` accepts, and is never held up by the other."""
import email
import re
import smtplib
import subprocess

import pytest

from mssd_harness import PASSWORD, add_personal_account, correspondance, wait_for

BODY = "Compte rendu operatoire: suites simples."
SECRETARIAT = "secretariat@b.mssante.fr"


def run(*args, check=True):
    r = subprocess.run([str(a) for a in args], capture_output=True, timeout=120)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))}: {r.stderr.decode(errors='replace')}")
    return r


def stored(server, address, subject):
    """The raw octets of the message with that subject in the INBOX, or None."""
    c = server.imaps_login(address)
    try:
        c.select("INBOX", readonly=True)
        _, data = c.search(None, "SUBJECT", f'"{subject}"')
        if not data[0]:
            return None
        _, parts = c.fetch(data[0].split()[-1], "(BODY.PEEK[])")
        return parts[0][1]
    finally:
        c.logout()


@pytest.fixture(scope="module")
def pair(operators, tmp_path_factory):
    """A's doctor leaves her keys to A (A signs for her); B's doctor keeps hers (B files what arrives
    as it arrived) and A knows her encryption certificate; B's secretariat has no certificate."""
    a, b = operators
    root = tmp_path_factory.mktemp("relay-smime")
    a_certs, b_certs = root / "a-doctor", root / "b-doctor"
    a.ctl("pki", "issue", "personal", a.user, "--ps-idnat", "810001045367", "--out", str(a_certs))
    b.ctl("pki", "issue", "personal", b.user, "--ps-idnat", "810002567773", "--out", str(b_certs))
    b.ctl("smime", "settings", b.user, "--keys", "client")
    add_personal_account(b, SECRETARIAT)
    ex = a.data / "Extraction_Correspondance_MSSante_202612020000.txt"
    ex.write_bytes(correspondance([b.user, SECRETARIAT]))
    a.ctl("directory", "import", str(ex))
    a.ctl("smime", "import", b.user, "--usage", "encryption", "--cert", str(b_certs / "enc-cert.pem"))
    bundle = root / "a-bundle.pem"
    bundle.write_text(a.chain_and_crls())
    return a, b, a_certs, b_certs, bundle


def submit(a, recipients, subject):
    message = (f"From: <{a.user}>\r\nTo: {', '.join(f'<{r}>' for r in recipients)}\r\nSubject: {subject}\r\n"
               f"Date: Sun, 06 Dec 2026 10:00:00 +0100\r\nMessage-ID: <{subject.replace(' ', '.')}@a.mssante.fr>\r\n"
               f"Content-Type: text/plain; charset=utf-8\r\n\r\n{BODY}\r\n")
    with smtplib.SMTP("127.0.0.1", a.submission, timeout=60) as c:
        c.starttls(context=a.tls_context())
        c.login(a.user, PASSWORD)
        return c.sendmail(a.user, recipients, message.encode())


def verified_content(path, bundle):
    r = run("openssl", "cms", "-verify", "-in", path, "-CAfile", bundle, "-purpose", "smimesign", check=False)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout


def test_known_certificate_gets_encrypted_the_other_signed(pair, tmp_path):
    a, b, a_certs, b_certs, bundle = pair
    assert submit(a, [b.user, SECRETARIAT], "Deux destinataires") == {}
    encrypted = wait_for(lambda: stored(b, b.user, "Deux destinataires"))
    signed = wait_for(lambda: stored(b, SECRETARIAT, "Deux destinataires"))
    assert encrypted and signed

    # The doctor's copy: enveloped data that her key opens; inside, A's signature over the text.
    m = email.message_from_bytes(encrypted)
    assert m.get_content_type() == "application/pkcs7-mime"
    assert m.get_param("smime-type") in ("enveloped-data", "authEnveloped-data")
    assert BODY.encode() not in encrypted
    path = tmp_path / "encrypted.eml"
    path.write_bytes(encrypted)
    inner = run("openssl", "cms", "-decrypt", "-in", path, "-recip", b_certs / "enc-cert.pem",
                "-inkey", b_certs / "enc-key.pem").stdout
    inner_path = tmp_path / "inner.eml"
    inner_path.write_bytes(inner)
    assert BODY.encode() in verified_content(inner_path, bundle)
    # The sender's own certificate was a recipient too: her key opens it (her Sent copy, as for local mail).
    run("openssl", "cms", "-decrypt", "-in", path, "-recip", a_certs / "enc-cert.pem", "-inkey", a_certs / "enc-key.pem")
    # Someone else's key does not.
    assert run("openssl", "cms", "-decrypt", "-in", path, "-recip", a_certs / "sign-cert.pem",
               "-inkey", a_certs / "sign-key.pem", check=False).returncode != 0

    # The secretariat's copy: signed only (TLS protected the hop), and the signature holds.
    s = email.message_from_bytes(signed)
    assert s.get_content_type() == "multipart/signed"
    spath = tmp_path / "signed.eml"
    spath.write_bytes(signed)
    assert BODY.encode() in verified_content(spath, bundle)
    assert b"smime=pass" in signed  # B verified it too

    # Two queue entries on A (the encrypted copy under its own id), both sent over TLS.
    assert a.wait_log(r"relay: \w+\.E: to=<medecin@b\.mssante\.fr> .*tls=\"TLSv1\.[23].*status=sent")
    assert a.wait_log(r"relay: \w+: to=<secretariat@b\.mssante\.fr> .*status=sent")


def test_without_any_known_certificate_the_message_is_signed_only(pair, tmp_path):
    a, b, _, _, bundle = pair
    assert submit(a, [SECRETARIAT], "Sans certificat") == {}
    signed = wait_for(lambda: stored(b, SECRETARIAT, "Sans certificat"))
    assert signed
    assert email.message_from_bytes(signed).get_content_type() == "multipart/signed"
    path = tmp_path / "signed.eml"
    path.write_bytes(signed)
    assert BODY.encode() in verified_content(path, bundle)
    queued_as = re.findall(r"(\w+): from=<medecin@a\.mssante\.fr> size=\d+ nrcpt=0 remote=1 .*stored", "\n".join(a.log))
    assert queued_as and not any(f"{queued_as[-1]}.E" in line for line in a.log)
