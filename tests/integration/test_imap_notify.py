"""NOTIFY (RFC 5465) against the real mssd, two imaplib sessions on one account: the watcher hears
what the other does while it sends nothing (STATUS for other mailboxes; EXISTS, FETCH, EXPUNGE
for the selected one; LIST for names and subscriptions; METADATA for annotations, RFC 5464 4.4);
NOTIFY NONE hears nothing; the refusals (BAD, NO [BADEVENT])."""
import imaplib
import re
import select
import time

import pytest

from mssd_harness import DOMAIN, add_personal_account

for _name in ("NOTIFY", "GETMETADATA", "SETMETADATA"):
    imaplib.Commands.setdefault(_name, ("AUTH", "SELECTED"))

MESSAGE = b"From: <a@b.mssante.fr>\r\nSubject: notify\r\n\r\nbody\r\n"
_counter = [0]


def account(server):
    _counter[0] += 1
    address = f"notify{_counter[0]}@{DOMAIN}"
    return add_personal_account(server, address)


def notify(c, *args):
    typ, data = c._simple_command("NOTIFY", *args)
    return typ, c.untagged_responses.pop("NOTIFY", None), data


def unsolicited(c, pattern, timeout=30):
    """Reads untagged lines the server sends on its own, until one matches pattern (bytes regex);
    returns every line read. Generous timeout: a slow machine must not fail the test."""
    c.sock.settimeout(timeout)
    lines = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            line = c.readline()
            if not line:
                break
            lines.append(line.rstrip(b"\r\n"))
            if re.search(pattern, lines[-1]):
                return lines
    finally:
        c.sock.settimeout(30)
    pytest.fail(f"never heard {pattern!r}; heard {lines!r}")


def test_inboxes_are_told_as_status_while_idle_between_commands(server):
    address = account(server)
    watcher, other = server.imaps_login(address), server.imaps_login(address)
    typ, _, _ = notify(watcher, "SET", "(INBOXES (MessageNew (UID) MessageExpunge))")
    assert typ == "OK"
    other.append("INBOX", None, None, MESSAGE)
    heard = unsolicited(watcher, rb'^\* STATUS "?INBOX"? \(MESSAGES 1 UIDNEXT 2 UNSEEN 1\)')
    assert heard[-1].startswith(b"* STATUS")
    other.select("INBOX")
    other.store("1", "+FLAGS", "\\Seen")
    unsolicited(watcher, rb"^\* STATUS \S+ \(MESSAGES 1 UIDNEXT 2 UNSEEN 0\)")
    other.store("1", "+FLAGS", "\\Deleted")
    other.expunge()
    unsolicited(watcher, rb"^\* STATUS \S+ \(MESSAGES 0 UIDNEXT 2 UNSEEN 0\)")
    assert watcher.noop()[0] == "OK"  # the session goes on after the unsolicited responses
    watcher.logout()
    other.logout()


def test_selected_mailbox_hears_exists_fetch_and_expunge_at_once(server):
    address = account(server)
    watcher, other = server.imaps_login(address), server.imaps_login(address)
    watcher.select("INBOX")
    typ, _, _ = notify(watcher, "SET", "(SELECTED (MessageNew (UID FLAGS) MessageExpunge FlagChange))")
    assert typ == "OK"
    other.append("INBOX", None, None, MESSAGE)
    heard = unsolicited(watcher, rb"^\* 1 FETCH \(UID 1 FLAGS \(")
    assert b"* 1 EXISTS" in heard
    other.select("INBOX")
    other.store("1", "+FLAGS", "\\Flagged")
    heard = unsolicited(watcher, rb"^\* 1 FETCH \(FLAGS \(.*\\Flagged")
    other.store("1", "+FLAGS", "\\Deleted")
    other.expunge()
    unsolicited(watcher, rb"^\* 1 EXPUNGE")
    assert watcher.search(None, "ALL") == ("OK", [b""])  # empty now, as the client was told
    watcher.logout()
    other.logout()


def test_mailbox_names_and_subscriptions_are_told_as_list(server):
    address = account(server)
    watcher, other = server.imaps_login(address), server.imaps_login(address)
    typ, _, _ = notify(watcher, "SET", "(PERSONAL (MailboxName SubscriptionChange))")
    assert typ == "OK"
    other.create("Notes")
    unsolicited(watcher, rb'^\* LIST \(\) "/" "?Notes"?$')
    other.rename("Notes", "Dossiers")
    unsolicited(watcher, rb'^\* LIST \(\) "/" "?Dossiers"? \("OLDNAME" \("?Notes"?\)\)')
    other.subscribe("Dossiers")
    unsolicited(watcher, rb'^\* LIST \(\\Subscribed\) "/" "?Dossiers"?')
    other.delete("Dossiers")
    unsolicited(watcher, rb'^\* LIST \(\\NonExistent\) "/" "?Dossiers"?')
    watcher.logout()
    other.logout()


def test_metadata_changes_reach_the_sessions_that_asked(server):
    address = account(server)
    watcher, other = server.imaps_login(address), server.imaps_login(address)
    typ, _, _ = notify(watcher, "SET", "(PERSONAL (MailboxMetadataChange ServerMetadataChange))")
    assert typ == "OK"
    assert other._simple_command("SETMETADATA", "INBOX", '(/private/comment "a rappeler")')[0] == "OK"
    unsolicited(watcher, rb'^\* METADATA "?INBOX"? /private/comment$')
    assert other._simple_command("SETMETADATA", '""', '(/private/vendor/mssd/colour "bleu")')[0] == "OK"
    unsolicited(watcher, rb'^\* METADATA "" /private/vendor/mssd/colour$')
    assert other._simple_command("SETMETADATA", "INBOX", "(/private/comment NIL)")[0] == "OK"
    unsolicited(watcher, rb'^\* METADATA "?INBOX"? /private/comment$')
    watcher.logout()
    other.logout()


def test_notify_none_hears_nothing(server):
    address = account(server)
    watcher, other = server.imaps_login(address), server.imaps_login(address)
    assert notify(watcher, "SET", "(INBOXES (MessageNew MessageExpunge))")[0] == "OK"
    assert notify(watcher, "NONE")[0] == "OK"
    other.append("INBOX", None, None, MESSAGE)
    readable, _, _ = select.select([watcher.sock], [], [], 3)
    assert not readable and not watcher.sock.pending()
    typ, _ = watcher.noop()
    assert typ == "OK"
    assert "STATUS" not in watcher.untagged_responses
    other.logout()


def test_refusals(server):
    address = account(server)
    c = server.imaps_login(address)
    with pytest.raises(imaplib.IMAP4.error, match="MessageNew and MessageExpunge"):
        notify(c, "SET", "(SELECTED (MessageNew))")
    typ, _, data = notify(c, "SET", "(INBOXES (MessageNew MessageExpunge Sparkle))")
    assert typ == "NO" and b"[BADEVENT (MessageNew MessageExpunge" in data[0]
    assert b"NOTIFY" in c.capability()[1][0].split()
    c.logout()


def test_past_100_watched_mailboxes_notify_overflows_and_stops(server):
    address = account(server)
    c, other = server.imaps_login(address), server.imaps_login(address)
    for i in range(100):  # with the six default folders: 106 personal mailboxes
        assert c.create(f"Dossier{i}")[0] == "OK"
    typ, _, _ = notify(c, "SET", "(PERSONAL (MessageNew MessageExpunge))")
    assert typ == "OK"
    assert any(b"[NOTIFICATIONOVERFLOW]" in line for line in c.untagged_responses.get("OK", []))
    # NOTIFY is off: a new message elsewhere is not told.
    other.append("INBOX", None, None, MESSAGE)
    readable, _, _ = select.select([c.sock], [], [], 3)
    assert not readable and not c.sock.pending()
    # A narrower set is watched again.
    assert notify(c, "SET", "(INBOXES (MessageNew MessageExpunge))")[0] == "OK"
    other.append("INBOX", None, None, MESSAGE)
    unsolicited(c, rb"^\* STATUS \S+ \(MESSAGES 2 ")
    c.logout()
    other.logout()
