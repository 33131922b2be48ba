"""A closed journey as an archival submission information package: E-ARK SIP 2.1 (the Common
Specification for Information Packages, CSIP 2.1, and its SIP profile), zipped in one root
folder named after the journey's reference.

    CAFE-2026-000123/
      METS.xml                           the package: agents, metadata, files, structure
      metadata/descriptive/ead.xml       EAD3: the case file, one component per unit's case
      metadata/preservation/premis.xml   PREMIS 3: the files with their checksums, the events
                                         of the journey's log, the agents who acted
      representations/rep1/
        METS.xml                         the representation's own files and structure
        metadata/preservation/premis.xml PREMIS 3: the representation's files
        data/documents/                  the uploaded documents, byte for byte as uploaded
        data/letters/                    the decision letters and receipt the portal printed
        data/application.json            the application: answers, steps, units, numbers
        data/event-log.csv               the journey's event log, one row per event
      schemas/                           the XML schemas the metadata follows
      documentation/README.txt           what the package holds and how the log reads

Every file's SHA-256 is checked against the one recorded when it was stored: a document whose
bytes changed since is not packaged (the package says what the portal vouches for). The XML is
written with the standard library's ElementTree (lxml comes only with the test tools).

The archive keeps everything, items marked as secret too (journeys.SecrecyMarking), and says
which they are: each standing marking is a PREMIS rights statement (the statute, the date, the
unit, the item it restricts), an EAD3 access restriction on the unit's case, and an entry of
application.json's `secrecy` (removed markings too, with when and why)."""

import csv
import datetime as dt
import hashlib
import io
import json
import os
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from django.conf import settings
from django.utils import timezone, translation
from django.utils.text import slugify

from journeys.documents import EXTENSIONS
from journeys.models import Document, Journey, JourneyEvent, Step
from journeys.services.letters import decision_letter_create, receipt_create
from journeys.templatetags.people import staff_name

SOFTWARE = "Service journey portal"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
CLOSED = (Journey.Status.COMPLETED, Journey.Status.REJECTED, Journey.Status.WITHDRAWN)

SIP_PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
CONTENT_INFORMATION_TYPE = "Service journey case file"
REPRESENTATION = "rep1"

METS = "http://www.loc.gov/METS/"
XLINK = "http://www.w3.org/1999/xlink"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PREMIS = "http://www.loc.gov/premis/v3"
EAD = "http://ead3.archivists.org/schema/"
PREFIXES = {"mets": METS, "xlink": XLINK, "csip": CSIP, "sip": SIP, "xsi": XSI}
PREFIXES |= {"premis": PREMIS, "ead": EAD}

# Where each namespace's schema is, from the folder of the file that uses it.
SCHEMA_FILES = {
    METS: "mets.xsd",
    XLINK: "xlink.xsd",
    CSIP: "DILCISExtensionMETS.xsd",
    SIP: "DILCISExtensionSIPMETS.xsd",
    PREMIS: "premis-v3-0.xsd",
    EAD: "ead3.xsd",
}
EVENT_LOG_COLUMNS = [
    "event",
    "when",
    "kind",
    "what",
    "step",
    "unit",
    "registration_number",
    "actor",
    "status_before",
    "status_after",
    "message",
    "visible_to_applicant",
]


class PackageRefused(Exception):
    """The journey cannot be packaged (still open, never submitted, disposed of, or a file has
    changed)."""


def software_version() -> str:
    """The portal's version, as pyproject.toml states it."""
    with open(settings.BASE_DIR / "pyproject.toml", "rb") as project:
        return tomllib.load(project)["project"]["version"]


def journey_archive_package(*, journey: Journey, now: dt.datetime, directory: Path) -> Path:
    """Write the closed journey's E-ARK SIP as `<directory>/<reference>.zip` and return its
    path. Letters not printed yet (their task has not run) are printed first: the package holds
    every letter the applicant was sent. Raises PackageRefused for an open journey."""
    journey = Journey.objects.get(pk=journey.pk)
    if journey.status not in CLOSED:
        raise PackageRefused(
            f"{journey} is {journey.get_status_display().lower()}: only a closed journey "
            "(completed, closed after a rejection, or withdrawn) can be archived."
        )
    if not journey.reference:
        raise PackageRefused(
            f"Journey {journey.public_id} was never submitted: nothing to archive."
        )
    if journey.disposed_at is not None:
        raise PackageRefused(
            f"{journey}'s case was disposed of under its retention rules on "
            f"{journey.disposed_at:%Y-%m-%d}: package a journey before its case is disposed of."
        )
    receipt_create(journey=journey, now=now)
    for step in journey.steps.filter(status__in=Step.DECIDED_STATUSES):
        decision_letter_create(step=step, now=now)

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{journey.reference}.zip"
    partial = directory / f".{journey.reference}.zip.partial"
    with translation.override(settings.LANGUAGE_CODE):
        try:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                _Package(journey=journey, now=now, archive=archive).write()
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    os.replace(partial, path)
    return path


@dataclass(frozen=True)
class Entry:
    """A file written into the package: where, how big, its checksum, type and date."""

    path: str
    size: int
    sha256: str
    mimetype: str
    created: dt.datetime


class _Package:
    def __init__(self, *, journey: Journey, now: dt.datetime, archive: zipfile.ZipFile):
        self.journey = journey
        self.now = now
        self.archive = archive
        self.root = journey.reference
        self.rep = f"representations/{REPRESENTATION}"
        self.steps = list(
            journey.steps.select_related("step_type", "unit", "registered_unit").order_by(
                "step_type__order", "pk"
            )
        )
        self.events = list(
            journey.events.select_related("step__step_type", "step__unit", "actor").order_by(
                "created_at", "pk"
            )
        )
        self.documents = list(journey.documents.select_related("uploaded_by").order_by("pk"))
        self.markings = list(
            journey.secrecy_markings.select_related("ground", "unit", "document").order_by(
                "marked_at", "pk"
            )
        )
        self.version = software_version()
        self.paths: dict[int, str] = {}  # document id -> where it is in the package

    # Writing files ------------------------------------------------------------------------

    def _info(self, path: str) -> zipfile.ZipInfo:
        stamp = timezone.localtime(self.now).timetuple()[:6]
        info = zipfile.ZipInfo(f"{self.root}/{path}", date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def put(self, path: str, data: bytes, *, mimetype: str, created=None) -> Entry:
        self.archive.writestr(self._info(path), data)
        digest = hashlib.sha256(data).hexdigest()
        return Entry(path, len(data), digest, mimetype, created or self.now)

    def put_document(self, path: str, document: Document) -> Entry:
        """Copy the stored file as it is, checking it against the checksum taken at upload."""
        digest, size = hashlib.sha256(), 0
        with document.file.open("rb") as source, self.archive.open(self._info(path), "w") as out:
            while chunk := source.read(1024 * 1024):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if digest.hexdigest() != document.sha256 or size != document.size:
            raise PackageRefused(
                f"Document {document.pk} ({document.name}) no longer matches the checksum "
                "recorded when it was stored: it was not packaged."
            )
        return Entry(path, size, document.sha256, document.content_type, document.uploaded_at)

    def write(self) -> None:
        data = [*self._documents(), *self._records()]
        rep_premis = self.put(
            f"{self.rep}/metadata/preservation/premis.xml",
            _xml(self._premis(data, events=False), "premis-v3-0.xsd", depth=4),
            mimetype="application/xml",
        )
        rep_mets = self.put(
            f"{self.rep}/METS.xml",
            _xml(self._rep_mets(data, rep_premis), "mets.xsd", depth=2),
            mimetype="application/xml",
        )
        schemas = [
            self.put(f"schemas/{name}", (SCHEMAS / name).read_bytes(), mimetype="application/xml")
            for name in sorted(set(SCHEMA_FILES.values()))
        ]
        documentation = [
            self.put("documentation/README.txt", self._readme().encode(), mimetype="text/plain")
        ]
        ead = self.put(
            "metadata/descriptive/ead.xml",
            _xml(self._ead(), "ead3.xsd", depth=2),
            mimetype="application/xml",
        )
        premis = self.put(
            "metadata/preservation/premis.xml",
            _xml(self._premis(data, events=True), "premis-v3-0.xsd", depth=2),
            mimetype="application/xml",
        )
        mets = self._mets(
            ead=ead, premis=premis, rep_mets=rep_mets, schemas=schemas, documentation=documentation
        )
        self.put("METS.xml", _xml(mets, "mets.xsd", depth=0), mimetype="application/xml")

    def _documents(self) -> list[tuple[Entry, Document | None]]:
        written, counts = [], {"documents": 0, "letters": 0}
        for document in self.documents:
            folder = "letters" if document.generated_as else "documents"
            counts[folder] += 1
            name = _file_name(counts[folder], document.name, document.content_type)
            entry = self.put_document(f"{self.rep}/data/{folder}/{name}", document)
            self.paths[document.pk] = entry.path
            written.append((entry, document))
        return written

    def _records(self) -> list[tuple[Entry, None]]:
        application = json.dumps(self._application(), ensure_ascii=False, indent=2) + "\n"
        return [
            (
                self.put(
                    f"{self.rep}/data/application.json",
                    application.encode(),
                    mimetype="application/json",
                ),
                None,
            ),
            (
                self.put(f"{self.rep}/data/event-log.csv", self._event_log(), mimetype="text/csv"),
                None,
            ),
        ]

    # The records ----------------------------------------------------------------------------

    def _application(self) -> dict:
        journey = self.journey
        organisation = journey.organisation
        return {
            "reference": journey.reference,
            "journey_type": {
                "slug": journey.journey_type.slug,
                "version": journey.journey_type.version,
                "name": journey.journey_type.display_name,
            },
            "status": journey.status,
            "applicant": _person_name(journey.applicant),
            "applying_as": journey.applying_as,
            "organisation": (
                {"number": organisation.number, "name": organisation.name} if organisation else None
            ),
            "language": journey.language,
            "started": _iso(journey.created_at),
            "submitted": _iso(journey.submitted_at),
            "closed": _iso(journey.closed_at),
            "answers": journey.data,
            "steps": [
                {
                    "key": step.step_type.key,
                    "name": step.step_type.display_name,
                    "unit": step.unit.display_name,
                    "registration_number": step.registration_number,
                    "status": step.status,
                    "received": _iso(step.activated_at),
                    "decided": _iso(step.decided_at),
                    "reasons": step.reasons,
                }
                for step in self.steps
            ],
            "secrecy": [
                {
                    "item": "document" if marking.document_id else "answer",
                    "document": self.paths.get(marking.document_id, "")
                    if marking.document_id
                    else None,
                    "answer": marking.field_key or None,
                    "ground": marking.ground.label,
                    "citation": marking.ground.citation,
                    "unit": marking.unit.display_name,
                    "marked": _iso(marking.marked_at),
                    "reason": marking.reason,
                    "removed": _iso(marking.removed_at) or None,
                    "removal_reason": marking.removal_reason or None,
                }
                for marking in self.markings
            ],
        }

    def _event_log(self) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(EVENT_LOG_COLUMNS)
        for event in self.events:
            step = event.step
            writer.writerow(
                [
                    _event_id(event),
                    _iso(event.created_at),
                    event.kind,
                    event.get_kind_display(),
                    step.step_type.key if step else "",
                    step.unit.display_name if step else "",
                    step.registration_number if step else "",
                    _actor_name(event.actor),
                    event.status_before,
                    event.status_after,
                    event.message,
                    "yes" if event.visible_to_applicant else "no",
                ]
            )
        return out.getvalue().encode()

    def _readme(self) -> str:
        columns = "\n".join(f"                       {name}" for name in EVENT_LOG_COLUMNS)
        return (
            f"{self.journey.journey_type.display_name}: {self.journey.reference}\n\n"
            f"An E-ARK submission information package (CSIP and SIP 2.1) written by "
            f"{SOFTWARE} {self.version} on {_iso(self.now)}.\n\n"
            "METS.xml describes the package; metadata/descriptive/ead.xml describes the case "
            "file (EAD3), one component per unit's case with its registration number; "
            "metadata/preservation/premis.xml lists every file with its SHA-256 checksum, "
            "every event of the journey's log and everyone who acted (PREMIS 3).\n\n"
            f"representations/{REPRESENTATION}/data/ holds the record itself:\n"
            "  documents/         the documents as they were uploaded, byte for byte\n"
            "  letters/           the decision letters and receipt the portal printed (PDF/UA)\n"
            "  application.json   the application's answers, steps, units and their numbers\n"
            "  event-log.csv      the journey's event log (UTF-8, comma-separated), columns:\n"
            f"{columns}\n\n"
            "Times are in UTC (ISO 8601). The schemas the metadata follows are in schemas/.\n\n"
            "Items marked as subject to secrecy (Public Access to Information and Secrecy Act, "
            "OSL) are in the package like the rest: each standing marking is a rights statement "
            "in metadata/preservation/premis.xml and an access restriction (accessrestrict) on "
            "the unit's case in metadata/descriptive/ead.xml; application.json lists every "
            "marking under `secrecy`, removed ones too.\n"
        )

    # METS -----------------------------------------------------------------------------------

    def _mets_root(self, *, objid: str, label: str) -> ET.Element:
        mets = ET.Element(
            _q(METS, "mets"),
            {
                "OBJID": objid,
                "LABEL": label,
                "TYPE": "Mixed",
                _q(CSIP, "CONTENTINFORMATIONTYPE"): "OTHER",
                _q(CSIP, "OTHERCONTENTINFORMATIONTYPE"): CONTENT_INFORMATION_TYPE,
                "PROFILE": SIP_PROFILE,
            },
        )
        header = ET.SubElement(
            mets,
            _q(METS, "metsHdr"),
            {
                "CREATEDATE": _iso(self.now),
                "LASTMODDATE": _iso(self.now),
                "RECORDSTATUS": "NEW",
                _q(CSIP, "OAISPACKAGETYPE"): "SIP",
            },
        )
        agent = ET.SubElement(
            header,
            _q(METS, "agent"),
            {"ROLE": "CREATOR", "TYPE": "OTHER", "OTHERTYPE": "SOFTWARE"},
        )
        ET.SubElement(agent, _q(METS, "name")).text = SOFTWARE
        note = ET.SubElement(agent, _q(METS, "note"), {_q(CSIP, "NOTETYPE"): "SOFTWARE VERSION"})
        note.text = self.version
        return mets

    def _mets(self, *, ead, premis, rep_mets, schemas, documentation) -> ET.Element:
        journey = self.journey
        mets = self._mets_root(
            objid=self.root, label=f"{journey.journey_type.display_name}: {journey.reference}"
        )
        dmd = ET.SubElement(
            mets,
            _q(METS, "dmdSec"),
            {"ID": "dmd-ead", "CREATED": _iso(self.now), "STATUS": "CURRENT"},
        )
        _md_ref(dmd, ead, mdtype="EAD", version="EAD3")
        amd = ET.SubElement(mets, _q(METS, "amdSec"), {"ID": "amd"})
        digiprov = ET.SubElement(
            amd, _q(METS, "digiprovMD"), {"ID": "digiprov-premis", "STATUS": "CURRENT"}
        )
        _md_ref(digiprov, premis, mdtype="PREMIS", version="3.0")

        file_sec = ET.SubElement(mets, _q(METS, "fileSec"), {"ID": "filesec"})
        groups = [
            ("fg-documentation", "Documentation", documentation),
            ("fg-schemas", "Schemas", schemas),
            (f"fg-{REPRESENTATION}", f"Representations/{REPRESENTATION}", [rep_mets]),
        ]
        for group_id, use, entries in groups:
            group = _file_group(file_sec, group_id, use)
            for index, entry in enumerate(entries, start=1):
                _file(group, f"{group_id}-{index}", entry)

        struct = ET.SubElement(
            mets,
            _q(METS, "structMap"),
            {"ID": "structmap-csip", "TYPE": "PHYSICAL", "LABEL": "CSIP"},
        )
        package = ET.SubElement(struct, _q(METS, "div"), {"ID": "div-package", "LABEL": self.root})
        ET.SubElement(
            package,
            _q(METS, "div"),
            {
                "ID": "div-metadata",
                "LABEL": "Metadata",
                "ADMID": "digiprov-premis",
                "DMDID": "dmd-ead",
            },
        )
        for group_id, label in (("fg-documentation", "Documentation"), ("fg-schemas", "Schemas")):
            div = ET.SubElement(
                package, _q(METS, "div"), {"ID": f"div-{label.lower()}", "LABEL": label}
            )
            ET.SubElement(div, _q(METS, "fptr"), {"FILEID": group_id})
        representations = ET.SubElement(
            package, _q(METS, "div"), {"ID": "div-representations", "LABEL": "Representations"}
        )
        ET.SubElement(representations, _q(METS, "fptr"), {"FILEID": f"fg-{REPRESENTATION}"})
        rep = ET.SubElement(
            representations,
            _q(METS, "div"),
            {"ID": f"div-{REPRESENTATION}", "LABEL": f"Representations/{REPRESENTATION}"},
        )
        ET.SubElement(
            rep,
            _q(METS, "mptr"),
            {
                "LOCTYPE": "URL",
                _q(XLINK, "type"): "simple",
                _q(XLINK, "href"): rep_mets.path,
                _q(XLINK, "title"): f"fg-{REPRESENTATION}",
            },
        )
        return mets

    def _rep_mets(self, data, rep_premis: Entry) -> ET.Element:
        mets = self._mets_root(
            objid=REPRESENTATION, label=f"{self.journey.reference}: {REPRESENTATION}"
        )
        amd = ET.SubElement(mets, _q(METS, "amdSec"), {"ID": "amd"})
        digiprov = ET.SubElement(
            amd, _q(METS, "digiprovMD"), {"ID": "digiprov-premis", "STATUS": "CURRENT"}
        )
        _md_ref(digiprov, _relative(rep_premis, self.rep), mdtype="PREMIS", version="3.0")
        file_sec = ET.SubElement(mets, _q(METS, "fileSec"), {"ID": "filesec"})
        group = _file_group(file_sec, "fg-data", "Data")
        for index, (entry, _document) in enumerate(data, start=1):
            _file(group, f"file-{index}", _relative(entry, self.rep))
        struct = ET.SubElement(
            mets,
            _q(METS, "structMap"),
            {"ID": "structmap-csip", "TYPE": "PHYSICAL", "LABEL": "CSIP"},
        )
        root = ET.SubElement(struct, _q(METS, "div"), {"ID": "div-rep", "LABEL": REPRESENTATION})
        ET.SubElement(
            root,
            _q(METS, "div"),
            {"ID": "div-metadata", "LABEL": "Metadata", "ADMID": "digiprov-premis"},
        )
        data_div = ET.SubElement(root, _q(METS, "div"), {"ID": "div-data", "LABEL": "Data"})
        ET.SubElement(data_div, _q(METS, "fptr"), {"FILEID": "fg-data"})
        return mets

    # PREMIS ---------------------------------------------------------------------------------

    def _premis(self, data, *, events: bool) -> ET.Element:
        """The files with their fixity; with `events`, also the representation, the journey's
        events (and the packaging), and the agents who acted."""
        premis = ET.Element(_q(PREMIS, "premis"), {"version": "3.0"})
        if events:  # the events link to it (the case file as a whole)
            _premis_object(premis, "representation", REPRESENTATION)
        for entry, document in data:
            self._premis_file(premis, entry, document)
        if not events:
            return premis
        for event in self.events:
            self._premis_event(premis, event)
        self._premis_packaging(premis, data)
        for identifier, name, kind, version in self._agents():
            agent = ET.SubElement(premis, _q(PREMIS, "agent"))
            _identifier(agent, "agentIdentifier", *identifier)
            _text(agent, "agentName", name)
            _text(agent, "agentType", kind)
            if version:
                _text(agent, "agentVersion", version)
        for marking in self.markings:
            if marking.is_active:
                self._premis_secrecy(premis, marking)
        return premis

    def _secret_item(self, marking) -> str:
        """The restricted item as the package names it: a document's path, or the answer in
        application.json (a JSON Pointer)."""
        if marking.document_id is not None:
            return self.paths[marking.document_id]
        return f"{self.rep}/data/application.json#/answers/{marking.field_key}"

    def _premis_secrecy(self, premis, marking) -> None:
        """A standing secrecy marking as a PREMIS rights statement: no dissemination, by
        statute, of the one item."""
        statement = ET.SubElement(
            ET.SubElement(premis, _q(PREMIS, "rights")), _q(PREMIS, "rightsStatement")
        )
        _identifier(
            statement, "rightsStatementIdentifier", "local", f"secrecy-marking-{marking.pk}"
        )
        _text(statement, "rightsBasis", "Statute")
        statute = ET.SubElement(statement, _q(PREMIS, "statuteInformation"))
        _text(statute, "statuteJurisdiction", "SE")
        _text(statute, "statuteCitation", marking.ground.citation)
        _text(
            statute,
            "statuteInformationDeterminationDate",
            timezone.localtime(marking.marked_at).date().isoformat(),
        )
        _text(statute, "statuteNote", f"{marking.ground.label}: {marking.reason}")
        granted = ET.SubElement(statement, _q(PREMIS, "rightsGranted"))
        _text(granted, "act", "disseminate")
        _text(granted, "restriction", "Disallow")
        _text(
            granted,
            "rightsGrantedNote",
            f"Subject to secrecy ({marking.ground.label}), marked by {marking.unit.display_name}.",
        )
        _linking(statement, "linkingObjectIdentifier", "local", self._secret_item(marking))
        _linking(statement, "linkingAgentIdentifier", *_unit_agent(marking.unit), "marked by")

    def _premis_file(self, premis, entry: Entry, document: Document | None) -> None:
        obj = _premis_object(premis, "file", entry.path)
        if document is not None and document.registration_number:
            _identifier(
                obj, "objectIdentifier", "registration number", document.registration_number
            )
        characteristics = ET.SubElement(obj, _q(PREMIS, "objectCharacteristics"))
        _text(characteristics, "compositionLevel", "0")
        fixity = ET.SubElement(characteristics, _q(PREMIS, "fixity"))
        _text(fixity, "messageDigestAlgorithm", "SHA-256")
        _text(fixity, "messageDigest", entry.sha256)
        _text(fixity, "messageDigestOriginator", SOFTWARE)
        _text(characteristics, "size", str(entry.size))
        designation = ET.SubElement(
            ET.SubElement(characteristics, _q(PREMIS, "format")), _q(PREMIS, "formatDesignation")
        )
        _text(designation, "formatName", entry.mimetype)
        if document is not None:
            _text(obj, "originalName", document.name)
        relationship = ET.SubElement(obj, _q(PREMIS, "relationship"))
        _text(relationship, "relationshipType", "structural")
        _text(relationship, "relationshipSubType", "is included in")
        _identifier(relationship, "relatedObjectIdentifier", "local", REPRESENTATION)

    def _premis_event(self, premis, event: JourneyEvent) -> None:
        element = ET.SubElement(premis, _q(PREMIS, "event"))
        _identifier(element, "eventIdentifier", "local", _event_id(event))
        _text(element, "eventType", event.kind)
        _text(element, "eventDateTime", _iso(event.created_at))
        detail = str(event.get_kind_display())
        if event.message:
            detail = f"{detail}: {event.message}"
        _text(ET.SubElement(element, _q(PREMIS, "eventDetailInformation")), "eventDetail", detail)
        if event.status_after:
            outcome = ET.SubElement(element, _q(PREMIS, "eventOutcomeInformation"))
            _text(outcome, "eventOutcome", event.status_after)
            if event.status_before:
                _text(
                    ET.SubElement(outcome, _q(PREMIS, "eventOutcomeDetail")),
                    "eventOutcomeDetailNote",
                    f"{event.status_before} -> {event.status_after}",
                )
        if event.actor is not None:
            _linking(element, "linkingAgentIdentifier", *_user_agent(event.actor), "implementer")
        if event.step is not None:
            _linking(element, "linkingAgentIdentifier", *_unit_agent(event.step.unit), "authorizer")
        _linking(element, "linkingObjectIdentifier", "local", REPRESENTATION)

    def _premis_packaging(self, premis, data) -> None:
        """The packaging itself, as PREMIS events: every file's checksum checked, the package
        created, by the portal."""
        for event_type, detail, event_id in (
            (
                "fixity check",
                "Each stored document's SHA-256 compared with the one recorded when it was stored.",
                "packaging-fixity-check",
            ),
            (
                "information package creation",
                "E-ARK SIP 2.1 written from the closed journey.",
                "packaging-creation",
            ),
        ):
            element = ET.SubElement(premis, _q(PREMIS, "event"))
            _identifier(element, "eventIdentifier", "local", event_id)
            _text(element, "eventType", event_type)
            _text(element, "eventDateTime", _iso(self.now))
            _text(
                ET.SubElement(element, _q(PREMIS, "eventDetailInformation")), "eventDetail", detail
            )
            _text(
                ET.SubElement(element, _q(PREMIS, "eventOutcomeInformation")),
                "eventOutcome",
                "success",
            )
            _linking(element, "linkingAgentIdentifier", "local", "software", "executing program")
            for entry, document in data:
                if document is not None or event_id == "packaging-creation":
                    _linking(element, "linkingObjectIdentifier", "local", entry.path)

    def _agents(self) -> list[tuple[tuple[str, str], str, str, str]]:
        """(identifier, name, PREMIS agent type, version) of the portal, every unit with a step
        in the journey, everyone who acted, and the organisation applied for."""
        agents = {("local", "software"): (SOFTWARE, "software", self.version)}
        for step in self.steps:
            agents[_unit_agent(step.unit)] = (step.unit.display_name, "organization", "")
        for event in self.events:
            if event.actor is not None:
                agents[_user_agent(event.actor)] = (_actor_name(event.actor), "person", "")
        if (organisation := self.journey.organisation) is not None:
            agents[("organisation number", organisation.number)] = (
                organisation.name,
                "organization",
                "",
            )
        return [(identifier, *rest) for identifier, rest in agents.items()]

    # EAD ------------------------------------------------------------------------------------

    def _ead(self) -> ET.Element:
        journey = self.journey
        title = f"{journey.journey_type.display_name}: {journey.reference}"
        ead = ET.Element(_q(EAD, "ead"))
        control = ET.SubElement(ead, _q(EAD, "control"))
        _ead_text(control, "recordid", journey.reference)
        _ead_text(
            ET.SubElement(ET.SubElement(control, _q(EAD, "filedesc")), _q(EAD, "titlestmt")),
            "titleproper",
            title,
        )
        ET.SubElement(control, _q(EAD, "maintenancestatus"), {"value": "new"})
        _ead_text(ET.SubElement(control, _q(EAD, "maintenanceagency")), "agencyname", SOFTWARE)
        event = ET.SubElement(
            ET.SubElement(control, _q(EAD, "maintenancehistory")), _q(EAD, "maintenanceevent")
        )
        ET.SubElement(event, _q(EAD, "eventtype"), {"value": "created"})
        _ead_text(event, "eventdatetime", _iso(self.now), standarddatetime=_iso(self.now))
        ET.SubElement(event, _q(EAD, "agenttype"), {"value": "machine"})
        _ead_text(event, "agent", f"{SOFTWARE} {self.version}")

        archdesc = ET.SubElement(ead, _q(EAD, "archdesc"), {"level": "file"})
        did = ET.SubElement(archdesc, _q(EAD, "did"))
        _ead_text(did, "unitid", journey.reference)
        _ead_text(did, "unittitle", title)
        _ead_dates(did, journey.submitted_at or journey.created_at, journey.closed_at)
        scope = ET.SubElement(archdesc, _q(EAD, "scopecontent"))
        _ead_text(scope, "p", f"{journey.get_status_display()}.")
        access = ET.SubElement(archdesc, _q(EAD, "controlaccess"))
        if journey.organisation is not None:
            name = ET.SubElement(
                access,
                _q(EAD, "corpname"),
                {"relator": "applicant", "identifier": journey.organisation.number},
            )
            _ead_text(name, "part", journey.organisation.name)
        else:
            name = ET.SubElement(access, _q(EAD, "persname"), {"relator": "applicant"})
            _ead_text(name, "part", _person_name(journey.applicant))

        dsc = ET.SubElement(archdesc, _q(EAD, "dsc"))
        for step in self.steps:
            component = ET.SubElement(dsc, _q(EAD, "c"), {"level": "file"})
            did = ET.SubElement(component, _q(EAD, "did"))
            if step.registration_number:
                _ead_text(did, "unitid", step.registration_number, label="registration number")
            _ead_text(did, "unitid", step.step_type.key, label="step")
            _ead_text(did, "unittitle", step.step_type.display_name)
            origination = ET.SubElement(did, _q(EAD, "origination"))
            unit = ET.SubElement(origination, _q(EAD, "corpname"), {"identifier": step.unit.slug})
            _ead_text(unit, "part", step.unit.display_name)
            if step.activated_at:
                _ead_dates(did, step.activated_at, step.decided_at)
            scope = ET.SubElement(component, _q(EAD, "scopecontent"))
            _ead_text(scope, "p", f"{step.get_status_display()}.")
            for marking in self.markings:
                if marking.is_active and marking.step_id == step.pk:
                    restriction = ET.SubElement(component, _q(EAD, "accessrestrict"))
                    _ead_text(
                        restriction,
                        "p",
                        f"{self._secret_item(marking)}: subject to secrecy under "
                        f"{marking.ground.citation} ({marking.ground.label}), marked by "
                        f"{marking.unit.display_name} on "
                        f"{timezone.localtime(marking.marked_at).date().isoformat()}.",
                    )
        return ead


# Helpers ----------------------------------------------------------------------------------


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _iso(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _xml(root: ET.Element, schema: str, *, depth: int) -> bytes:
    """Serialise with the schema's location (relative: `depth` folders below the package's
    root) and the namespace prefixes the package uses."""
    used = {PREMIS} if root.tag.startswith(f"{{{PREMIS}}}") else {EAD}
    if root.tag.startswith(f"{{{METS}}}"):
        used = {METS, XLINK, CSIP, SIP}
    up = "../" * depth
    root.set(
        _q(XSI, "schemaLocation"),
        " ".join(
            f"{namespace} {up}schemas/{SCHEMA_FILES[namespace]}" for namespace in sorted(used)
        ),
    )
    for prefix, namespace in PREFIXES.items():
        ET.register_namespace(prefix, namespace)
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def _relative(entry: Entry, folder: str) -> Entry:
    """The entry as the representation's METS points to it (from its own folder)."""
    return Entry(
        entry.path.removeprefix(f"{folder}/"),
        entry.size,
        entry.sha256,
        entry.mimetype,
        entry.created,
    )


def _md_ref(parent: ET.Element, entry: Entry, *, mdtype: str, version: str) -> None:
    ET.SubElement(
        parent,
        _q(METS, "mdRef"),
        {
            "LOCTYPE": "URL",
            _q(XLINK, "type"): "simple",
            _q(XLINK, "href"): entry.path,
            "MDTYPE": mdtype,
            "MDTYPEVERSION": version,
            "MIMETYPE": entry.mimetype,
            "SIZE": str(entry.size),
            "CREATED": _iso(entry.created),
            "CHECKSUM": entry.sha256,
            "CHECKSUMTYPE": "SHA-256",
        },
    )


def _file_group(parent: ET.Element, group_id: str, use: str) -> ET.Element:
    return ET.SubElement(
        parent,
        _q(METS, "fileGrp"),
        {
            "ID": group_id,
            "USE": use,
            _q(CSIP, "CONTENTINFORMATIONTYPE"): "OTHER",
            _q(CSIP, "OTHERCONTENTINFORMATIONTYPE"): CONTENT_INFORMATION_TYPE,
        },
    )


def _file(group: ET.Element, file_id: str, entry: Entry) -> None:
    element = ET.SubElement(
        group,
        _q(METS, "file"),
        {
            "ID": file_id,
            "MIMETYPE": entry.mimetype,
            "SIZE": str(entry.size),
            "CREATED": _iso(entry.created),
            "CHECKSUM": entry.sha256,
            "CHECKSUMTYPE": "SHA-256",
        },
    )
    ET.SubElement(
        element,
        _q(METS, "FLocat"),
        {"LOCTYPE": "URL", _q(XLINK, "type"): "simple", _q(XLINK, "href"): entry.path},
    )


def _text(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, _q(PREMIS, name))
    element.text = text
    return element


def _identifier(parent: ET.Element, name: str, kind: str, value: str) -> None:
    """A PREMIS identifier: <nameType> and <nameValue> inside <name>."""
    element = ET.SubElement(parent, _q(PREMIS, name))
    _text(element, f"{name}Type", kind)
    _text(element, f"{name}Value", value)


def _linking(parent: ET.Element, name: str, kind: str, value: str, role: str = "") -> None:
    element = ET.SubElement(parent, _q(PREMIS, name))
    _text(element, f"{name}Type", kind)
    _text(element, f"{name}Value", value)
    if role:
        _text(element, name.removesuffix("Identifier") + "Role", role)


def _premis_object(premis: ET.Element, kind: str, identifier: str) -> ET.Element:
    obj = ET.SubElement(premis, _q(PREMIS, "object"), {_q(XSI, "type"): f"premis:{kind}"})
    _identifier(obj, "objectIdentifier", "local", identifier)
    return obj


def _ead_text(parent: ET.Element, name: str, text: str, **attributes) -> ET.Element:
    element = ET.SubElement(parent, _q(EAD, name), attributes)
    element.text = text
    return element


def _ead_dates(did: ET.Element, start: dt.datetime, end: dt.datetime | None) -> None:
    structured = ET.SubElement(did, _q(EAD, "unitdatestructured"))
    dates = ET.SubElement(structured, _q(EAD, "daterange"))
    for name, moment in (("fromdate", start), ("todate", end)):
        if moment is not None:
            day = timezone.localtime(moment).date().isoformat()
            _ead_text(dates, name, day, standarddate=day)


def _file_name(number: int, name: str, content_type: str) -> str:
    """A portable file name (the original is kept in the PREMIS metadata), numbered so that
    two documents of the same name stay apart."""
    original = Path(name)
    stem = slugify(original.stem)[:80] or "document"
    extensions = EXTENSIONS.get(content_type, ())
    suffix = original.suffix.lower() if original.suffix.lower() in extensions else ""
    return f"{number:03d}-{stem}{suffix or (extensions[0] if extensions else '')}"


def _event_id(event: JourneyEvent) -> str:
    return f"event-{event.pk}"


def _person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _actor_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or staff_name(user)


def _user_agent(user) -> tuple[str, str]:
    return ("local", f"user-{user.pk}")


def _unit_agent(unit) -> tuple[str, str]:
    return ("local", f"unit-{unit.slug}")
