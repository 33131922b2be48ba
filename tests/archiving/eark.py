"""The E-ARK project's validator (eark-validator, from PyPI), run in this process, offline.

eark-validator 1.1.3 reads four of the CSIP's controlled vocabularies from
https://earkcsip.dilcis.eu/schema/ when it is imported, although the same files ship inside
it (eark_validator/ipxml/resources/vocabs/); CI reaches package registries only. While it is
imported, urllib is given a handler that answers those four addresses from the shipped copies
and refuses every other address, so nothing is downloaded and nothing else changes: the rules,
schemas and checks are the validator's own."""

import email.message
import importlib
import urllib.error
import urllib.request
import urllib.response
from importlib.resources import files
from pathlib import Path

VOCABULARIES = "https://earkcsip.dilcis.eu/schema/"


class _ShippedVocabularies(urllib.request.BaseHandler):
    handler_order = 100  # before urllib's own HTTPS handler

    def https_open(self, request):
        url = request.full_url
        if not url.startswith(VOCABULARIES):
            raise urllib.error.URLError(f"no network in the tests: {url}")
        vocabulary = files("eark_validator.ipxml.resources.vocabs") / url.removeprefix(VOCABULARIES)
        headers = email.message.Message()
        headers["Content-Type"] = "application/xml"
        response = urllib.response.addinfourl(vocabulary.open("rb"), headers, url, 200)
        response.msg = "OK"
        return response

    http_open = https_open


def _validator_module():
    """eark_validator.packages, imported with the vocabularies answered from its own files."""
    urllib.request.install_opener(urllib.request.build_opener(_ShippedVocabularies()))
    try:
        return importlib.import_module("eark_validator.packages")
    finally:
        urllib.request.install_opener(None)


def eark_validate(package: Path):
    """The validator's report on the package (a folder or a zip), for the specification
    version it implements by default (CSIP and SIP 2.1.0)."""
    packages = _validator_module()
    return packages.PackageValidator(package).validation_report


def errors(report) -> list:
    """Every message of severity Error in the report: structure, schema and Schematron rules."""
    messages = list(report.structure.messages)
    if report.metadata is not None:
        messages += report.metadata.schema_results.messages
        messages += report.metadata.schematron_results.messages
    return [message for message in messages if message.severity.name == "ERROR"]


def schema_directory() -> Path:
    """The XML schemas shipped inside eark-validator (METS with the CSIP and SIP extensions)."""
    import eark_validator

    return Path(eark_validator.__file__).parent / "ipxml" / "resources" / "schema"
