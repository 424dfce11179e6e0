"""The invoice list as a file: CSV (RFC 4180, UTF-8) and Excel (XlsxWriter), both streamed.

Both hold every invoice the list's filters match, all pages, in the list's order, read a chunk at a time
(models/invoice_list.py: iter_invoices), so memory stays flat whether it is ten invoices or a hundred thousand.
The columns are fixed for machines (the back office reads them): codes, ISO dates, amounts with a point and no
grouping, the status in English. A text cell never starts a formula: one starting with = + - @, a tab or a
carriage return gets an apostrophe in front (spreadsheets show the text as typed).
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from datetime import date

from flask_babel import gettext as _

from i18n import labels
from i18n.formatting import day

COLUMNS = ("number", "invoice_date", "due_date", "order_account", "invoice_account", "currency", "total", "balance",
           "status")
STATUS_TEXT = {"unpaid": "Unpaid", "partial": "Partially paid", "paid": "Paid"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500
EXCEL_EPOCH = date(1899, 12, 30).toordinal()  # Excel's day 0 (it counts 1900 as a leap year)


def safe_text(text: str) -> str:
    """Text as a cell that no spreadsheet takes for a formula."""
    text = text or ""
    return "'" + text if text.startswith(FORMULA_START) else text


def _iso(day) -> str:
    return day if isinstance(day, str) else day.isoformat()


def _amount(cents: int) -> str:
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def csv_chunks(rows, account_codes: dict):
    """The CSV file as UTF-8 chunks: the header line, then the rows (raw, models/invoice_list.py: iter_invoices),
    ROWS_PER_CHUNK at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writerow = writer.writerow
    writerow(COLUMNS)
    codes = {key: safe_text(code) for key, code in account_codes.items()}
    count = 0
    for row in rows:
        writerow((safe_text(row[1]), _iso(row[3]), _iso(row[4]), safe_text(row[11]), codes.get(row[2], ""), row[5],
                  _amount(row[6]), _amount(row[7]), STATUS_TEXT.get(row[8], row[8])))
        count += 1
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def filter_lines(params, order_account_name: str | None = None) -> list[tuple[str, str]]:
    """(label, value) of each filter in force, in the reader's language, for the top of the Excel sheet."""
    found = []
    if params.status != "all":
        found.append((_("Status"), {"overdue": _("Overdue")}.get(params.status) or labels.invoice_status(params.status)))
    if params.whose != "all":
        found.append((_("Account"), _("Own") if params.whose == "own" else _("Organization")))
    if params.order_account:
        found.append((_("Order account"), " ".join(filter(None, (params.order_account, order_account_name)))))
    if params.aging:
        found.append((_("Age"), labels.aging_bucket(params.aging)))
    for name, label in (("invoice_from", _("Invoice date from")), ("invoice_to", _("Invoice date to")),
                        ("due_from", _("Due date from")), ("due_to", _("Due date to"))):
        if getattr(params, name):
            found.append((label, day(getattr(params, name))))
    if params.q:
        found.append((_("Search"), params.q))
    return found


def xlsx_file(rows, account_codes: dict, title: str, filters: list, on: date) -> str:
    """Write the Excel file to a temporary path (XlsxWriter's constant-memory mode: each row goes to disk as
    it is written) and return the path; the caller streams it and removes it."""
    import xlsxwriter

    handle, path = tempfile.mkstemp(prefix="settle-export-", suffix=".xlsx")
    os.close(handle)
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_urls": False, "strings_to_numbers": False})
    try:
        sheet = workbook.add_worksheet(_("Invoices")[:31])
        bold = workbook.add_format({"bold": True})
        heading = workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#F4F6F9"})
        day_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        money_format = workbook.add_format({"num_format": "#,##0.00"})
        sheet.set_column(0, 0, 16)
        sheet.set_column(1, 2, 12)
        sheet.set_column(3, 4, 16)
        sheet.set_column(5, 5, 9)
        sheet.set_column(6, 7, 14)
        sheet.set_column(8, 8, 15)
        sheet.write_string(0, 0, safe_text(title), bold)
        sheet.write_string(1, 0, _("Exported"))
        sheet.write_datetime(1, 1, on, day_format)
        line = 2
        for label, value in filters or [(_("Filters"), _("none: every invoice"))]:
            sheet.write_string(line, 0, safe_text(label))
            sheet.write_string(line, 1, safe_text(str(value)))
            line += 1
        header = line + 1
        for column, name in enumerate(COLUMNS):
            sheet.write_string(header, column, name, heading)
        sheet.freeze_panes(header + 1, 0)
        write_string, write_number = sheet.write_string, sheet.write_number
        codes = {key: safe_text(code) for key, code in account_codes.items()}
        serials: dict = {}  # a date is a number in a date format (what write_datetime writes), worked out once

        def serial(day):
            found = serials.get(day)
            if found is None:
                value = date.fromisoformat(day) if isinstance(day, str) else day
                found = serials[day] = value.toordinal() - EXCEL_EPOCH
            return found

        at = header
        for row in rows:
            at += 1
            write_string(at, 0, safe_text(row[1]))
            write_number(at, 1, serial(row[3]), day_format)
            write_number(at, 2, serial(row[4]), day_format)
            write_string(at, 3, safe_text(row[11]))
            write_string(at, 4, codes.get(row[2], ""))
            write_string(at, 5, row[5])
            write_number(at, 6, row[6] / 100, money_format)
            write_number(at, 7, row[7] / 100, money_format)
            write_string(at, 8, STATUS_TEXT.get(row[8], row[8]))
        if at > header:
            sheet.autofilter(header, 0, at, len(COLUMNS) - 1)
        workbook.close()
    except BaseException:
        os.unlink(path)
        raise
    return path


def file_chunks(path: str, size: int = 64 * 1024):
    """A file's bytes in chunks, removing the file once read (or abandoned)."""
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(size):
                yield chunk
    finally:
        os.unlink(path)
