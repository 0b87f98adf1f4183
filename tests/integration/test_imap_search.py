"""SEARCH, UID SEARCH, ESEARCH, SEARCHRES, SORT and THREAD against the real mssd with Python's
imaplib, over six messages delivered by SMTP: encoded headers, a base64 UTF-8 body, a
quoted-printable Latin-1 body, a References chain and a forwarded subject. The first message
delivered is expunged, so UIDs are message numbers + 1."""
import base64
import datetime
import imaplib
import re
import smtplib

import pytest

from mssd_harness import DOCTOR

RESULT = "=?UTF-8?Q?R=C3=89SULTAT_d'=C3=A9chographie?="
MESSAGES = [
    # 1: the original result, base64 UTF-8 body
    {"From": "=?UTF-8?Q?Dr_=C3=89mile_L=C3=A9ger?= <emile.leger@chu-x.mssante.fr>",
     "Subject": RESULT, "Date": "Tue, 10 Mar 2026 09:00:00 +0100",
     "Message-ID": "<m1@chu-x.mssante.fr>",
     "Content-Type": "text/plain; charset=utf-8", "Content-Transfer-Encoding": "base64",
     "body": base64.b64encode("Œdème léger du genou droit.\r\n".encode()).decode()},
    # 2: a reply, quoted-printable Latin-1 body
    {"From": "Laboratoire Y <labo@labo-y.mssante.fr>",
     "Subject": "Re: =?UTF-8?Q?r=C3=A9sultat_d'=C3=A9chographie?=", "Date": "Thu, 12 Mar 2026 08:00:00 +0100",
     "Message-ID": "<m2@labo-y.mssante.fr>", "References": "<m1@chu-x.mssante.fr>",
     "In-Reply-To": "<m1@chu-x.mssante.fr>",
     "Content-Type": "text/plain; charset=iso-8859-1", "Content-Transfer-Encoding": "quoted-printable",
     "body": "Compte rendu n=E9gatif."},
    # 3: another thread
    {"From": "=?UTF-8?Q?Secr=C3=A9tariat_Martin?= <accueil@cabinet-martin.mssante.fr>",
     "Subject": "Rendez-vous", "Date": "Wed, 11 Mar 2026 17:30:00 +0100",
     "Message-ID": "<m3@test.mssante.fr>", "body": "Merci de confirmer le rendez-vous."},
    # 4: forwarded, no references: joins thread 3 by subject
    {"From": "=?UTF-8?Q?Zo=C3=A9_Roux?= <zoe.roux@hopital-z.mssante.fr>",
     "Subject": "Fwd: Rendez-vous", "Date": "Fri, 13 Mar 2026 12:00:00 +0100",
     "Message-ID": "<m4@hopital-z.mssante.fr>", "body": "Transmis."},
    # 5: a reply to the reply
    {"From": "Laboratoire Y <labo@labo-y.mssante.fr>",
     "Subject": "Re: Re: " + RESULT, "Date": "Sat, 14 Mar 2026 10:00:00 +0100",
     "Message-ID": "<m5@labo-y.mssante.fr>", "References": "<m1@chu-x.mssante.fr> <m2@labo-y.mssante.fr>",
     "body": "Complement d'analyse."},
    # 6: the oldest, alone, with a Cc
    {"From": "Alice Bernard <alice@cabinet.mssante.fr>", "Cc": "Marc <marc@x.mssante.fr>",
     "Subject": "Bilan annuel", "Date": "Mon, 9 Mar 2026 16:00:00 +0100",
     "Message-ID": "<m6@cabinet.mssante.fr>", "body": "Bilan."},
]


def render(headers):
    fields = {"To": f"<{DOCTOR}>", "MIME-Version": "1.0", **headers}
    body = fields.pop("body")
    return ("\r\n".join(f"{k}: {v}" for k, v in fields.items()) + "\r\n\r\n" + body + "\r\n").encode()


def connect(server):
    return server.imaps_login(DOCTOR)


@pytest.fixture(scope="module")
def mailbox(server):
    with smtplib.SMTP("127.0.0.1", server.smtp, timeout=30) as s:
        s.sendmail("lab@labo-y.mssante.fr", [DOCTOR], render({"Subject": "a supprimer", "body": "x"}))
        for m in MESSAGES:
            s.sendmail("lab@labo-y.mssante.fr", [DOCTOR], render(m))
    c = connect(server)
    c.select("INBOX")
    c.store("1", "+FLAGS", "\\Deleted")
    c.expunge()
    c.logout()
    return server


@pytest.fixture
def imap(mailbox):
    c = connect(mailbox)
    c.select("INBOX")
    yield c
    c.logout()


def search(c, *criteria):
    typ, data = c.search(None, *criteria)
    assert typ == "OK"
    return data[0].decode().split()


def search_utf8(c, *criteria_then_literal):
    *criteria, text = criteria_then_literal
    c.literal = text.encode()
    typ, data = c.search("UTF-8", *criteria)
    assert typ == "OK"
    return data[0].decode().split()


def esearch(c, arguments, uid=False):
    words = arguments.split()
    typ, _ = c.uid("SEARCH", *words) if uid else c._simple_command("SEARCH", *words)
    assert typ == "OK"
    return c.response("ESEARCH")[1]


def day(offset):
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=offset)).strftime("%d-%b-%Y")


def test_search_address_subject_and_header_keys(imap):
    assert search(imap, "ALL") == ["1", "2", "3", "4", "5", "6"]
    assert search(imap, "FROM", "labo") == ["2", "5"]
    assert search(imap, "FROM", "ZOE.ROUX") == ["4"]
    assert search(imap, "SUBJECT", "rendez-vous") == ["3", "4"]
    assert search(imap, "CC", "marc") == ["6"]
    assert search(imap, "TO", "marie.martin") == ["1", "2", "3", "4", "5", "6"]
    assert search(imap, "BCC", "marie") == []
    assert search(imap, "HEADER", "References", '""') == ["2", "5"]
    assert search(imap, "HEADER", "Message-ID", "m3@") == ["3"]
    assert search(imap, "OR", "FROM", "zoe", "SUBJECT", "bilan") == ["4", "6"]
    assert search(imap, "NOT", "FROM", "labo") == ["1", "3", "4", "6"]
    assert search(imap, "2:4", "FROM", "labo") == ["2"]
    assert search(imap, "(OR", "2", "6)", "SUBJECT", "bilan") == ["6"]


def test_search_text_and_body_read_decoded_text(imap):
    assert search(imap, "TEXT", "chu-x") == ["1", "2", "5"]  # From, References
    assert search(imap, "BODY", "chu-x") == []
    assert search(imap, "BODY", '"confirmer le"') == ["3"]
    assert search(imap, "TEXT", "transmis") == ["4"]


def test_search_charset_utf8_with_literals_folds_accents(imap):
    assert search_utf8(imap, "SUBJECT", "résultat") == ["1", "2", "5"]
    assert search_utf8(imap, "FROM", "ÉMILE") == ["1"]
    assert search_utf8(imap, "FROM", "secrétariat") == ["3"]
    assert search_utf8(imap, "BODY", "ŒDÈME") == ["1"]          # base64, UTF-8
    assert search_utf8(imap, "BODY", "négatif") == ["2"]         # quoted-printable, Latin-1
    assert search_utf8(imap, "NOT", "SUBJECT", "résultat") == ["3", "4", "6"]
    typ, data = imap._simple_command("SEARCH", "CHARSET", "KOI8-R", "ALL")
    assert typ == "NO" and b"[BADCHARSET" in data[-1]


def test_search_dates_sizes_flags_and_numbers(imap):
    assert search(imap, "SENTSINCE", "12-Mar-2026") == ["2", "4", "5"]
    assert search(imap, "SENTBEFORE", "11-Mar-2026") == ["1", "6"]
    assert search(imap, "SENTON", "11-Mar-2026") == ["3"]
    assert search(imap, "SINCE", day(-1)) == ["1", "2", "3", "4", "5", "6"]
    assert search(imap, "BEFORE", day(-1)) == []
    assert search(imap, "YOUNGER", "3600") == ["1", "2", "3", "4", "5", "6"]
    assert search(imap, "OLDER", "3600") == []
    assert search(imap, "LARGER", "1") == ["1", "2", "3", "4", "5", "6"]
    assert search(imap, "SMALLER", "1") == []
    assert search(imap, "NEW") == [] and search(imap, "RECENT") == []
    assert search(imap, "OLD") == ["1", "2", "3", "4", "5", "6"]
    imap.store("3", "+FLAGS", "\\Flagged")
    try:
        assert search(imap, "FLAGGED") == ["3"]
        assert search(imap, "UNFLAGGED", "SUBJECT", "rendez-vous") == ["4"]
    finally:
        imap.store("3", "-FLAGS", "\\Flagged")
    assert search(imap, "4:*") == ["4", "5", "6"]
    assert search(imap, "UID", "3:5") == ["2", "3", "4"]
    with pytest.raises(imaplib.IMAP4.error, match="BAD"):
        imap.search(None, "7")


def test_uid_search_answers_uids(imap):
    typ, data = imap.uid("SEARCH", "FROM", "labo")
    assert (typ, data) == ("OK", [b"3 6"])
    typ, data = imap.uid("SEARCH", "UID", "3:5")
    assert data == [b"3 4 5"]
    typ, data = imap.uid("SEARCH", "1:2")
    assert data == [b"2 3"]


def test_search_modseq_reports_the_highest(imap):
    typ, data = imap.search(None, "MODSEQ", "1", "FROM", "labo")
    assert re.fullmatch(rb"2 5 \(MODSEQ \d+\)", data[0])


def test_esearch_return_options(imap):
    assert re.fullmatch(rb'\(TAG "\w+"\) MIN 2 MAX 5 COUNT 2 ALL 2,5',
                        esearch(imap, "RETURN (MIN MAX COUNT ALL) FROM labo")[0])
    assert re.fullmatch(rb'\(TAG "\w+"\) UID MIN 3 MAX 6 COUNT 2 ALL 3,6',
                        esearch(imap, "RETURN (MIN MAX COUNT ALL) FROM labo", uid=True)[0])
    assert re.fullmatch(rb'\(TAG "\w+"\) ALL 1:6', esearch(imap, "RETURN () ALL")[0])
    assert re.fullmatch(rb'\(TAG "\w+"\) COUNT 0', esearch(imap, "RETURN (MIN COUNT) FROM personne")[0])


def test_searchres_save_and_dollar(imap):
    typ, _ = imap._simple_command("SEARCH", "RETURN", "(SAVE)", "FROM", "labo")
    assert typ == "OK"
    assert imap.response("ESEARCH")[1] == [None]  # SAVE alone answers nothing
    typ, data = imap.fetch("$", "(UID)")
    assert data == [b"2 (UID 3)", b"5 (UID 6)"]
    assert search(imap, "$", "SENTSINCE", "13-Mar-2026") == ["5"]
    assert imap.uid("SEARCH", "UID", "$")[1] == [b"3 6"]
    typ, _ = imap._simple_command("SEARCH", "RETURN", "(SAVE MIN)", "SUBJECT", "rendez-vous")
    assert search(imap, "$") == ["3"]
    with pytest.raises(imaplib.IMAP4.error, match="BAD"):
        imap._simple_command("SEARCH", "RETURN", "(SAVE)", "99")
    assert search(imap, "$") == []  # a failed SAVE empties the result


def test_sort(imap):
    def sort(criteria, *search_criteria):
        typ, data = imap.sort(criteria, "UTF-8", *(search_criteria or ("ALL",)))
        assert typ == "OK"
        return data[0].decode().split()

    assert sort("(ARRIVAL)") == ["1", "2", "3", "4", "5", "6"]
    assert sort("(SUBJECT)") == ["6", "3", "4", "1", "2", "5"]
    assert sort("(DATE)") == ["6", "1", "3", "2", "4", "5"]
    assert sort("(REVERSE DATE)") == ["5", "4", "2", "3", "1", "6"]
    assert sort("(FROM)") == ["3", "6", "1", "2", "5", "4"]
    assert sort("(DISPLAYFROM)") == ["6", "1", "2", "5", "3", "4"]
    assert sort("(REVERSE CC)") == ["6", "1", "2", "3", "4", "5"]
    assert sort("(SUBJECT REVERSE DATE)") == ["6", "4", "3", "5", "2", "1"]
    sizes = [int(re.search(rb"RFC822\.SIZE (\d+)", line).group(1)) for line in imap.fetch("1:*", "(RFC822.SIZE)")[1]]
    assert sort("(SIZE)") == [str(n) for _, n in sorted(zip(sizes, range(1, 7)))]
    assert sort("(DATE)", "FROM", "labo") == ["2", "5"]
    imap.literal = "résultat".encode()
    typ, data = imap.sort("(REVERSE DATE)", "UTF-8", "SUBJECT")
    assert data == [b"5 2 1"]
    typ, data = imap.uid("SORT", "(DATE)", "UTF-8", "ALL")
    assert data == [b"7 2 4 3 5 6"]


def test_thread(imap):
    typ, data = imap.thread("REFERENCES", "UTF-8", "ALL")
    assert (typ, data) == ("OK", [b"(6)(1 2 5)(3 4)"])
    typ, data = imap.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
    assert data == [b"(6)(1 (2)(5))(3 4)"]
    typ, data = imap.uid("THREAD", "REFERENCES", "UTF-8", "ALL")
    assert data == [b"(7)(2 3 6)(4 5)"]
    typ, data = imap.thread("REFERENCES", "UTF-8", "FROM", "labo")
    assert data == [b"(2 5)"]
    typ, data = imap.thread("REFERENCES", "UTF-8", "FROM", "personne")
    assert data == [b""]  # "* THREAD" with no threads
    with pytest.raises(imaplib.IMAP4.error, match="BAD"):
        imap.thread("JWZ", "UTF-8", "ALL")
