-- Keeps invoice_summary exact on every write to invoice (models/summary.py), and moves the version of
-- what a list page shows when an invoice or an order account's name changes. SQLite; the PostgreSQL
-- twin is invoice_summary.postgresql.sql. Safe to run again: each trigger is dropped first.

DROP TRIGGER IF EXISTS invoice_summary_insert;
DROP TRIGGER IF EXISTS invoice_summary_update;
DROP TRIGGER IF EXISTS invoice_summary_delete;
DROP TRIGGER IF EXISTS customer_name_version;

CREATE TRIGGER invoice_summary_insert AFTER INSERT ON invoice
BEGIN
  INSERT INTO invoice_summary (account_id, status, currency, invoices, balance, number_length, version)
  VALUES (NEW.invoice_account_id, NEW.status, NEW.currency, 1, NEW.balance, length(NEW.number),
          CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER))
  ON CONFLICT (account_id, status, currency) DO UPDATE SET
    invoices = invoices + 1,
    balance = balance + excluded.balance,
    number_length = max(number_length, excluded.number_length),
    version = version + 1;
END;

-- Only a change to something a list row shows counts.
CREATE TRIGGER invoice_summary_update AFTER UPDATE ON invoice
WHEN OLD.invoice_account_id IS NOT NEW.invoice_account_id OR OLD.order_account_id IS NOT NEW.order_account_id
  OR OLD.number IS NOT NEW.number OR OLD.status IS NOT NEW.status OR OLD.currency IS NOT NEW.currency
  OR OLD.balance IS NOT NEW.balance OR OLD.total IS NOT NEW.total OR OLD.invoice_date IS NOT NEW.invoice_date
  OR OLD.due_date IS NOT NEW.due_date OR OLD.discount_percent IS NOT NEW.discount_percent
  OR OLD.discount_until IS NOT NEW.discount_until
BEGIN
  UPDATE invoice_summary SET invoices = invoices - 1, balance = balance - OLD.balance, version = version + 1
  WHERE account_id = OLD.invoice_account_id AND status = OLD.status AND currency = OLD.currency;
  INSERT INTO invoice_summary (account_id, status, currency, invoices, balance, number_length, version)
  VALUES (NEW.invoice_account_id, NEW.status, NEW.currency, 1, NEW.balance, length(NEW.number),
          CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER))
  ON CONFLICT (account_id, status, currency) DO UPDATE SET
    invoices = invoices + 1,
    balance = balance + excluded.balance,
    number_length = max(number_length, excluded.number_length),
    version = version + 1;
END;

CREATE TRIGGER invoice_summary_delete AFTER DELETE ON invoice
BEGIN
  UPDATE invoice_summary SET invoices = invoices - 1, balance = balance - OLD.balance, version = version + 1
  WHERE account_id = OLD.invoice_account_id AND status = OLD.status AND currency = OLD.currency;
END;

-- An order account's new name shows in the rows of every account it has invoices billed to.
CREATE TRIGGER customer_name_version AFTER UPDATE ON customer
WHEN OLD.name IS NOT NEW.name OR OLD.account IS NOT NEW.account
BEGIN
  UPDATE invoice_summary SET version = version + 1
  WHERE account_id IN (SELECT invoice_account_id FROM invoice WHERE order_account_id = NEW.id);
END;
