-- Keeps invoice_aging exact on every write to invoice (models/aging.py): per invoice account, order account,
-- currency and day, the open balance due that day ("due" rows, keyed by the due date) and the cash discount
-- still to be had until that day ("discount" rows, keyed by the last discount day). Only invoices with a
-- balance count; a row whose last invoice leaves is deleted, so an account has about one row per open day.
-- PostgreSQL; the SQLite twin is invoice_aging.sqlite.sql. Safe to run again.

-- The cash discount on a balance in cents, half-up, exactly as models/invoice.py: cash_discount works it out.
CREATE OR REPLACE FUNCTION invoice_aging_discount(balance bigint, percent numeric) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
  SELECT (balance * round(percent * 100)::bigint + 5000) / 10000
$$;

CREATE OR REPLACE FUNCTION invoice_aging_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  saving bigint;
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.balance > 0 THEN
    UPDATE invoice_aging SET invoices = invoices - 1, amount = amount - OLD.balance
    WHERE account_id = OLD.invoice_account_id AND order_account_id = OLD.order_account_id
      AND currency = OLD.currency AND kind = 'due' AND deadline = OLD.due_date;
    saving := invoice_aging_discount(OLD.balance, OLD.discount_percent);
    IF OLD.discount_until IS NOT NULL AND saving > 0 THEN
      UPDATE invoice_aging SET invoices = invoices - 1, amount = amount - saving
      WHERE account_id = OLD.invoice_account_id AND order_account_id = OLD.order_account_id
        AND currency = OLD.currency AND kind = 'discount' AND deadline = OLD.discount_until;
    END IF;
    DELETE FROM invoice_aging
    WHERE account_id = OLD.invoice_account_id AND order_account_id = OLD.order_account_id
      AND currency = OLD.currency AND invoices <= 0;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.balance > 0 THEN
    INSERT INTO invoice_aging AS a (account_id, order_account_id, currency, kind, deadline, invoices, amount)
    VALUES (NEW.invoice_account_id, NEW.order_account_id, NEW.currency, 'due', NEW.due_date, 1, NEW.balance)
    ON CONFLICT (account_id, order_account_id, currency, kind, deadline) DO UPDATE SET
      invoices = a.invoices + 1, amount = a.amount + excluded.amount;
    saving := invoice_aging_discount(NEW.balance, NEW.discount_percent);
    IF NEW.discount_until IS NOT NULL AND saving > 0 THEN
      INSERT INTO invoice_aging AS a (account_id, order_account_id, currency, kind, deadline, invoices, amount)
      VALUES (NEW.invoice_account_id, NEW.order_account_id, NEW.currency, 'discount', NEW.discount_until, 1, saving)
      ON CONFLICT (account_id, order_account_id, currency, kind, deadline) DO UPDATE SET
        invoices = a.invoices + 1, amount = a.amount + excluded.amount;
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION invoice_aging_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM invoice_aging;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS invoice_aging_insert ON invoice;
DROP TRIGGER IF EXISTS invoice_aging_update ON invoice;
DROP TRIGGER IF EXISTS invoice_aging_delete ON invoice;
DROP TRIGGER IF EXISTS invoice_aging_truncate ON invoice;

CREATE TRIGGER invoice_aging_insert AFTER INSERT ON invoice
  FOR EACH ROW EXECUTE FUNCTION invoice_aging_sync();

CREATE TRIGGER invoice_aging_update AFTER UPDATE ON invoice
  FOR EACH ROW WHEN (OLD.invoice_account_id IS DISTINCT FROM NEW.invoice_account_id
    OR OLD.order_account_id IS DISTINCT FROM NEW.order_account_id OR OLD.currency IS DISTINCT FROM NEW.currency
    OR OLD.balance IS DISTINCT FROM NEW.balance OR OLD.due_date IS DISTINCT FROM NEW.due_date
    OR OLD.discount_percent IS DISTINCT FROM NEW.discount_percent
    OR OLD.discount_until IS DISTINCT FROM NEW.discount_until)
  EXECUTE FUNCTION invoice_aging_sync();

CREATE TRIGGER invoice_aging_delete AFTER DELETE ON invoice
  FOR EACH ROW EXECUTE FUNCTION invoice_aging_sync();

CREATE TRIGGER invoice_aging_truncate AFTER TRUNCATE ON invoice
  FOR EACH STATEMENT EXECUTE FUNCTION invoice_aging_clear();
