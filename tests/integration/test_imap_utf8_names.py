"""UTF-8 mailbox names with a real client: Python's imaplib enables UTF8=ACCEPT (RFC 6855) and
then sends and reads mailbox names as UTF-8, which mssd must take and give as such; a session that
did not enable it still sees the same mailbox in modified UTF-7. (imaplib's own APPEND in UTF-8
mode puts the UTF8 wrapper inside the literal, so APPEND is left to the conformance scripts.)"""

from mssd_harness import GP


def connect(server):
    return server.imaps_login(GP)


def test_imaplib_in_utf8_mode_creates_lists_and_selects_a_utf8_name(server):
    c = connect(server)
    assert "UTF8=ACCEPT" in c.capabilities and "IMAP4REV2" in c.capabilities
    typ, data = c.enable("UTF8=ACCEPT")
    assert typ == "OK" and c.utf8_enabled
    assert c.create('"Comptes rendus/Échographies"')[0] == "OK"
    typ, lines = c.list('""', '"Comptes rendus/*"')
    assert (typ, lines) == ("OK", ['(\\HasNoChildren) "/" "Comptes rendus/Échographies"'.encode()])
    typ, data = c.select('"Comptes rendus/Échographies"')
    assert (typ, data) == ("OK", [b"0"])
    typ, data = c.status('"Comptes rendus/Échographies"', "(MESSAGES)")
    assert data == ['"Comptes rendus/Échographies" (MESSAGES 0)'.encode()]
    c.logout()

    plain = connect(server)
    typ, lines = plain.list('""', '"Comptes rendus/*"')
    assert lines == [b'(\\HasNoChildren) "/" "Comptes rendus/&AMk-chographies"']
    plain.logout()
