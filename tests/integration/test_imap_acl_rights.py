"""RFC 4314 rights of an organisational mailbox's members taken one by one (issue 9, item 7): "i" alone
lets a member APPEND to the shared mailbox, "l" and "r" only decide whether it is listed and read, and a
user holding no right gets the answer a mailbox that does not exist gets; SETACL gives rights to people
only, never to an organisational mailbox. Rights set with the real mssctl; the client is Python's
imaplib on the real mssd."""
import re

import pytest

from mssd_harness import DOCTOR, GP, PRACTICE, SECRETARY, add_personal_account

SHARED_INBOX = f'"Shared/{PRACTICE}/INBOX"'
MESSAGE = b"From: <x@autre.mssante.fr>\r\nSubject: depot\r\n\r\nCompte rendu.\r\n"


@pytest.fixture(scope="module")
def members(server):
    server.ctl("account", "member", "add", PRACTICE, DOCTOR, "--rights", "ip")
    outsider = add_personal_account(server, "stagiaire@test.mssante.fr")
    yield outsider
    server.ctl("account", "member", "remove", PRACTICE, DOCTOR)


def test_insert_right_alone_lets_a_member_append_and_copy(server, members):
    before = len(server.mail_list(PRACTICE))
    with server.imaps_login(DOCTOR) as c:
        typ, data = c.append(SHARED_INBOX, None, None, MESSAGE)
        assert typ == "OK", data
        assert re.search(rb"\[APPENDUID \d+ \d+\]", data[-1])
        assert c.append("INBOX", None, None, MESSAGE)[0] == "OK"
        c.select("INBOX")
        typ, data = c.copy("1:*", SHARED_INBOX)  # COPY needs "i" on the target, as APPEND does
        assert typ == "OK" and b"[COPYUID " in data[-1], data
    assert len(server.mail_list(PRACTICE)) > before + 1


def test_without_lookup_or_read_the_shared_mailbox_is_not_listed_nor_read(server, members):
    with server.imaps_login(DOCTOR) as c:
        typ, listed = c.list('""', "Shared/*")
        assert typ == "OK" and not any(PRACTICE.encode() in (l or b"") for l in listed)
        typ, data = c.select(SHARED_INBOX)
        assert typ == "NO" and b"[NOPERM]" in data[-1]  # it holds "i": its existence may be known
        typ, data = c.myrights(SHARED_INBOX)
        assert typ == "OK" and data[0].endswith(b" ip")


def test_a_user_without_any_right_cannot_tell_the_mailbox_exists(server, members):
    with server.imaps_login(members) as c:
        existing = c.append(SHARED_INBOX, None, None, MESSAGE)
        missing = c.append(f'"Shared/{PRACTICE}/Nowhere"', None, None, MESSAGE)
        absent_org = c.append('"Shared/nobody@test.mssante.fr/INBOX"', None, None, MESSAGE)
    assert existing[0] == missing[0] == absent_org[0] == "NO"
    assert existing[1] == missing[1] == absent_org[1]


def test_lookup_without_insert_still_cannot_append(server, members):
    with server.imaps_login(SECRETARY) as c:  # lrsw on the practice
        typ, data = c.append(SHARED_INBOX, None, None, MESSAGE)
    assert typ == "NO" and b"[NOPERM]" in data[-1]


def test_setacl_refuses_an_organisational_mailbox_as_member(server, members):
    other = "chu-cardio@test.mssante.fr"
    server.ctl("account", "add", other, "--kind", "organisational")
    with server.imaps_login(GP) as c:  # GP administers the practice ("a")
        for who, why in ((PRACTICE, b"cannot be a member of itself"), (other, b"only personal mailboxes")):
            typ, data = c.setacl(SHARED_INBOX, who, "lrs")
            assert typ == "NO" and data[-1].startswith(b"[CANNOT]") and why in data[-1], data
        typ, data = c.getacl(SHARED_INBOX)
        assert typ == "OK" and other.encode() not in data[0] and data[0].count(PRACTICE.encode()) == 1
