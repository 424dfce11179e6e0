"""`import-data`: valid files, re-imports, and bad files refused with nothing written."""
import copy
import json
from decimal import Decimal

import pytest

from tests.world import world_payload


def counts():
    from models.customer import Customer, User
    from models.invoice import Invoice, InvoiceLine, Payment
    from models.product import Product

    return {m.__name__: m.select().count() for m in (Customer, User, Invoice, InvoiceLine, Payment, Product)}


def test_valid_file_is_imported(db_conn):
    from models.customer import Customer
    from models.importer import import_data
    from models.invoice import Invoice

    summary = import_data(world_payload())
    assert (summary.customers, summary.users, summary.invoices) == (4, 5, 9)
    ret1 = Customer.get(Customer.account == "RET-1")
    assert ret1.invoice_account.account == "DIST-1"  # defined later in the file
    d4 = Invoice.get(Invoice.number == "D-004")
    assert d4.total == Decimal("1250.00") and d4.balance == Decimal("1000.00") and d4.status == "partial"
    assert d4.discount_percent == Decimal("2") and d4.discount_until is not None
    assert Invoice.get(Invoice.number == "D-003").status == "paid"


def test_reimport_updates_and_never_duplicates(db_conn):
    from models.importer import import_data
    from models.invoice import Invoice

    payload = world_payload()
    import_data(payload)
    before = counts()
    payload["invoices"][0]["lines"][0]["quantity"] = "20"
    payload["invoices"][0]["paid"] = "100.00"
    import_data(payload)
    assert counts()["Invoice"] == before["Invoice"] and counts()["Customer"] == before["Customer"]
    assert counts()["InvoiceLine"] == before["InvoiceLine"]
    d1 = Invoice.get(Invoice.number == "D-001")
    assert d1.total == Decimal("2500.00") and d1.balance == Decimal("2400.00")


def test_due_date_defaults_from_the_invoice_accounts_terms(db_conn):
    from models.importer import import_data
    from models.invoice import Invoice

    payload = world_payload()
    del payload["invoices"][0]["due_date"]
    import_data(payload)
    d1 = Invoice.get(Invoice.number == "D-001")
    assert (d1.due_date - d1.invoice_date).days == 30


def break_unknown_invoice_account(p):
    p["invoices"][1]["invoice_account"] = "NOPE"
    return "invoice D-002", "invoice_account"


def break_malformed_amount(p):
    p["invoices"][2]["lines"][0]["unit_price"] = "12,5O"
    return "invoice D-003 line 1", "unit_price"


def break_float_amount(p):
    p["invoices"][2]["lines"][0]["unit_price"] = 12.5
    return "invoice D-003 line 1", "unit_price"


def break_missing_field(p):
    del p["invoices"][3]["invoice_date"]
    return "invoice D-004", "invoice_date"


def break_self_invoice_account(p):
    p["customers"][3]["invoice_account"] = "IND-1"
    return "customer IND-1", "invoice_account"


def break_chain(p):
    p["customers"][2]["invoice_account"] = "IND-1"   # DIST-1 billed to IND-1 while RET-1 is billed to DIST-1
    return "customer RET-1", "invoice_account"


def break_bad_date(p):
    p["invoices"][0]["invoice_date"] = "2026-02-30"
    return "invoice D-001", "invoice_date"


def break_overpaid(p):
    p["invoices"][0]["paid"] = "9999.00"
    return "invoice D-001", "paid"


def break_three_decimals(p):
    p["invoices"][0]["paid"] = "1.005"
    return "invoice D-001", "paid"


def break_nan(p):
    p["customers"][0]["credit_limit"] = "NaN"
    return "customer RET-1", "credit_limit"


def break_currency(p):
    p["invoices"][0]["currency"] = "XXX"
    return "invoice D-001", "currency"


def break_user_customer(p):
    p["users"][0]["customer"] = "GHOST"
    return "user kari@ret1.example", "customer"


@pytest.mark.parametrize("breaker", [
    break_unknown_invoice_account, break_malformed_amount, break_float_amount, break_missing_field,
    break_self_invoice_account, break_chain, break_bad_date, break_overpaid, break_three_decimals, break_nan,
    break_currency, break_user_customer,
])
def test_bad_file_is_refused_naming_record_and_field_and_writes_nothing(db_conn, breaker):
    from models.importer import ImportProblem, import_data

    payload = copy.deepcopy(world_payload())
    record, field = breaker(payload)
    before = counts()
    with pytest.raises(ImportProblem) as problem:
        import_data(payload)
    assert problem.value.record == record and problem.value.field == field, str(problem.value)
    assert counts() == before


def test_bad_reimport_leaves_the_previous_import_intact(db_conn):
    from models.importer import ImportProblem, import_data
    from models.invoice import Invoice

    import_data(world_payload())
    before = counts()
    payload = world_payload()
    payload["invoices"][0]["lines"][0]["quantity"] = "99"
    payload["invoices"][-1]["invoice_account"] = "NOPE"
    with pytest.raises(ImportProblem):
        import_data(payload)
    assert counts() == before
    assert Invoice.get(Invoice.number == "D-001").total == Decimal("1250.00")


def test_cli_import_data(app, tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(world_payload()))
    bad_payload = world_payload()
    bad_payload["invoices"][0]["invoice_account"] = "NOPE"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_payload))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-data", str(good)])
    assert result.exit_code == 0, result.output
    assert "9 invoices" in result.output
    result = runner.invoke(args=["import-data", str(bad)])
    assert result.exit_code != 0
    assert "invoice D-001" in result.output and "invoice_account" in result.output
    result = runner.invoke(args=["import-data", str(broken)])
    assert result.exit_code != 0 and "not valid JSON" in result.output
    result = runner.invoke(args=["import-data", str(tmp_path / "missing.json")])
    assert result.exit_code != 0


def test_seed_demo_has_what_the_demo_needs(db_conn):
    from datetime import date

    from models.customer import Customer
    from models.demo import demo_payload
    from models.importer import import_data
    from models.invoice import Invoice

    import_data(demo_payload())
    invoices = list(Invoice.select())
    assert 55 <= len(invoices) <= 65
    assert {i.status for i in invoices} == {"unpaid", "partial", "paid"}
    assert any(i.is_overdue() for i in invoices)
    assert any(i.cash_discount(date.today()) for i in invoices)
    assert {i.currency for i in invoices} == {"NOK", "PLN"}
    dist = Customer.get(Customer.account == "DIST-1")
    assert sorted(c.account for c in dist.billed_customers) == ["RET-1", "RET-2"]


def test_demo_paid_invoices_have_nothing_left_to_pay(db_conn):
    """The demo's "paid" and "partial" states come out exactly: no stray cents from a second rounding rule."""
    from models.demo import demo_payload
    from models.importer import import_data
    from models.invoice import Invoice

    payload = demo_payload()
    import_data(payload)
    for record in payload["invoices"]:
        invoice = Invoice.get(Invoice.number == record["number"])
        paid = Decimal(record["paid"])
        if paid == 0:
            assert invoice.status == "unpaid"
        elif paid == invoice.total:
            assert invoice.status == "paid" and invoice.balance == 0
        else:
            assert invoice.status == "partial" and invoice.balance > invoice.total / 2


# ------------------------------------------------------------------ what the portal cannot serve is refused
def break_number_with_slash(p):
    p["invoices"][0]["number"] = "D/001"
    return "invoice #1", "number"


def break_number_with_newline(p):
    p["invoices"][0]["number"] = "D-001\r\nX"
    return "invoice #1", "number"


def break_number_with_bidi_override(p):
    p["invoices"][0]["number"] = "D-\u202e100"
    return "invoice #1", "number"


def break_number_with_dots(p):
    p["invoices"][0]["number"] = "D..001"
    return "invoice #1", "number"


def break_account_code(p):
    p["customers"][3]["account"] = "IND 1"
    return "customer #4", "account"


def break_week_date(p):
    p["invoices"][0]["invoice_date"] = "2026-W01-1"
    return "invoice D-001", "invoice_date"


def break_huge_quantity_times_price(p):
    p["invoices"][0]["lines"][0]["quantity"] = "999999999"
    p["invoices"][0]["lines"][0]["unit_price"] = "9999999999.0000"
    return "invoice D-001 line 1", "quantity"


def break_huge_quantity(p):
    p["invoices"][0]["lines"][0]["quantity"] = "99999999999"
    return "invoice D-001 line 1", "quantity"


def break_nul_in_description(p):
    p["invoices"][0]["lines"][0]["description"] = "Pallet\x00wrap"
    return "invoice D-001 line 1", "description"


def break_escape_in_name(p):
    p["customers"][0]["name"] = "RET\x1b[31m"
    return "customer RET-1", "name"


def break_too_many_lines(p):
    p["invoices"][0]["lines"] = p["invoices"][0]["lines"] * 10_001
    return "invoice D-001", "lines"


def break_long_description(p):
    p["invoices"][0]["lines"][0]["description"] = "x" * 501
    return "invoice D-001 line 1", "description"


@pytest.mark.parametrize("breaker", [
    break_number_with_slash, break_number_with_newline, break_number_with_bidi_override, break_number_with_dots,
    break_account_code, break_week_date, break_huge_quantity_times_price, break_huge_quantity,
    break_nul_in_description, break_escape_in_name, break_too_many_lines, break_long_description,
])
def test_what_the_portal_cannot_serve_is_refused_naming_record_and_field(db_conn, breaker):
    from models.importer import ImportProblem, import_data

    payload = copy.deepcopy(world_payload())
    record, field = breaker(payload)
    before = counts()
    with pytest.raises(ImportProblem) as problem:
        import_data(payload)
    assert (problem.value.record, problem.value.field) == (record, field), str(problem.value)
    assert counts() == before


def test_an_unsafe_number_is_refused_saying_which_characters_are_allowed(db_conn):
    from models.importer import ImportProblem, import_data

    payload = world_payload()
    payload["invoices"][0]["number"] = "D/001"
    with pytest.raises(ImportProblem) as problem:
        import_data(payload)
    assert "letters A-Z and a-z, the digits 0-9 and '-', '_', '.'" in str(problem.value)


def test_text_keeps_line_breaks_and_tabs(db_conn):
    from models.customer import Customer
    from models.importer import import_data

    payload = world_payload()
    payload["customers"][0]["billing_address"] = "Street 1\r\n0150 Oslo\tNorway"
    import_data(payload)
    assert Customer.get(Customer.account == "RET-1").billing_address == "Street 1\n0150 Oslo\tNorway"


def test_reimport_of_an_organization_account_cannot_make_a_chain(db_conn):
    """RET-1 and RET-2 are billed to DIST-1 already; a file with DIST-1 alone, now billed to IND-1, is refused."""
    from models.customer import Customer
    from models.importer import ImportProblem, import_data

    import_data(world_payload())
    dist = next(c for c in world_payload()["customers"] if c["account"] == "DIST-1")
    dist["invoice_account"] = "IND-1"
    with pytest.raises(ImportProblem) as problem:
        import_data({"customers": [dist]})
    assert (problem.value.record, problem.value.field) == ("customer DIST-1", "invoice_account")
    assert "RET-1" in problem.value.message
    assert Customer.get(Customer.account == "DIST-1").invoice_account_id is None


def import_file_text(text):
    from models.importer import import_file

    return import_file(text.encode("utf-8"))


def test_duplicate_keys_in_a_record_are_refused(db_conn):
    from models.importer import ImportProblem

    text = json.dumps(world_payload())
    text = text.replace('"number": "D-002",', '"number": "D-002", "paid": "0.00",', 1)
    assert text.count('"paid"') == 10
    before = counts()
    with pytest.raises(ImportProblem) as problem:
        import_file_text(text)
    assert (problem.value.record, problem.value.field) == ("invoice D-002", "paid")
    assert "twice" in problem.value.message
    assert counts() == before


def test_duplicate_top_level_keys_are_refused(db_conn):
    from models.importer import ImportProblem

    text = json.dumps(world_payload())[:-1] + ', "invoices": []}'
    with pytest.raises(ImportProblem) as problem:
        import_file_text(text)
    assert (problem.value.record, problem.value.field) == ("file", "invoices")


def test_a_streamed_file_is_imported_like_the_same_payload(db_conn):
    from models.invoice import Invoice

    summary = import_file_text(json.dumps(world_payload()))
    assert (summary.customers, summary.users, summary.invoices) == (4, 5, 9)
    assert summary.created["invoices"] == 9
    d4 = Invoice.get(Invoice.number == "D-004")
    assert d4.total == Decimal("1250.00") and d4.balance == Decimal("1000.00") and d4.status == "partial"


def test_reimport_of_the_same_file_writes_nothing(db_conn):
    """Nothing changed: no row is written, so no list version moves (the summaries' versions stay)."""
    from models.importer import import_data
    from models.summary import InvoiceSummary

    import_data(world_payload())
    versions = sorted(InvoiceSummary.select(InvoiceSummary.version).tuples())
    summary = import_data(world_payload())
    assert sum(summary.created.values()) == 0 and sum(summary.updated.values()) == 0
    assert sorted(InvoiceSummary.select(InvoiceSummary.version).tuples()) == versions
    payload = world_payload()
    payload["invoices"][1]["lines"][0]["description"] = "Stretch film"
    summary = import_data(payload)
    assert summary.updated["invoices"] == 1 and summary.created["invoices"] == 0


def test_summaries_stay_exact_through_bulk_import_and_reimport(db_conn):
    """The batched writer goes through the same triggers: invoice_summary equals a recount."""
    from peewee import fn

    from models.importer import import_data
    from models.invoice import Invoice
    from models.summary import InvoiceSummary

    import_data(world_payload())
    payload = world_payload()
    payload["invoices"][0]["paid"] = "1250.00"
    payload["invoices"][4]["invoice_account"] = "RET-2"
    import_data(payload)
    recount = {(a, s, c): (n, b) for a, s, c, n, b in Invoice.select(
        Invoice.invoice_account, Invoice.status, Invoice.currency, fn.COUNT(Invoice.id),
        fn.SUM(Invoice.balance).coerce(False)).group_by(Invoice.invoice_account, Invoice.status,
                                                         Invoice.currency).tuples()}
    kept = {(a, s, c): (n, b) for a, s, c, n, b in InvoiceSummary.select(
        InvoiceSummary.account_id, InvoiceSummary.status, InvoiceSummary.currency, InvoiceSummary.invoices,
        InvoiceSummary.balance).where(InvoiceSummary.invoices > 0).tuples()}
    assert {k: (n, Decimal(int(b)) / 100) for k, (n, b) in recount.items()} == kept


@pytest.mark.parametrize("batch", [1000, 2])
def test_a_kid_made_by_the_import_gives_way_to_one_a_later_invoice_gives(db_conn, monkeypatch, batch):
    """D-001's KID would be made from its digits; a later invoice of the file gives that very KID — in the same
    batch, or in a later one (then D-001, already written, gets another)."""
    from models import importer
    from models.identifiers import kid_candidates
    from models.invoice import Invoice

    monkeypatch.setattr(importer, "BATCH", batch)
    payload = world_payload()
    made = next(kid_candidates("D-001"))
    payload["invoices"][5]["kid"] = made
    import_file_text(json.dumps(payload))
    assert Invoice.get(Invoice.number == "R1-002").kid == made
    assert Invoice.get(Invoice.number == "D-001").kid != made


def test_a_duplicate_key_inside_a_line_is_refused(db_conn):
    from models.importer import ImportProblem

    text = json.dumps(world_payload()).replace('"quantity": "10",', '"quantity": "10", "quantity": "1",', 1)
    with pytest.raises(ImportProblem) as problem:
        import_file_text(text)
    assert (problem.value.record, problem.value.field) == ("invoice D-001", "lines.quantity")


def test_a_number_twice_in_batches_apart_is_refused(db_conn, monkeypatch):
    from models import importer
    from models.importer import ImportProblem, import_data

    monkeypatch.setattr(importer, "BATCH", 2)
    payload = world_payload()
    payload["invoices"][6]["number"] = "D-001"
    before = counts()
    with pytest.raises(ImportProblem) as problem:
        import_data(payload)
    assert (problem.value.record, problem.value.field) == ("invoice D-001", "number")
    assert counts() == before


def test_the_quick_first_kid_is_the_first_kid_candidate():
    from models.identifiers import kid_candidates
    from models.importer import first_kid

    for number in ("D-001", "INV-0000123", "A", "0", "X-" + "9" * 30, "INV-1001", "7-3-1", "SO_2026.11.30-17"):
        assert first_kid(number) == next(kid_candidates(number))


def test_line_text_with_breaks_tabs_and_backslashes_comes_back_as_given(db_conn):
    """PostgreSQL's bulk path (COPY) has its own escapes: what was imported is what is stored."""
    from models.importer import import_data
    from models.invoice import Invoice, InvoiceLine

    payload = world_payload()
    text = "Pallet wrap\n\t50 \\ 60 cm \\N 'x' \"y\" æøå"
    payload["invoices"][0]["lines"][0]["description"] = text
    payload["invoices"][0]["delivery_address"] = "Dock 4\\5\nOslo"
    import_data(payload)
    invoice = Invoice.get(Invoice.number == "D-001")
    assert InvoiceLine.get(InvoiceLine.invoice == invoice.id).description == text
    assert invoice.delivery_address == "Dock 4\\5\nOslo"


def test_cli_import_data_reads_standard_input_and_refuses_duplicate_keys(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-data", "-"], input=json.dumps(world_payload()))
    assert result.exit_code == 0, result.output
    assert "9 invoices" in result.output
    text = json.dumps(world_payload()).replace('"number": "D-002",', '"number": "D-002", "paid": "5.00",', 1)
    result = runner.invoke(args=["import-data", "-"], input=text)
    assert result.exit_code == 1
    assert "Import refused: invoice D-002: field 'paid': appears twice" in result.output
