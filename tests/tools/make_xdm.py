#!/usr/bin/python3
"""Builds realistic CI-SIS CDA R2 documents and IHE XDM archives for tests and benchmarks.

Trusts nothing and touches nothing but the file it writes (or stdout). Used by cda/'s unit tests
(fixtures), the fuzz seeds, the parse benchmark, and later by the DMP and filing tests.

Command line:
  make_xdm.py KIND [KIND...] -o OUT [--bare] [--ins NIR13|INS15] [--oid OID] [--family F] [--given G]
              [--birth YYYYMMDD] [--gender F|M] [--author PS_IDNAT] [--set-id ID] [--replaces DOC_ID]
              [--version N] [--pad-kib N] [--pdf-kib N] [--two-patients]
  KIND: bio (CR d'examens biologiques 11502-2, structured body), discharge (lettre de liaison
  11490-0, nonXMLBody with a small PDF), replacement (a bio report with relatedDocument RPLC
  replacing --replaces, same --set-id, versionNumber 2).
  Without --bare, OUT is an IHE_XDM.ZIP holding README.TXT, INDEX.HTM and IHE_XDM/SUBSET01/ with
  METADATA.XML and DOC0001.XML, DOC0002.XML...; with --bare (one KIND), OUT is the CDA itself.
  --ins takes a 13-digit NIR (its key is computed) or a full 15-character matricule (kept as is,
  so a wrong key can be tested). --pad-kib grows the structured body to about N KiB, --pdf-kib the
  discharge letter's PDF by about N KiB of incompressible octets (benchmarks).
  OUT '-' writes to stdout.
  --eml FROM TO writes instead a whole message as the sending software of Référentiel #2 would:
  the IHE_XDM.ZIP (and the discharge letter's PDF, if any) attached, Subject
  "XDM/1.0/DDM+<label> <FAMILY> <given> <DD/MM/YYYY>", X-MSS-CODECDA, X-MSS-INS: O, X-MSS-NIL and
  Disposition-Notification-To: FROM (drop it with --no-mdn).

As a module: ins_of(nir13), bio_cda(...), discharge_cda(...), replacement_cda(...), xdm_zip(docs),
message(docs, sender, recipient) return str/bytes, for tests that need to alter a document first.
"""
import argparse
import base64
import email.policy
from email.message import EmailMessage
import hashlib
import io
import random
import sys
import zipfile
from dataclasses import dataclass, field

INS_NIR = "1.2.250.1.213.1.4.8"
PS_IDNAT = "1.2.250.1.71.4.2.1"
LOINC = "2.16.840.1.113883.6.1"
DOC_ROOT = "1.2.250.1.213.1.1.9.99"  # our test organisation's document OID arc


def ins_of(nir: str) -> str:
    """The 15-character INS matricule of a 13-character NIR: NIR + 97 - NIR mod 97 (2A->19, 2B->18)."""
    digits = nir[:5] + {"2A": "19", "2B": "18"}.get(nir[5:7].upper(), nir[5:7]) + nir[7:]
    return nir + "%02d" % (97 - int(digits) % 97)


@dataclass
class Patient:
    ins: str = ins_of("2800575123456")
    oid: str = INS_NIR
    family: str = "DUPONT"
    given: str = "Marie"
    birth: str = "19800512"
    gender: str = "F"


@dataclass
class Author:
    ps_idnat: str = "810001234565"
    family: str = "MARTIN"
    given: str = "Paul"
    organisation: str = "Laboratoire des Lilas"
    finess: str = "750000001"


@dataclass
class Doc:
    doc_id: str
    set_id: str
    version: int
    code: str
    display: str
    title: str
    template: str          # the model's templateId (formatCode through ASS_A11)
    body: str              # the XML of <component>...</component>
    patient: Patient = field(default_factory=Patient)
    author: Author = field(default_factory=Author)
    replaces: str = ""
    confidentiality: str = "N"
    effective: str = "20261206093000+0100"
    practice: tuple = ("ETABLISSEMENT", "1.2.250.1.213.1.1.4.9", "Etablissement de santé")
    facility: tuple = ("SA01", "1.2.250.1.71.4.2.4", "Etablissement public de santé")
    mime: str = "text/xml"


def esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def header(d: Doc) -> str:
    p, a = d.patient, d.author
    related = (f'<relatedDocument typeCode="RPLC"><parentDocument><id root="{DOC_ROOT}" extension="{esc(d.replaces)}"/>'
               f'</parentDocument></relatedDocument>' if d.replaces else "")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <realmCode code="FR"/>
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <templateId root="2.16.840.1.113883.2.8.2.1"/>
  <templateId root="1.2.250.1.213.1.1.1.1"/>
  <templateId root="{d.template}"/>
  <id root="{DOC_ROOT}" extension="{esc(d.doc_id)}"/>
  <code code="{d.code}" codeSystem="{LOINC}" codeSystemName="LOINC" displayName="{esc(d.display)}"/>
  <title>{esc(d.title)}</title>
  <effectiveTime value="{d.effective}"/>
  <confidentialityCode code="{d.confidentiality}" codeSystem="2.16.840.1.113883.5.25"/>
  <languageCode code="fr-FR"/>
  <setId root="{DOC_ROOT}" extension="{esc(d.set_id)}"/>
  <versionNumber value="{d.version}"/>
  <recordTarget>
    <patientRole>
      <id root="{p.oid}" extension="{esc(p.ins)}"/>
      <patient>
        <name><given qualifier="BR">{esc(p.given)}</given><family qualifier="BR">{esc(p.family)}</family></name>
        <administrativeGenderCode code="{p.gender}" codeSystem="2.16.840.1.113883.5.1"/>
        <birthTime value="{p.birth}"/>
      </patient>
    </patientRole>
  </recordTarget>
  <author>
    <time value="{d.effective}"/>
    <assignedAuthor>
      <id root="{PS_IDNAT}" extension="{a.ps_idnat}"/>
      <assignedPerson><name><given>{esc(a.given)}</given><family>{esc(a.family)}</family></name></assignedPerson>
      <representedOrganization>
        <id root="1.2.250.1.71.4.2.2" extension="1{a.finess}"/>
        <name>{esc(a.organisation)}</name>
        <standardIndustryClassCode code="{d.practice[0]}" codeSystem="{d.practice[1]}" displayName="{esc(d.practice[2])}"/>
      </representedOrganization>
    </assignedAuthor>
  </author>
  <custodian>
    <assignedCustodian><representedCustodianOrganization>
      <id root="1.2.250.1.71.4.2.2" extension="1{a.finess}"/><name>{esc(a.organisation)}</name>
    </representedCustodianOrganization></assignedCustodian>
  </custodian>
  <legalAuthenticator>
    <time value="{d.effective}"/>
    <signatureCode code="S"/>
    <assignedEntity>
      <id root="{PS_IDNAT}" extension="{a.ps_idnat}"/>
      <assignedPerson><name><given>{esc(a.given)}</given><family>{esc(a.family)}</family></name></assignedPerson>
    </assignedEntity>
  </legalAuthenticator>
  <documentationOf><serviceEvent><effectiveTime><low value="{d.effective[:8]}"/></effectiveTime></serviceEvent></documentationOf>
  {related}
  <componentOf>
    <encompassingEncounter>
      <effectiveTime><low value="{d.effective[:8]}"/></effectiveTime>
      <location><healthCareFacility><code code="{d.facility[0]}" codeSystem="{d.facility[1]}" displayName="{esc(d.facility[2])}"/></healthCareFacility></location>
    </encompassingEncounter>
  </componentOf>
"""


def cda(d: Doc) -> str:
    return header(d) + d.body + "</ClinicalDocument>\n"


def bio_body(pad_kib: int = 0) -> str:
    results = [("2345-7", "Glucose", "5.4", "mmol/L"), ("4548-4", "Hémoglobine A1c", "6.1", "%"),
               ("718-7", "Hémoglobine", "13.2", "g/dL")]
    rows, entries = [], []
    while True:
        for code, name, value, unit in results:
            rows.append(f"<tr><td>{esc(name)}</td><td>{value} {esc(unit)}</td></tr>")
            entries.append(f"""<entry><observation classCode="OBS" moodCode="EVN">
  <templateId root="1.3.6.1.4.1.19376.1.3.1.6"/><code code="{code}" codeSystem="{LOINC}" displayName="{esc(name)}"/>
  <statusCode code="completed"/><value xsi:type="PQ" value="{value}" unit="{esc(unit)}"/>
</observation></entry>""")
        if sum(len(e) for e in entries) >= pad_kib * 1024:
            break
    return f"""  <component><structuredBody><component><section>
    <templateId root="1.3.6.1.4.1.19376.1.3.3.2.1"/>
    <code code="18719-5" codeSystem="{LOINC}" displayName="Chimie"/>
    <title>Biochimie</title>
    <text><table><tbody>{''.join(rows)}</tbody></table></text>
    {''.join(entries)}
  </section></component></structuredBody></component>
"""


def small_pdf(text: str = "Lettre de liaison", pad_kib: int = 0) -> bytes:
    """A minimal but valid one-page PDF saying text; pad_kib adds that many KiB of incompressible
    octets in a PDF comment (as a scanned page would), for archives of a realistic size."""
    rng = random.Random(pad_kib)
    pad = b"".join(b"%" + bytes(rng.randrange(33, 127) for _ in range(63)) + b"\n" for _ in range(pad_kib * 16))
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n" + pad), []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def pdf_body(pdf: bytes) -> str:
    b64 = base64.encodebytes(pdf).decode()
    return f"""  <component><nonXMLBody>
    <text mediaType="application/pdf" representation="B64">{b64}</text>
  </nonXMLBody></component>
"""


def bio_doc(patient=None, author=None, doc_id="CRBIO-2026-0001", set_id="SET-CRBIO-0001", pad_kib=0) -> Doc:
    return Doc(doc_id, set_id, 1, "11502-2", "CR d'examens biologiques", "Compte rendu d'examens biologiques",
               "1.2.250.1.213.1.1.1.55", bio_body(pad_kib), patient or Patient(), author or Author())


def discharge_doc(patient=None, author=None, doc_id="LDL-2026-0001", set_id="SET-LDL-0001", pdf_kib=0) -> Doc:
    d = Doc(doc_id, set_id, 1, "11490-0", "Lettre de liaison à la sortie d'un établissement de soins",
            "Lettre de liaison à la sortie", "1.3.6.1.4.1.19376.1.2.20", pdf_body(small_pdf(pad_kib=pdf_kib)),
            patient or Patient(), author or Author())
    return d


def replacement_doc(patient=None, author=None, replaces="CRBIO-2026-0001", set_id="SET-CRBIO-0001",
                    doc_id="CRBIO-2026-0001-V2") -> Doc:
    d = bio_doc(patient, author, doc_id, set_id)
    d.version, d.replaces = 2, replaces
    return d


def bio_cda(**kw) -> str:
    return cda(bio_doc(**kw))


def discharge_cda(**kw) -> str:
    return cda(discharge_doc(**kw))


def replacement_cda(**kw) -> str:
    return cda(replacement_doc(**kw))


# IHE ITI TF-3 4.2.5 classification and identification schemes (ebRIM 3.0).
DOC_ENTRY = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
SCHEME = {"author": "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d",
          "classCode": "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a",
          "confidentialityCode": "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f",
          "formatCode": "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d",
          "healthcareFacilityTypeCode": "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1",
          "practiceSettingCode": "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead",
          "typeCode": "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"}
DOC_PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
DOC_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
SS_AUTHOR = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
SS_CONTENT_TYPE = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
SS_UNIQUE_ID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
SS_PATIENT_ID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
SS_SOURCE_ID = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
SS_NODE = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
CLASS_OF = {"11502-2": "10", "11490-0": "10", "34112-3": "10"}
FORMAT_OF = {"1.2.250.1.213.1.1.1.55": "urn:ihe:lab:xd-lab:2008",
             "1.3.6.1.4.1.19376.1.2.20": "urn:ihe:iti:xds-sd:pdf:2008"}


def slot(name, *values):
    vals = "".join(f"<rim:Value>{esc(v)}</rim:Value>" for v in values)
    return f'<rim:Slot name="{name}"><rim:ValueList>{vals}</rim:ValueList></rim:Slot>'


def classification(scheme, obj, code, system, display):
    return (f'<rim:Classification classificationScheme="{scheme}" classifiedObject="{obj}" '
            f'nodeRepresentation="{esc(code)}" id="{obj}-{code}">{slot("codingScheme", system)}'
            f'<rim:Name><rim:LocalizedString value="{esc(display)}"/></rim:Name></rim:Classification>')


def author_value(a: Author) -> str:
    return f"{a.ps_idnat}^{a.family}^{a.given}^^^^^^&{PS_IDNAT}&ISO^D^^^IDNPS"


def patient_cx(p: Patient) -> str:
    return f"{p.ins}^^^&{p.oid}&ISO^NH"


def entry_xml(n: int, d: Doc, content: bytes, uri: str, patient_override: str = "") -> str:
    obj = f"Document{n:02d}"
    return f"""<rim:ExtrinsicObject id="{obj}" mimeType="{d.mime}" objectType="{DOC_ENTRY}">
 {slot("creationTime", d.effective[:14])}{slot("hash", hashlib.sha1(content).hexdigest())}
 {slot("languageCode", "fr-FR")}{slot("size", str(len(content)))}{slot("URI", uri)}
 {slot("sourcePatientId", patient_cx(d.patient))}
 <rim:Name><rim:LocalizedString value="{esc(d.title)}"/></rim:Name>
 <rim:Classification classificationScheme="{SCHEME['author']}" classifiedObject="{obj}" nodeRepresentation="" id="{obj}-author">{slot("authorPerson", author_value(d.author))}</rim:Classification>
 {classification(SCHEME["classCode"], obj, CLASS_OF.get(d.code, "10"), "1.2.250.1.213.1.1.4.1", "Compte rendu")}
 {classification(SCHEME["confidentialityCode"], obj, d.confidentiality, "2.16.840.1.113883.5.25", "Normal")}
 {classification(SCHEME["formatCode"], obj, FORMAT_OF.get(d.template, ""), "1.3.6.1.4.1.19376.1.2.3", "format")}
 {classification(SCHEME["healthcareFacilityTypeCode"], obj, d.facility[0], d.facility[1], d.facility[2])}
 {classification(SCHEME["practiceSettingCode"], obj, d.practice[0], d.practice[1], d.practice[2])}
 {classification(SCHEME["typeCode"], obj, d.code, LOINC, d.display)}
 <rim:ExternalIdentifier identificationScheme="{DOC_PATIENT_ID}" value="{esc(patient_override or patient_cx(d.patient))}" registryObject="{obj}" id="{obj}-pid"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.patientId"/></rim:Name></rim:ExternalIdentifier>
 <rim:ExternalIdentifier identificationScheme="{DOC_UNIQUE_ID}" value="{DOC_ROOT}^{esc(d.doc_id)}" registryObject="{obj}" id="{obj}-uid"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.uniqueId"/></rim:Name></rim:ExternalIdentifier>
</rim:ExtrinsicObject>
"""


def metadata_xml(docs, contents, uris, patient_overrides=None) -> str:
    first = docs[0]
    entries = "".join(entry_xml(i + 1, d, c, u, (patient_overrides or {}).get(i, ""))
                      for i, (d, c, u) in enumerate(zip(docs, contents, uris)))
    assoc = "".join(f'<rim:Association associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" '
                    f'sourceObject="SubmissionSet01" targetObject="Document{i + 1:02d}" id="Assoc{i + 1:02d}">'
                    f'{slot("SubmissionSetStatus", "Original")}</rim:Association>' for i in range(len(docs)))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
<rim:RegistryObjectList>
{entries}<rim:RegistryPackage id="SubmissionSet01">
 {slot("submissionTime", first.effective[:14])}
 <rim:Name><rim:LocalizedString value="Envoi de documents"/></rim:Name>
 <rim:Classification classificationScheme="{SS_AUTHOR}" classifiedObject="SubmissionSet01" nodeRepresentation="" id="SS-author">{slot("authorPerson", author_value(first.author))}</rim:Classification>
 {classification(SS_CONTENT_TYPE, "SubmissionSet01", "04", "1.2.250.1.213.1.1.4.12", "Hospitalisation")}
 <rim:ExternalIdentifier identificationScheme="{SS_UNIQUE_ID}" value="{DOC_ROOT}.1.{len(first.doc_id)}" registryObject="SubmissionSet01" id="SS-uid"/>
 <rim:ExternalIdentifier identificationScheme="{SS_PATIENT_ID}" value="{esc(patient_cx(first.patient))}" registryObject="SubmissionSet01" id="SS-pid"/>
 <rim:ExternalIdentifier identificationScheme="{SS_SOURCE_ID}" value="{DOC_ROOT}" registryObject="SubmissionSet01" id="SS-src"/>
</rim:RegistryPackage>
<rim:Classification classifiedObject="SubmissionSet01" classificationNode="{SS_NODE}" id="SS-class"/>
{assoc}
</rim:RegistryObjectList>
</lcm:SubmitObjectsRequest>
"""


class FixedTimeZip:
    """Writes members with one fixed timestamp, so that the same documents give the same octets."""

    def __init__(self, zf):
        self.zf = zf

    def writestr(self, name, data):
        self.zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 12, 6, 9, 30, 0)), data,
                         compress_type=zipfile.ZIP_DEFLATED)


def xdm_zip(docs, patient_overrides=None, metadata_override=None) -> bytes:
    """The IHE_XDM.ZIP of docs (Doc objects): README.TXT, INDEX.HTM, SUBSET01 with METADATA.XML."""
    contents = [cda(d).encode() for d in docs]
    uris = [f"DOC{i + 1:04d}.XML" for i in range(len(docs))]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        z = FixedTimeZip(zf)
        z.writestr("README.TXT", "Archive IHE XDM produite par mssd tests/tools/make_xdm.py\r\n")
        z.writestr("INDEX.HTM", "<html><body>" + "".join(f'<a href="IHE_XDM/SUBSET01/{u}">{u}</a>' for u in uris)
                   + "</body></html>")
        meta = metadata_override or metadata_xml(docs, contents, uris, patient_overrides)
        z.writestr("IHE_XDM/SUBSET01/METADATA.XML", meta)
        for u, c in zip(uris, contents):
            z.writestr(f"IHE_XDM/SUBSET01/{u}", c)
    return buf.getvalue()


def subject_of(docs) -> str:
    """The CI-SIS subject: XDM/1.0/DDM+<label> <FAMILY> <given> <DD/MM/YYYY> (label cut to 40 characters)."""
    p = docs[0].patient
    label = docs[0].display[:40] if len(docs) == 1 else f"{len(docs)} documents"
    return f"XDM/1.0/DDM+{label} {p.family} {p.given} {p.birth[6:8]}/{p.birth[4:6]}/{p.birth[:4]}"


def message(docs, sender: str, recipient: str, mdn: bool = True) -> bytes:
    """A Référentiel #2 message carrying docs in an IHE_XDM.ZIP (CRLF line ends)."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = sender, recipient, subject_of(docs)
    msg["Message-ID"] = f"<{docs[0].doc_id}@make-xdm.test>"
    msg["X-MSS-CODECDA"] = ",".join(d.code for d in docs)
    msg["X-MSS-INS"] = "O"
    msg["X-MSS-NIL"] = "mssd tests/tools/make_xdm.py"
    if mdn:
        msg["Disposition-Notification-To"] = sender
    msg.set_content("Veuillez trouver ci-joint les documents du patient.\n")
    msg.add_attachment(xdm_zip(docs), maintype="application", subtype="zip", filename="IHE_XDM.ZIP")
    for d in docs:
        if "nonXMLBody" in d.body:
            pdf = base64.b64decode(d.body.split('representation="B64">')[1].split("</text>")[0])
            msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{d.doc_id}.PDF")
    return msg.as_bytes()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kinds", nargs="+", choices=["bio", "discharge", "replacement"])
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--bare", action="store_true")
    ap.add_argument("--ins", default="2800575123456")
    ap.add_argument("--oid", default=INS_NIR)
    ap.add_argument("--family", default="DUPONT")
    ap.add_argument("--given", default="Marie")
    ap.add_argument("--birth", default="19800512")
    ap.add_argument("--gender", default="F")
    ap.add_argument("--author", default="810001234565")
    ap.add_argument("--set-id")
    ap.add_argument("--replaces", default="CRBIO-2026-0001")
    ap.add_argument("--version", type=int)
    ap.add_argument("--pad-kib", type=int, default=0)
    ap.add_argument("--pdf-kib", type=int, default=0, help="grow the discharge letter's PDF by about N KiB")
    ap.add_argument("--eml", nargs=2, metavar=("FROM", "TO"), help="write a whole message instead")
    ap.add_argument("--no-mdn", action="store_true", help="with --eml: no Disposition-Notification-To")
    ap.add_argument("--two-patients", action="store_true", help="give the second document another patient")
    a = ap.parse_args()
    ins = ins_of(a.ins) if len(a.ins) == 13 else a.ins
    docs = []
    for i, kind in enumerate(a.kinds):
        p = Patient(ins, a.oid, a.family, a.given, a.birth, a.gender)
        if a.two_patients and i == 1:
            p = Patient(ins_of("1750699123456"), INS_NIR, "DURAND", "Jean", "19750601", "M")
        au = Author(ps_idnat=a.author)
        d = {"bio": lambda: bio_doc(p, au, pad_kib=a.pad_kib), "discharge": lambda: discharge_doc(p, au, pdf_kib=a.pdf_kib),
             "replacement": lambda: replacement_doc(p, au, replaces=a.replaces)}[kind]()
        if a.set_id:
            d.set_id = a.set_id
        if a.version:
            d.version = a.version
        docs.append(d)
    if a.bare and len(docs) != 1:
        ap.error("--bare takes one KIND")
    if a.eml:
        data = message(docs, a.eml[0], a.eml[1], not a.no_mdn)
    else:
        data = cda(docs[0]).encode() if a.bare else xdm_zip(docs)
    if a.out == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(a.out, "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
