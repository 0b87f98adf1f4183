"""RFC 9208 QUOTA against the real mssd: limits set by the operator with `mssctl account quota`,
reported by GETQUOTAROOT/GETQUOTA, enforced on APPEND and COPY with [OVERQUOTA], refused to users
(SETQUOTA is the operator's)."""
import imaplib

from mssd_harness import DOMAIN, PASSWORD, add_personal_account


def test_quota_reported_and_enforced(server):
    user = add_personal_account(server, f"quota.user@{DOMAIN}")
    out = server.ctl("account", "quota", user, "--storage-kib", "2", "--messages", "10").stdout.decode()
    assert out == f"{user} STORAGE 0/2 KiB MESSAGES 0/10\n"
    c = imaplib.IMAP4_SSL("127.0.0.1", server.imaps, ssl_context=server.tls_context(), timeout=30)
    c.login(user, PASSWORD)
    body = b"Subject: q\r\n\r\n" + b"x" * 1200 + b"\r\n"
    assert c.append("Drafts", None, None, body)[0] == "OK"
    typ, data = c.getquotaroot("INBOX")
    assert typ == "OK"
    assert data == [[b'"INBOX" ""'], [b'"" (STORAGE 2 2 MESSAGE 1 10)']]
    assert c.getquota('""') == ("OK", [b'"" (STORAGE 2 2 MESSAGE 1 10)'])
    typ, data = c.append("Drafts", None, None, body)
    assert typ == "NO" and data[0].startswith(b"[OVERQUOTA]")
    c.select("Drafts")
    typ, data = c.copy("1", "Archive")
    assert typ == "NO" and data[0].startswith(b"[OVERQUOTA]")
    assert c._simple_command("SETQUOTA", '""', "(STORAGE 100)")[0] == "NO"
    c.logout()
    server.ctl("account", "quota", user, "--none")
    assert server.ctl("account", "quota", user).stdout.decode() == f"{user} STORAGE 2/none KiB MESSAGES 1/none\n"
