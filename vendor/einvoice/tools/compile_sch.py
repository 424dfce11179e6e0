#!/usr/bin/env python3
"""Compile an ISO Schematron (.sch, queryBinding xslt2) to a validation XSLT with SchXslt 1.10.1.

Only needed when a rule set is updated: tests/einvoice_rules.py runs the compiled .xslt files.

    .venv/bin/python vendor/einvoice/tools/compile_sch.py vendor/einvoice/peppol/PEPPOL-EN16931-UBL.sch vendor/einvoice/peppol/PEPPOL-EN16931-UBL.xslt
"""
import sys
from pathlib import Path

from saxonche import PySaxonProcessor

PIPELINE = Path(__file__).resolve().parent / "schxslt-1.10.1" / "2.0" / "pipeline-for-svrl.xsl"


def compile_sch(sch: Path, out: Path) -> None:
    with PySaxonProcessor(license=False) as proc:
        xslt = proc.new_xslt30_processor()
        exe = xslt.compile_stylesheet(stylesheet_file=str(PIPELINE))
        result = exe.transform_to_string(source_file=str(sch.resolve()))
    if not result or "http://www.w3.org/1999/XSL/Transform" not in result:
        raise SystemExit(f"SchXslt produced no stylesheet for {sch}")
    out.write_text(result, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    compile_sch(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"wrote {sys.argv[2]}")
