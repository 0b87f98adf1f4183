"""Direct's reliable delivery notification between two real mssd operators (issue 11, US Direct
Project "Implementation Guide for Delivery Notification in Direct"): a message asking for it with
Disposition-Notification-Options: X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true gets from the
receiving operator a `processed` then a `dispatched` MDN (RFC 8098), relayed back over mutual TLS to
the sender's INBOX; nothing for messages without the option, for the null sender or for MDNs
themselves; a user's own MDN submitted from a mail client crosses untouched."""
import email
import re
import smtplib
import ssl

from mssd_harness import PASSWORD, wait_for

DIRECT = "Disposition-Notification-Options: X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true\r\n"


def inbox(server, address):
    """Every message of the INBOX, parsed by Python's email package."""
    c = server.imaps_login(address)
    try:
        c.select("INBOX", readonly=True)
        _, data = c.search(None, "ALL")
        out = []
        for n in data[0].split():
            _, parts = c.fetch(n, "(BODY.PEEK[])")
            out.append(email.message_from_bytes(parts[0][1]))
        return out
    finally:
        c.logout()


def notification_fields(message):
    """The message/disposition-notification fields of an MDN (RFC 8098 3.1), else None."""
    if message.get_content_type() != "multipart/report":
        return None
    if message.get_param("report-type") != "disposition-notification":
        return None
    parts = message.get_payload()
    assert parts[1].get_content_type() == "message/disposition-notification"
    fields = parts[1].get_payload()
    return fields[0] if isinstance(fields, list) else email.message_from_string(fields)


def mdns_about(server, address, message_id):
    return [(m, f) for m in inbox(server, address) if (f := notification_fields(m)) is not None
            and f["Original-Message-ID"] == message_id]


def submit(server, to, message):
    with smtplib.SMTP("127.0.0.1", server.submission, timeout=60) as c:
        c.starttls(context=server.tls_context())
        c.login(server.user, PASSWORD)
        return c.sendmail(server.user, [to], message)


def asking(sender, to, subject, message_id, extra=""):
    return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
            f"Date: Sun, 06 Dec 2026 10:00:00 +0100\r\nDisposition-Notification-To: <{sender}>\r\n{extra}"
            f"\r\nCompte rendu\r\n").encode()


def peer_session(sender, receiver):
    """A session on receiver's relay port presenting sender's operator certificate, as sender's relay does."""
    c = smtplib.SMTP("127.0.0.1", receiver.smtp, timeout=60)
    ctx = ssl.create_default_context(cafile=str(receiver.trust))
    ctx.check_hostname = False
    pki = sender.data / "pki"
    ctx.load_cert_chain(str(pki / "server.crt"), str(pki / "server.key"))
    c.starttls(context=ctx)
    c.ehlo("mx." + sender.domain)
    return c


def queue_id_of(reply):
    m = re.search(rb"queued as (\w+)", reply)
    assert m, reply
    return m.group(1).decode()


def notices_logged(server, queue_id):
    return [line for line in server.log if f"{queue_id}: delivery notifications" in line]


def test_processed_then_dispatched_mdn_come_back_to_the_sender(operators):
    a, b = operators
    mid = "<direct-1@a.mssante.fr>"
    assert submit(a, b.user, asking(a.user, b.user, "Demande avec accuse", mid, DIRECT)) == {}
    got = wait_for(lambda: (lambda l: l if len(l) == 2 else None)(mdns_about(a, a.user, mid)))
    assert got, "the two MDNs did not reach the sender's INBOX"
    dispositions = sorted(f["Disposition"] for _, f in got)
    assert dispositions == ["automatic-action/MDN-sent-automatically; dispatched",
                            "automatic-action/MDN-sent-automatically; processed"]
    for message, fields in got:
        assert fields["Final-Recipient"].replace(" ", "") == f"rfc822;{b.user}"
        assert fields["Reporting-UA"].endswith("; mssd")
        assert email.utils.parseaddr(message["From"])[1] == b.user
        assert email.utils.parseaddr(message["To"])[1] == a.user
        assert message.get_payload()[2].get_content_type() == "text/rfc822-headers"
        assert mid in message.get_payload()[2].get_payload()
    subjects = {m["Subject"] for m, _ in got}
    assert subjects == {"Processed: Demande avec accuse", "Dispatched: Demande avec accuse"}
    # B queued both in the message's own transaction, processed first; they crossed with TLS.
    line = b.wait_log(r"\w+: delivery notifications from <medecin@b\.mssante\.fr> to <medecin@a\.mssante\.fr>: "
                      r"processed=\w+\.0000p dispatched=\w+\.0000q")
    assert line
    assert b.wait_log(r"relay: \w+\.0000p: to=<medecin@a\.mssante\.fr> .*tls=\"TLSv1\.[23].*status=sent")
    assert b.wait_log(r"relay: \w+\.0000q: to=<medecin@a\.mssante\.fr> .*status=sent")
    # The original itself reached B's user.
    assert wait_for(lambda: any(m["Message-ID"] == mid for m in inbox(b, b.user)))


def test_no_notification_without_the_option_for_the_null_sender_or_for_an_mdn(operators):
    a, b = operators
    ids = []
    with peer_session(a, b) as c:
        # Without the option.
        c.mail(a.user)
        c.rcpt(b.user)
        code, reply = c.data(asking(a.user, b.user, "Sans option", "<plain-2@a.mssante.fr>"))
        assert code == 250
        ids.append(queue_id_of(reply))
        # The null sender (a bounce or a notification) never gets one, even when its content asks.
        c.mail("")
        c.rcpt(b.user)
        code, reply = c.data(asking(a.user, b.user, "Sans expediteur", "<null-1@a.mssante.fr>", DIRECT))
        assert code == 250
        ids.append(queue_id_of(reply))
        # An MDN that (wrongly) asks for one: never a notification about a notification.
        report = (f"From: <{a.user}>\r\nTo: <{b.user}>\r\nSubject: Processed: x\r\nMessage-ID: <mdn-1@a.mssante.fr>\r\n"
                  f"{DIRECT}MIME-Version: 1.0\r\n"
                  "Content-Type: multipart/report; report-type=disposition-notification; boundary=\"r\"\r\n\r\n"
                  "--r\r\nContent-Type: text/plain\r\n\r\nprocessed\r\n--r\r\n"
                  "Content-Type: message/disposition-notification\r\n\r\nFinal-Recipient: rfc822;x@a.mssante.fr\r\n"
                  "Disposition: automatic-action/MDN-sent-automatically; processed\r\n--r--\r\n").encode()
        c.mail(a.user)
        c.rcpt(b.user)
        code, reply = c.data(report)
        assert code == 250
        ids.append(queue_id_of(reply))
        # A control in the same session: this one asks properly and gets its notices.
        c.mail(a.user)
        c.rcpt(b.user)
        code, reply = c.data(asking(a.user, b.user, "Avec option", "<control-1@a.mssante.fr>", DIRECT))
        assert code == 250
        control = queue_id_of(reply)
    assert wait_for(lambda: notices_logged(b, control), 30)
    for queue_id in ids:
        assert b.wait_log(rf"{queue_id}: from=<[^>]*> size=\d+ nrcpt=1 remote=0 .*stored")
        assert notices_logged(b, queue_id) == [], queue_id
    assert len(wait_for(lambda: (lambda l: l if len(l) == 2 else None)(
        mdns_about(a, a.user, "<control-1@a.mssante.fr>")))) == 2
    for mid in ("<plain-2@a.mssante.fr>", "<null-1@a.mssante.fr>", "<mdn-1@a.mssante.fr>"):
        assert mdns_about(a, a.user, mid) == []


def test_a_malformed_option_is_logged_and_the_message_delivered(operators):
    a, b = operators
    with peer_session(a, b) as c:
        c.mail(a.user)
        c.rcpt(b.user)
        bad = "Disposition-Notification-Options: X-DIRECT-FINAL-DESTINATION-DELIVERY=perhaps,true\r\n"
        code, reply = c.data(asking(a.user, b.user, "Option illisible", "<bad-1@a.mssante.fr>", bad))
        assert code == 250
        queue_id = queue_id_of(reply)
    assert b.wait_log(rf"{queue_id}: no delivery notification: Disposition-Notification-Options: importance must be")
    assert notices_logged(b, queue_id) == []
    assert wait_for(lambda: any(m["Message-ID"] == "<bad-1@a.mssante.fr>" for m in inbox(b, b.user)))


def test_a_users_own_mdn_from_a_mail_client_crosses_untouched(operators):
    a, b = operators
    report_part = ("Content-Type: message/disposition-notification\r\n\r\n"
                   "Reporting-UA: poste-12.cabinet.example; Thunderbird\r\n"
                   f"Final-Recipient: rfc822;{a.user}\r\nOriginal-Message-ID: <question-7@b.mssante.fr>\r\n"
                   "Disposition: manual-action/MDN-sent-manually; displayed\r\n")
    mdn = (f"From: <{a.user}>\r\nTo: <{b.user}>\r\nSubject: Read: question\r\nMessage-ID: <read-7@a.mssante.fr>\r\n"
           "Date: Sun, 06 Dec 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/report; report-type=disposition-notification;\r\n boundary=\"rpt\"\r\n\r\n"
           "--rpt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLe message a ete affiche.\r\n"
           f"--rpt\r\n{report_part}--rpt--\r\n")
    assert submit(a, b.user, mdn.encode()) == {}
    got = wait_for(lambda: [m for m in inbox(b, b.user) if m["Message-ID"] == "<read-7@a.mssante.fr>"])
    assert got
    fields = notification_fields(got[0])
    assert fields["Disposition"] == "manual-action/MDN-sent-manually; displayed"
    assert fields["Original-Message-ID"] == "<question-7@b.mssante.fr>"
    # Byte for byte: the report as the client wrote it, after B's and A's trace fields.
    c = b.imaps_login(b.user)
    try:
        c.select("INBOX", readonly=True)
        _, data = c.search(None, "HEADER", "Message-ID", "read-7@a.mssante.fr")
        _, parts = c.fetch(data[0].split()[-1], "(BODY.PEEK[])")
        raw = parts[0][1]
    finally:
        c.logout()
    assert raw.endswith(mdn.split("\r\n\r\n", 1)[1].encode())
    assert b"Content-Type: multipart/report; report-type=disposition-notification;\r\n boundary=\"rpt\"\r\n" in raw
