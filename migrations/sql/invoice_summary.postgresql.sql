-- Keeps invoice_summary exact on every write to invoice (models/summary.py), and moves the version of
-- what a list page shows when an invoice or an order account's name changes. PostgreSQL; the SQLite
-- twin is invoice_summary.sqlite.sql. Safe to run again: functions are replaced, triggers dropped first.

CREATE OR REPLACE FUNCTION invoice_summary_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    UPDATE invoice_summary SET invoices = invoices - 1, balance = balance - OLD.balance, version = version + 1
    WHERE account_id = OLD.invoice_account_id AND status = OLD.status AND currency = OLD.currency;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO invoice_summary AS s (account_id, status, currency, invoices, balance, number_length, version)
    VALUES (NEW.invoice_account_id, NEW.status, NEW.currency, 1, NEW.balance, length(NEW.number),
            (extract(epoch from clock_timestamp()) * 1000000)::bigint)
    ON CONFLICT (account_id, status, currency) DO UPDATE SET
      invoices = s.invoices + 1,
      balance = s.balance + excluded.balance,
      number_length = GREATEST(s.number_length, excluded.number_length),
      version = s.version + 1;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION invoice_summary_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM invoice_summary;
  RETURN NULL;
END $$;

-- An order account's new name shows in the rows of every account it has invoices billed to.
CREATE OR REPLACE FUNCTION customer_name_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE invoice_summary SET version = version + 1
  WHERE account_id IN (SELECT invoice_account_id FROM invoice WHERE order_account_id = NEW.id);
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS invoice_summary_insert ON invoice;
DROP TRIGGER IF EXISTS invoice_summary_update ON invoice;
DROP TRIGGER IF EXISTS invoice_summary_delete ON invoice;
DROP TRIGGER IF EXISTS invoice_summary_truncate ON invoice;
DROP TRIGGER IF EXISTS customer_name_version ON customer;

CREATE TRIGGER invoice_summary_insert AFTER INSERT ON invoice
  FOR EACH ROW EXECUTE FUNCTION invoice_summary_sync();

-- Only a change to something a list row shows counts.
CREATE TRIGGER invoice_summary_update AFTER UPDATE ON invoice
  FOR EACH ROW WHEN (OLD.invoice_account_id IS DISTINCT FROM NEW.invoice_account_id
    OR OLD.order_account_id IS DISTINCT FROM NEW.order_account_id OR OLD.number IS DISTINCT FROM NEW.number
    OR OLD.status IS DISTINCT FROM NEW.status OR OLD.currency IS DISTINCT FROM NEW.currency
    OR OLD.balance IS DISTINCT FROM NEW.balance OR OLD.total IS DISTINCT FROM NEW.total
    OR OLD.invoice_date IS DISTINCT FROM NEW.invoice_date OR OLD.due_date IS DISTINCT FROM NEW.due_date
    OR OLD.discount_percent IS DISTINCT FROM NEW.discount_percent
    OR OLD.discount_until IS DISTINCT FROM NEW.discount_until)
  EXECUTE FUNCTION invoice_summary_sync();

CREATE TRIGGER invoice_summary_delete AFTER DELETE ON invoice
  FOR EACH ROW EXECUTE FUNCTION invoice_summary_sync();

CREATE TRIGGER invoice_summary_truncate AFTER TRUNCATE ON invoice
  FOR EACH STATEMENT EXECUTE FUNCTION invoice_summary_clear();

CREATE TRIGGER customer_name_version AFTER UPDATE ON customer
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.account IS DISTINCT FROM NEW.account)
  EXECUTE FUNCTION customer_name_version();
