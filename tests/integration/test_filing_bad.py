"""Filing's bad input, the cases test_filing.py leaves out (issue 12, "Bad input"), through the real
submission listener with documents built by tests/tools/make_xdm.py: a CDA past the reader's bound
in the largest message mssd takes (and a 200 MB message refused at MAIL), duplicate entry names in
IHE_XDM.ZIP, absolute and drive paths in zip entries, a METADATA.XML size that is not the
document's, billion laughs in METADATA.XML and in an archived CDA, too many entries, a nested zip,
and an INS under an OID that is not an INS. Each: the exact CI-SIS code in the MDN to
the sender, the refusal's reason in the log, nothing filed (mssctl and ITI-67 both find nothing),
and the message still delivered to its recipient."""
import io
import re
import secrets
import smtplib
import time
import warnings
import zipfile

import pytest

from mssd_harness import DOCTOR, GP, PASSWORD
from test_filing import (WAIT, disposition, documents, message_with_zip, mx, search, send_and_ack,  # noqa: F401
                         server)

CDA_BOUND = 20 * 1024 * 1024      # cda::XmlLimits::max_octets
MESSAGE_LIMIT = 25 * 1024 * 1024  # Config::max_message_size, the default the server fixture keeps


def rezip(good, rename=None, replace=None, extra=()):
    """good's members again (stored as they came), renamed by rename(name) and with their data
    changed by replace(name, data); extra (name, data) pairs are appended, duplicates allowed."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns of duplicate names: they are the point
            for info in src.infolist():
                data = src.read(info)
                name = rename(info.filename) if rename else info.filename
                dst.writestr(name, replace(info.filename, data) if replace else data)
            for name, data in extra:
                dst.writestr(name, data)
    return buf.getvalue()


def metadata_size_plus_one(name, data):
    if not name.endswith("METADATA.XML"):
        return data
    return re.sub(rb'(<rim:Slot name="size"><rim:ValueList><rim:Value>)(\d+)',
                  lambda m: m.group(1) + str(int(m.group(2)) + 1).encode(), data, count=1)


def padded_doc(doc_id, octets):
    """A biology report grown past `octets` by a comment of random hex (compresses about 2:1, so the
    XDM stays under the zip-bomb ratio and the message under the size limit)."""
    doc = mx.bio_doc(doc_id=doc_id, set_id=f"SET-{doc_id}")
    size = len(mx.cda(doc).encode())
    pad = secrets.token_hex((octets - size) // 2 + 1024)
    pad = "\n".join(pad[i:i + 76] for i in range(0, len(pad), 76))  # short lines: no transfer encoding
    doc.body = doc.body.replace("<title>Biochimie</title>", f"<title>Biochimie</title><!-- {pad} -->", 1)
    assert len(mx.cda(doc).encode()) > octets
    return doc


def message_with_8bit_cda(cda_text, doc_id):
    """A message whose CDA attachment travels as it is (8bit), the largest CDA a message can carry."""
    from email.message import EmailMessage
    import email.policy
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = GP, DOCTOR, "XDM/1.0/DDM+test"
    msg["Message-ID"] = f"<{doc_id}@make-xdm.test>"
    msg["Disposition-Notification-To"] = GP
    msg.set_content("ci-joint\n")
    msg.add_attachment(cda_text, subtype="xml", filename=f"{doc_id}.XML", cte="8bit")
    return msg.as_bytes()


def xdm_of_content(doc, content):
    """An IHE_XDM.ZIP whose one document is `content` as is, METADATA.XML's hash and size its own."""
    uri = "DOC0001.XML"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("IHE_XDM/SUBSET01/METADATA.XML", mx.metadata_xml([doc], [content], [uri]))
        z.writestr(f"IHE_XDM/SUBSET01/{uri}", content)
    return buf.getvalue()


def bad_cases():
    """(name, doc_id, raw message, expected code, pattern of the refusal's reason in the log)."""
    doc = mx.bio_doc(doc_id="BADX-DUP", set_id="SET-BADX-DUP")
    good = mx.xdm_zip([doc])
    other = mx.cda(mx.bio_doc(doc_id="BADX-DUP-OTHER")).encode()
    yield ("duplicate-entry", "BADX-DUP",
           message_with_zip(rezip(good, extra=[("IHE_XDM/SUBSET01/DOC0001.XML", other)]), "BADX-DUP"),
           906, r"appears twice")
    doc = mx.bio_doc(doc_id="BADX-CASE", set_id="SET-BADX-CASE")
    yield ("duplicate-entry-other-case", "BADX-CASE",
           message_with_zip(rezip(mx.xdm_zip([doc]), extra=[("IHE_XDM/SUBSET01/doc0001.xml", other)]), "BADX-CASE"),
           906, r"appears twice")
    for name, path in (("absolute-path", "/IHE_XDM/SUBSET01/DOC0001.XML"),
                       ("drive-path", "C:/IHE_XDM/SUBSET01/DOC0001.XML"),
                       ("backslash-dot-dot", "IHE_XDM\\SUBSET01\\..\\..\\DOC0001.XML")):
        doc_id = f"BADX-{name.upper()}"
        doc = mx.bio_doc(doc_id=doc_id, set_id=f"SET-{doc_id}")
        z = rezip(mx.xdm_zip([doc]), rename=lambda n, p=path: p if n.endswith("DOC0001.XML") else n)
        yield name, doc_id, message_with_zip(z, doc_id), 906, r"absolute path or \"\.\.\" refused"
    doc = mx.bio_doc(doc_id="BADX-SIZE", set_id="SET-BADX-SIZE")
    yield ("metadata-size-mismatch", "BADX-SIZE",
           message_with_zip(rezip(mx.xdm_zip([doc]), replace=metadata_size_plus_one), "BADX-SIZE"),
           906, r"DOC0001.XML: \d+ octets, METADATA.XML says \d+")
    laughs = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
              '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>')
    doc = mx.bio_doc(doc_id="BADX-LAUGHS-META", set_id="SET-BADX-LAUGHS-META")
    yield ("billion-laughs-in-metadata", doc.doc_id,
           message_with_zip(rezip(mx.xdm_zip([doc]), replace=lambda n, d: d.replace(b"?>", b"?>" + laughs.encode(), 1)
                                  if n.endswith("METADATA.XML") else d), doc.doc_id),
           906, r"METADATA.XML holds a DOCTYPE or entity declaration")
    doc = mx.bio_doc(doc_id="BADX-LAUGHS-CDA", set_id="SET-BADX-LAUGHS-CDA")
    doc.title = "&lol2;"
    laughing = mx.cda(doc).replace("?>", "?>" + laughs, 1).replace("&amp;lol2;", "&lol2;")
    yield ("billion-laughs-in-the-xdm-cda", doc.doc_id,
           message_with_zip(xdm_of_content(doc, laughing.encode()), doc.doc_id),
           906, r"the CDA document holds a DOCTYPE or entity declaration")
    doc = mx.bio_doc(doc_id="BADX-ENTRIES", set_id="SET-BADX-ENTRIES")
    yield ("too-many-entries", doc.doc_id,
           message_with_zip(rezip(mx.xdm_zip([doc]), extra=[(f"IHE_XDM/SUBSET01/X{i:04d}.TXT", b"x") for i in range(300)]),
                            doc.doc_id),
           906, r"the zip holds \d+ entries \(at most 256\)")
    doc = mx.bio_doc(doc_id="BADX-NESTED", set_id="SET-BADX-NESTED")
    yield ("nested-zip", doc.doc_id,
           message_with_zip(rezip(mx.xdm_zip([doc]), extra=[("IHE_XDM/SUBSET01/INNER.ZIP", mx.xdm_zip([doc]))]),
                            doc.doc_id),
           906, r"nested archive refused")
    for name, oid in (("ps-idnat-oid", "1.2.250.1.71.4.2.1"), ("private-oid", "1.2.250.1.213.1.4.99"),
                      ("ins-arc-itself", "1.2.250.1.213.1.4")):
        doc_id = f"BADX-OID-{name.upper()}"
        doc = mx.bio_doc(patient=mx.Patient(oid=oid), doc_id=doc_id, set_id=f"SET-{doc_id}")
        yield name, doc_id, mx.message([doc], GP, DOCTOR), 903, r"not filed: 903 "


def found_by_iti67(server, doc_id):
    status, bundle = search(server, "traitant")
    assert status == 200, bundle
    return [e for e in bundle.get("entry", []) if doc_id in e["resource"]["masterIdentifier"]["value"]]


def assert_refused_and_delivered(server, raw, doc_id, code, reason):
    before = documents(server)
    mdn = send_and_ack(server, raw)  # asserts the message reached DOCTOR and an MDN reached GP
    d = disposition(mdn)
    assert f"processed/Error: {code}^" in d, d
    assert mdn["Subject"].startswith(f"[KO Intégration système !][{code}]"), mdn["Subject"]
    assert [p.get_filename() for p in mdn.walk() if p.get_filename()], "the original attachments go back"
    assert server.wait_log(rf"not filed: {code} .*{reason}" if not reason.startswith("not filed") else reason,
                           timeout=WAIT), "the refusal's reason is logged"
    assert documents(server) == before, "nothing filed"
    assert found_by_iti67(server, doc_id) == [], "ITI-67 finds nothing"


CASES = list(bad_cases())


@pytest.mark.parametrize("name,doc_id,raw,code,reason", CASES, ids=[c[0] for c in CASES])
def test_bad_archive_or_identity_gets_its_code_nothing_filed_message_delivered(server, name, doc_id, raw, code, reason):
    assert_refused_and_delivered(server, raw, doc_id, code, reason)


def test_a_bare_cda_past_the_readers_bound_in_the_largest_message(server):
    doc = padded_doc("BADX-HUGE-BARE", (MESSAGE_LIMIT - 64 * 1024) * 76 // 78)  # LF becomes CRLF on the wire
    raw = message_with_8bit_cda(mx.cda(doc), doc.doc_id)
    assert CDA_BOUND + 4 * 1024 * 1024 < len(raw) < MESSAGE_LIMIT, len(raw)
    assert_refused_and_delivered(server, raw, doc.doc_id, 906, rf"is larger than {CDA_BOUND} octets: refused unread")


def test_an_xdm_whose_cda_is_past_the_readers_bound(server):
    doc = padded_doc("BADX-HUGE-XDM", CDA_BOUND)
    raw = mx.message([doc], GP, DOCTOR)
    assert len(raw) < MESSAGE_LIMIT, len(raw)
    assert_refused_and_delivered(server, raw, doc.doc_id, 906, rf"is larger than {CDA_BOUND} octets: refused unread")


def test_a_200_mb_message_is_refused_at_mail_and_nothing_is_queued(server):
    before_rcpt, before_ack = len(server.mail_list(DOCTOR)), len(server.mail_list(GP))
    with smtplib.SMTP("127.0.0.1", server.submission, timeout=120) as c:
        c.starttls(context=server.tls_context())
        c.login(GP, PASSWORD)
        assert int(c.esmtp_features["size"]) == MESSAGE_LIMIT
        code, text = c.mail(GP, ["SIZE=%d" % (200 * 1024 * 1024)])
        assert code == 552 and text.startswith(b"5.3.4"), (code, text)
        c.rset()
        assert c.mail(GP)[0] == 250, "the session goes on"
    assert len(server.mail_list(DOCTOR)) == before_rcpt and len(server.mail_list(GP)) == before_ack


def test_a_message_past_the_limit_without_size_is_refused_after_data_and_nothing_filed(server):
    """A client that does not declare SIZE: the whole message is read, then 552; no copy, no job."""
    doc = padded_doc("BADX-OVER-LIMIT", MESSAGE_LIMIT)
    raw = message_with_8bit_cda(mx.cda(doc), doc.doc_id)
    assert len(raw) > MESSAGE_LIMIT
    before_rcpt, before_ack, before_docs = len(server.mail_list(DOCTOR)), len(server.mail_list(GP)), documents(server)
    with smtplib.SMTP("127.0.0.1", server.submission, timeout=300) as c:
        c.starttls(context=server.tls_context())
        c.login(GP, PASSWORD)
        assert c.mail(GP)[0] == 250
        assert c.rcpt(DOCTOR)[0] == 250
        code, text = c.data(raw)  # smtplib raises only for the reply to DATA itself
        assert code == 552 and text.startswith(b"5.3.4"), (code, text)
    time.sleep(2)  # a job, had one been written, would have run by now
    assert len(server.mail_list(DOCTOR)) == before_rcpt, "nothing delivered"
    assert len(server.mail_list(GP)) == before_ack, "no acknowledgement: no job"
    assert documents(server) == before_docs and found_by_iti67(server, doc.doc_id) == []
