#!/usr/bin/python3
"""Writes the CDA and XDM fixtures of tests/unit/cda_*.cpp (good documents and every refused archive).

Usage: tests/tools/make_cda_fixtures.py [DIR]   (default tests/unit/fixtures/cda)
The files are committed; re-run after changing make_xdm.py. Writes only into DIR.
"""
import io
import os
import struct
import sys
import warnings
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_xdm as m  # noqa: E402


def zip_of(members) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            m.FixedTimeZip(z).writestr(name, data)
    return buf.getvalue()


def members_of(archive: bytes):
    z = zipfile.ZipFile(io.BytesIO(archive))
    return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def mark_encrypted(archive: bytes) -> bytes:
    """Sets the 'encrypted' flag (bit 0) in every local and central header: a reader must refuse it."""
    out = bytearray(archive)
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = out.find(sig)
        while i >= 0:
            flags = struct.unpack_from("<H", out, i + flag_at)[0]
            struct.pack_into("<H", out, i + flag_at, flags | 1)
            i = out.find(sig, i + 4)
    return bytes(out)


def main() -> int:
    warnings.filterwarnings("ignore", "Duplicate name")
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../unit/fixtures/cda")
    os.makedirs(out, exist_ok=True)
    bio, discharge, replacement = m.bio_doc(), m.discharge_doc(), m.replacement_doc()
    good = m.xdm_zip([bio, discharge])
    files = {
        "bio.xml": m.cda(bio).encode(),
        "discharge.xml": m.cda(discharge).encode(),
        "replacement.xml": m.cda(replacement).encode(),
        "xdm.zip": good,
        "xdm_replacement.zip": m.xdm_zip([replacement]),
        "traversal.zip": zip_of(members_of(good) + [("IHE_XDM/../../evil.txt", b"x")]),
        "absolute.zip": zip_of(members_of(good) + [("/etc/cron.d/evil", b"x")]),
        "duplicate.zip": zip_of(members_of(good) + [("IHE_XDM/SUBSET01/DOC0001.XML", b"<other/>")]),
        "nested.zip": zip_of(members_of(good) + [("IHE_XDM/SUBSET01/INNER.ZIP", good)]),
        "bomb.zip": zip_of(members_of(good) + [("IHE_XDM/SUBSET01/ZEROS.BIN", bytes(8 * 1024 * 1024))]),
        "many.zip": zip_of(members_of(good) + [(f"PAD/F{i:04d}.TXT", b"x") for i in range(300)]),
        "encrypted.zip": mark_encrypted(good),
        "two_patients.zip": m.xdm_zip([bio, m.discharge_doc(patient=m.Patient(
            m.ins_of("1750699123456"), m.INS_NIR, "DURAND", "Jean", "19750601", "M"))]),
    }
    # The document's bytes differ from what METADATA.XML says (one more octet; another octet).
    contents = [m.cda(d).encode() for d in (bio, discharge)]
    uris = ["DOC0001.XML", "DOC0002.XML"]
    meta = m.metadata_xml([bio, discharge], contents, uris)
    grown = [(n, d + b" " if n.endswith("DOC0001.XML") else d) for n, d in members_of(good)]
    altered = [(n, d.replace(b"DUPONT", b"DUPONS", 1) if n.endswith("DOC0001.XML") else d) for n, d in members_of(good)]
    files["size_mismatch.zip"] = zip_of(grown)
    files["hash_mismatch.zip"] = zip_of(altered)
    # METADATA.XML names another patient than the CDA it describes.
    other = m.Patient(m.ins_of("1750699123456"), m.INS_NIR, "DURAND", "Jean", "19750601", "M")
    files["metadata_patient.zip"] = zip_of(
        [(n, meta.replace(m.esc(m.patient_cx(bio.patient)), m.esc(m.patient_cx(other))).encode() if n.endswith("METADATA.XML") else d)
         for n, d in members_of(good)])
    # Three RegistryPackages all classified as the submission set (an odd count once slipped through).
    start, end = meta.index("<rim:RegistryPackage"), meta.index("</rim:RegistryPackage>") + len("</rim:RegistryPackage>")
    more = ""
    for n in (2, 3):
        more += meta[start:end].replace("SubmissionSet01", f"SubmissionSet0{n}").replace('id="SS-', f'id="SS{n}-')
        more += (f'<rim:Classification classifiedObject="SubmissionSet0{n}" classificationNode="{m.SS_NODE}" '
                 f'id="SS{n}-class"/>')
    two_sets = meta[:end] + more + meta[end:]
    files["three_sets.zip"] = zip_of([(n, two_sets.encode() if n.endswith("METADATA.XML") else d)
                                    for n, d in members_of(good)])
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
