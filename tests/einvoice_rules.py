"""The official e-invoice rules, run offline on a document the portal built (bytes in, findings out).

EHF 3.0 / PEPPOL BIS Billing 3.0 (UBL 2.1) in three layers:
  1. the UBL 2.1 XML Schema (Invoice or CreditNote), with lxml;
  2. the CEN EN 16931 business rules for UBL, the official compiled XSLT, run by Saxon-HE (saxonche);
  3. the PEPPOL BIS Billing 3.0 rules (with the Norwegian NO-R-* rules), compiled from the official Schematron.
KSeF FA(3): the Ministry of Finance's XML Schema, with lxml.

The rule files are vendored under vendor/einvoice/ (versions, provenance and how to update them: its README).
Each stylesheet and schema is compiled once per process and kept: a test session pays for it once.
A finding is (flag, rule id, text, location); flag "fatal" is what makes a document invalid.
"""
from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

RULES = Path(__file__).resolve().parent.parent / "vendor" / "einvoice"
UBL_XSD = {
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": RULES / "ubl-2.1/xsd/maindoc/UBL-Invoice-2.1.xsd",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": RULES / "ubl-2.1/xsd/maindoc/UBL-CreditNote-2.1.xsd",
}
CEN_XSLT = RULES / "cen/EN16931-UBL-validation.xslt"
PEPPOL_XSLT = RULES / "peppol/PEPPOL-EN16931-UBL.xslt"
KSEF_XSD = RULES / "ksef/schemat_FA(3)_v1-0E.xsd"
KSEF_NS = "http://crd.gov.pl/wzor/2025/06/25/13775/"
KSEF_REMOTE = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/"
LAYERS = {
    "xsd": "UBL 2.1 XML Schema",
    "cen": "CEN EN 16931 UBL 1.3.16",
    "peppol": "PEPPOL BIS Billing 3.0.21 (EHF 3.0)",
    "ksef": "KSeF FA(3) 1-0E XML Schema",
}
SVRL = "{http://purl.oclc.org/dsdl/svrl}"

_compiled: dict = {}


def _parser(resolver=None):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    if resolver is not None:
        parser.resolvers.add(resolver)
    return parser


def _schema(key, path, resolver=None) -> etree.XMLSchema:
    if key not in _compiled:
        _compiled[key] = etree.XMLSchema(etree.parse(str(path), _parser(resolver)))
    return _compiled[key]


def _xsd_findings(schema: etree.XMLSchema, tree) -> list:
    if schema.validate(tree):
        return []
    return [("fatal", "XSD", f"line {e.line}: {e.message}", e.path or "") for e in schema.error_log]


def _stylesheet(path: Path):
    """A compiled Saxon stylesheet, made once per process."""
    if "saxon" not in _compiled:
        from saxonche import PySaxonProcessor

        _compiled["saxon"] = PySaxonProcessor(license=False)
    if path not in _compiled:
        _compiled[path] = _compiled["saxon"].new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))
    return _compiled["saxon"], _compiled[path]


def _location(text: str) -> str:
    text = re.sub(r"Q\{[^}]*\}", "", text or "")
    return re.sub(r"\*:([A-Za-z]+)\[namespace-uri\(\)='[^']*'\]", r"\1", text)


def _schematron_findings(xml: bytes, path: Path) -> list:
    processor, stylesheet = _stylesheet(path)
    node = processor.parse_xml(xml_text=xml.decode("utf-8"))
    report = etree.fromstring(stylesheet.transform_to_string(xdm_node=node).encode("utf-8"), _parser())
    found = []
    for element in report.iter(f"{SVRL}failed-assert", f"{SVRL}successful-report"):
        text_element = element.find(f"{SVRL}text")
        text = " ".join("".join(text_element.itertext()).split()) if text_element is not None else ""
        rule = element.get("id") or (re.match(r"\[([A-Za-z0-9-]+)\]", text) or [None, "?"])[1]
        flag = (element.get("flag") or element.get("role") or "fatal").lower()
        found.append(("fatal" if flag == "error" else flag, rule, text, _location(element.get("location"))))
    return found


def validate_ehf(xml: bytes) -> list:
    """Every finding of the three EHF layers for a UBL Invoice or CreditNote."""
    try:
        root = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as error:
        return [("fatal", "XML", f"not well-formed: {error}", "")]
    namespace = etree.QName(root).namespace
    if namespace not in UBL_XSD:
        return [("fatal", "XSD", f"{root.tag} is not a UBL 2.1 Invoice or CreditNote", "/")]
    findings = _xsd_findings(_schema(namespace, UBL_XSD[namespace]), root.getroottree())
    findings += _schematron_findings(xml, CEN_XSLT)
    findings += _schematron_findings(xml, PEPPOL_XSLT)
    return findings


class _LocalKSeF(etree.Resolver):
    """The FA(3) schema's base types from vendor/einvoice/ksef/bazowe/, never from the network."""

    def resolve(self, url, pubid, context):
        if url and url.startswith(KSEF_REMOTE):
            local = KSEF_XSD.parent / "bazowe" / url[len(KSEF_REMOTE):]
            if local.is_file():
                return self.resolve_filename(str(local), context)
        return None


def validate_ksef(xml: bytes) -> list:
    """Every finding of the KSeF FA(3) schema."""
    try:
        root = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as error:
        return [("fatal", "XML", f"not well-formed: {error}", "")]
    if etree.QName(root).namespace != KSEF_NS or etree.QName(root).localname != "Faktura":
        return [("fatal", "XSD", f"{root.tag} is not an FA(3) Faktura", "/")]
    return _xsd_findings(_schema("ksef", KSEF_XSD, _LocalKSeF()), root.getroottree())


def fatal(findings: list) -> list:
    return [finding for finding in findings if finding[0] == "fatal"]


def describe(findings: list) -> str:
    """Findings as lines a failing assertion can show."""
    return "\n".join(f"{flag:<7} {rule:<24} {text}  @{where}" for flag, rule, text, where in findings)
