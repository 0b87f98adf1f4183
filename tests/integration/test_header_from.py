"""The header From bound to the sender (issue 9, item 5): on submission (587, 465) every mailbox of From,
and Sender, must be an address the authenticated user may send as, by the rule MAIL FROM follows; a
missing or unreadable From is refused; on the relay port (25) a From in our own domains is refused as
the envelope is. Sent with Python's smtplib (BDAT by hand: smtplib has none) to the real listeners."""
import smtplib

import pytest

from mssd_harness import DOCTOR, DOMAIN, GP, PASSWORD, PRACTICE, SECRETARY

OUTSIDE = "dr.externe@autre.mssante.fr"


def message(headers, subject):
    lines = list(headers) + [f"To: <{GP}>", f"Subject: {subject}", f"Message-ID: <{subject}@x>"]
    return ("\r\n".join(lines) + "\r\n\r\nOrdonnance jointe.\r\n").encode()


def submission(server, user, implicit=False):
    if implicit:
        c = smtplib.SMTP_SSL("127.0.0.1", server.submissions, context=server.tls_context(), timeout=30)
    else:
        c = smtplib.SMTP("127.0.0.1", server.submission, timeout=30)
        c.starttls(context=server.tls_context())
    c.login(user, PASSWORD)
    return c


def refused(send):
    with pytest.raises(smtplib.SMTPDataError) as e:
        send()
    return e.value.smtp_code, e.value.smtp_error.decode()


def count(server):
    return len(server.mail_list(GP))


@pytest.mark.parametrize("implicit", [False, True], ids=["587", "465"])
def test_a_secretary_cannot_write_as_a_doctor(server, implicit):
    before = count(server)
    with submission(server, SECRETARY, implicit) as c:
        code, text = refused(lambda: c.sendmail(SECRETARY, [GP], message(
            [f"From: Dr Marie Martin <{DOCTOR}>"], "forged-doctor")))
    assert code == 553 and text.startswith("5.7.1")
    assert f"From: <{DOCTOR}> rejected: {SECRETARY} may not send as this address" in text
    assert count(server) == before
    assert server.wait_log(rf"refused by its header: 5\.7\.1 From: <{DOCTOR}>")


def test_bdat_is_refused_after_the_last_chunk_and_nothing_is_stored(server):
    before = count(server)
    data = message([f"From: <{DOCTOR}>"], "forged-bdat")
    with submission(server, SECRETARY) as c:
        assert c.mail(SECRETARY)[0] == 250 and c.rcpt(GP)[0] == 250
        c.send(f"BDAT {len(data)} LAST\r\n".encode() + data)
        code, text = c.getreply()
        assert (code, text[:5]) == (553, b"5.7.1")
        assert c.noop()[0] == 250  # the session goes on
    assert count(server) == before


def test_own_address_and_a_shared_mailbox_with_the_send_right_pass(server):
    before = count(server)
    with submission(server, GP) as c:
        assert c.sendmail(GP, [GP], message([f"From: Dr Jean Dupont <{GP.upper()}>"], "own")) == {}
        assert c.sendmail(PRACTICE, [GP], message([f"From: Cabinet <{PRACTICE}>", f"Sender: <{GP}>"],
                                                  "shared")) == {}
        assert c.sendmail(GP, [GP], message([f"From: <{GP}>, Cabinet <{PRACTICE}> (le cabinet)"], "both")) == {}
    assert count(server) == before + 3


def test_a_shared_mailbox_without_the_send_right_is_refused(server):
    with submission(server, SECRETARY) as c:  # the secretary holds lrsw on the practice, not 0
        code, text = refused(lambda: c.sendmail(SECRETARY, [GP], message([f"From: <{PRACTICE}>"], "no-right")))
    assert code == 553 and text.startswith("5.7.1")


@pytest.mark.parametrize("headers", [
    [f"From: <{GP}>, Dr Marie Martin <{DOCTOR}>"],
    [f"From: <{GP}>", f"Sender: <{DOCTOR}>"],
    [f"From: <{GP}>", f"Reply-To: <{GP}>", f"FROM : <{DOCTOR}>"],
], ids=["second-mailbox", "sender", "second-from"])
def test_every_originator_is_checked(server, headers):
    with submission(server, GP) as c:
        code, text = refused(lambda: c.sendmail(GP, [GP], message(headers, "several")))
    assert (code, text[:5]) in ((553, "5.7.1"), (550, "5.6.0"))
    assert DOCTOR in text or "more than one From" in text


@pytest.mark.parametrize("headers,why", [
    ([], "no From: header field"),
    ([f"From: <{GP}"], "cannot be read"),
    ([f"From: {GP} {DOCTOR}"], "cannot be read"),
    ([f'From: "{DOCTOR}"@{DOMAIN}'], "cannot be read"),
    ([f"From: <{GP}>", f"Sender: <{GP}>, <{GP}>"], "cannot be read as one address"),
], ids=["missing", "unclosed", "run-together", "quoted-local", "two-senders"])
def test_a_missing_or_unreadable_from_is_refused_on_submission(server, headers, why):
    before = count(server)
    with submission(server, GP) as c:
        code, text = refused(lambda: c.sendmail(GP, [GP], message(headers, "unreadable")))
    assert (code, text[:5]) == (550, "5.6.0") and why in text
    assert count(server) == before


@pytest.mark.parametrize("header", [f"From: Dr Marie Martin <{DOCTOR}>", f"From: <{DOCTOR.upper()}>",
                                    f"From: <{OUTSIDE}>, <{GP}>", f"From: <{OUTSIDE}>\r\nSender: <{GP}>"])
def test_relay_refuses_a_from_in_our_own_domain(server, header):
    before = count(server)
    with smtplib.SMTP("127.0.0.1", server.smtp, timeout=30) as c:
        code, text = refused(lambda: c.sendmail(OUTSIDE, [GP], message([header], "forged-relay")))
    assert code == 553 and text.startswith("5.7.1") and "our own domain" in text
    assert count(server) == before


def test_relay_accepts_outside_senders_and_mail_without_from(server):
    before = count(server)
    with smtplib.SMTP("127.0.0.1", server.smtp, timeout=30) as c:
        assert c.sendmail(OUTSIDE, [GP], message([f"From: Dr Externe <{OUTSIDE}> (CHU)"], "outside")) == {}
        assert c.sendmail(OUTSIDE, [GP], message([], "no-from")) == {}
    assert count(server) == before + 2
