"""The DSN extension end to end (RFC 3461/3464, issue 11) between two real mssd instances of their own
domains (the `operators` fixture): DSN advertised and its parameters checked on submission and relay;
NOTIFY, RET, ENVID and ORCPT carried to the peer and honoured in the reports; a delivered report that
comes back to a remote sender through the peer's relay with the null sender; one delay warning; a
failed null-sender report dropped, never bounced; a null sender's certificate must be an operator's."""
import signal
import smtplib
import ssl
import time

from mssd_harness import PASSWORD, correspondance, wait_for


def inbox(server, address):
    """Every message of the INBOX, whole, as text."""
    c = server.imaps_login(address)
    try:
        c.select("INBOX")
        _, data = c.search(None, "ALL")
        out = []
        for n in data[0].split():
            _, parts = c.fetch(n, "(BODY.PEEK[])")
            out.append(parts[0][1].decode(errors="replace"))
        return out
    finally:
        c.logout()


def reports_about(server, address, subject, needle):
    """The reports in the INBOX whose text holds `needle` (the original's subject is quoted)."""
    return [m for m in inbox(server, address) if f"Subject: {subject}" in m and needle in m]


def submit(server, to, subject, mail_options=(), rcpt_options=(), body="Bonjour confrere"):
    message = (f"From: <{server.user}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
               f"Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n\r\n{body}\r\n")
    with smtplib.SMTP("127.0.0.1", server.submission, timeout=60) as c:
        c.starttls(context=server.tls_context())
        c.login(server.user, PASSWORD)
        return c.sendmail(server.user, [to], message.encode(), list(mail_options), list(rcpt_options))


def relay_session(server, cert=None, key=None):
    c = smtplib.SMTP("127.0.0.1", server.smtp, timeout=60)
    ctx = ssl.create_default_context(cafile=str(server.trust))
    ctx.check_hostname = False
    if cert:
        ctx.load_cert_chain(str(cert), str(key))
    c.starttls(context=ctx)
    c.ehlo("mx.peer.example")
    return c


def list_phantom(a, b):
    """A's directory lists fantome@b nationally; B has no such mailbox (550 5.1.1 at RCPT)."""
    ex = a.data / "Extraction_Correspondance_MSSante_202612050000.txt"
    ex.write_bytes(correspondance([b.user, f"fantome@{b.domain}"]))
    a.ctl("directory", "import", str(ex))


def test_dsn_advertised_and_malformed_parameters_refused_with_501(operators):
    a, b = operators
    with smtplib.SMTP("127.0.0.1", a.submission, timeout=60) as c:
        c.starttls(context=a.tls_context())
        c.login(a.user, PASSWORD)
        assert c.has_extn("dsn")
        for bad in ("RET=BODY", "ENVID=a+2b", "RET=FULL RET=HDRS", "ENVID=" + "x" * 101):
            code, text = c.docmd(f"MAIL FROM:<{a.user}> {bad}")
            assert (code, text[:5]) == (501, b"5.5.4"), bad
        assert c.docmd(f"MAIL FROM:<{a.user}> RET=HDRS ENVID=ok+2B1")[0] == 250
        for bad in ("NOTIFY=NEVER,SUCCESS", "NOTIFY=SUCCESS NOTIFY=DELAY", "ORCPT=pas-de-type", "ORCPT=rfc822;a+Z0"):
            code, text = c.docmd(f"RCPT TO:<{b.user}> {bad}")
            assert (code, text[:5]) == (501, b"5.5.4"), bad
        assert c.docmd(f"RCPT TO:<{b.user}> NOTIFY=FAILURE,DELAY ORCPT=rfc822;{b.user}")[0] == 250
        c.rset()
    with relay_session(a) as c:
        assert c.has_extn("dsn")


def test_notify_success_comes_back_from_the_peer_through_its_relay(operators):
    a, b = operators
    assert submit(a, b.user, "succes attendu", ["RET=HDRS", "ENVID=dossier+2B42"],
                  ["NOTIFY=SUCCESS", f"ORCPT=rfc822;Dr.B+2Bcardio@{b.domain}"]) == {}
    # B got the parameters (it offers DSN), filed the message, and sent the report back with <>.
    assert b.wait_log(r"dsn: \w+: delivery status notification for <medecin@a\.mssante\.fr> queued as \w+ "
                      r"with the null sender", timeout=90)
    assert wait_for(lambda: reports_about(a, a.user, "succes attendu", "Action: delivered"))
    report = reports_about(a, a.user, "succes attendu", "Action: delivered")[0]
    assert "Subject: Successful Mail Delivery Report" in report
    assert "Return-Path: <>" in report
    assert "Original-Envelope-Id: dossier+2B42\r\n" in report
    assert f"Original-Recipient: rfc822;Dr.B+2Bcardio@{b.domain}\r\nFinal-Recipient: rfc822; {b.user}" in report
    assert "Reporting-MTA: dns; " in report and "Status: 2.0.0" in report
    assert "0 message(s) queued" in a.queue()


def test_failure_report_honours_ret_full_envid_orcpt_and_notify_never(operators):
    a, b = operators
    list_phantom(a, b)
    # NOTIFY=NEVER first: its failure is logged, and no report follows.
    submit(a, f"fantome@{b.domain}", "jamais de rapport", rcpt_options=["NOTIFY=NEVER"])
    assert a.wait_log(r"to=<fantome@b\.mssante\.fr> .*status=bounced reply=\"550 5\.1\.1", timeout=90)
    submit(a, f"fantome@{b.domain}", "rapport complet", ["RET=FULL", "ENVID=lot-7"],
           ["NOTIFY=FAILURE", f"ORCPT=rfc822;fantome@{b.domain}"], body="le corps revient entier")
    assert wait_for(lambda: reports_about(a, a.user, "rapport complet", "Action: failed"))
    report = reports_about(a, a.user, "rapport complet", "Action: failed")[0]
    assert "Content-Type: message/rfc822" in report
    assert "le corps revient entier" in report
    assert "Original-Envelope-Id: lot-7\r\n" in report
    assert f"Original-Recipient: rfc822;fantome@{b.domain}\r\n" in report
    assert "Status: 5.1.1" in report
    assert not reports_about(a, a.user, "jamais de rapport", "Action: failed")
    for line in a.queue().splitlines()[:-1]:
        a.ctl("queue", "delete", line.split()[0])


def test_one_delay_warning_then_none_when_notify_excludes_delay(operators):
    a, b = operators
    a.configure(section="relay", delay_warning=2, first_retry=1, max_retry=1)
    a.proc.send_signal(signal.SIGHUP)
    assert a.wait_log(r"configuration and certificates reloaded")
    a.route(b.domain, 9)  # nobody listens: every attempt is deferred
    try:
        submit(a, b.user, "en retard")
        submit(a, b.user, "en retard sans avis", rcpt_options=["NOTIFY=FAILURE"])
        assert wait_for(lambda: reports_about(a, a.user, "en retard", "Action: delayed"))
        time.sleep(6)  # several more attempts: still one warning
        delayed = reports_about(a, a.user, "en retard", "Action: delayed")
        assert len(delayed) == 1
        assert "Subject: Delayed Mail (still being retried)" in delayed[0]
        assert "Will-Retry-Until: " in delayed[0] and "Status: 4." in delayed[0]
        assert not reports_about(a, a.user, "en retard sans avis", "Action: delayed")
        assert "attempts=" in a.queue()
    finally:
        a.configure(section="relay", delay_warning=14400, first_retry=60, max_retry=3600)
        a.proc.send_signal(signal.SIGHUP)
        a.route(b.domain, b.smtp)
        for line in a.queue().splitlines()[:-1]:
            a.ctl("queue", "delete", line.split()[0])


def test_a_failed_null_sender_report_is_dropped_never_bounced(operators):
    a, b = operators
    # B's operator writes to A for a sender B does not know, asking NOTIFY=SUCCESS: A's report goes
    # back with <>, B refuses its recipient, and A drops the report instead of bouncing it.
    pki = b.data / "pki"
    with relay_session(a, pki / "server.crt", pki / "server.key") as c:
        assert c.mail(f"inconnu@{b.domain}")[0] == 250
        assert c.rcpt(a.user, ["NOTIFY=SUCCESS"])[0] == 250
        assert c.data(b"Subject: pour inconnu\r\nFrom: <inconnu@b.mssante.fr>\r\n\r\nok\r\n")[0] == 250
    assert a.wait_log(r"to=<inconnu@b\.mssante\.fr> .*status=bounced reply=\"550 5\.1\.1", timeout=90)
    assert a.wait_log(r"the null sender's message to <inconnu@b\.mssante\.fr> failed for good: dropped, never "
                      r"bounced")
    assert wait_for(lambda: "0 message(s) queued" in a.queue())


def test_null_sender_needs_a_certificate_the_whitelist_lists(operators, tmp_path):
    a, b = operators
    # Valid and chained to A's trust anchors, but no operator's DN: a bounce from it is refused.
    a.ctl("pki", "issue", "organisation", "--name", "INTRUS", "--finess", "010000009",
          "--address", f"x@{b.domain}", "--out", str(tmp_path / "intrus"))
    with relay_session(a, tmp_path / "intrus" / "cert.pem", tmp_path / "intrus" / "key.pem") as c:
        code, text = c.mail("")
        assert code == 550 and b"5.7.1" in text and b"no operator's the MSSante whitelist lists" in text
    pki = b.data / "pki"
    with relay_session(a, pki / "server.crt", pki / "server.key") as c:
        assert c.mail("")[0] == 250
