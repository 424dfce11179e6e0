-- Keeps invoice_aging exact on every write to invoice (models/aging.py): per invoice account, order account,
-- currency and day, the open balance due that day ("due" rows, keyed by the due date) and the cash discount
-- still to be had until that day ("discount" rows, keyed by the last discount day). Only invoices with a
-- balance count; a row whose last invoice leaves is deleted. SQLite; the PostgreSQL twin is
-- invoice_aging.postgresql.sql. Safe to run again: each trigger is dropped first.
-- The cash discount in cents is half-up in integers, exactly as models/invoice.py: cash_discount works it out:
-- (balance * round(percent * 100) + 5000) / 10000.

DROP TRIGGER IF EXISTS invoice_aging_insert;
DROP TRIGGER IF EXISTS invoice_aging_update;
DROP TRIGGER IF EXISTS invoice_aging_delete;

CREATE TRIGGER invoice_aging_insert AFTER INSERT ON invoice WHEN NEW.balance > 0
BEGIN
  INSERT INTO invoice_aging (account_id, order_account_id, currency, kind, deadline, invoices, amount)
  VALUES (NEW.invoice_account_id, NEW.order_account_id, NEW.currency, 'due', NEW.due_date, 1, NEW.balance)
  ON CONFLICT (account_id, order_account_id, currency, kind, deadline) DO UPDATE SET
    invoices = invoices + 1, amount = amount + excluded.amount;
  INSERT INTO invoice_aging (account_id, order_account_id, currency, kind, deadline, invoices, amount)
  SELECT NEW.invoice_account_id, NEW.order_account_id, NEW.currency, 'discount', NEW.discount_until, 1,
         (NEW.balance * CAST(round(NEW.discount_percent * 100) AS INTEGER) + 5000) / 10000
  WHERE NEW.discount_until IS NOT NULL
    AND (NEW.balance * CAST(round(NEW.discount_percent * 100) AS INTEGER) + 5000) / 10000 > 0
  ON CONFLICT (account_id, order_account_id, currency, kind, deadline) DO UPDATE SET
    invoices = invoices + 1, amount = amount + excluded.amount;
END;

CREATE TRIGGER invoice_aging_update AFTER UPDATE ON invoice
WHEN OLD.invoice_account_id IS NOT NEW.invoice_account_id OR OLD.order_account_id IS NOT NEW.order_account_id
  OR OLD.currency IS NOT NEW.currency OR OLD.balance IS NOT NEW.balance OR OLD.due_date IS NOT NEW.due_date
  OR OLD.discount_percent IS NOT NEW.discount_percent OR OLD.discount_until IS NOT NEW.discount_until
BEGIN
  UPDATE invoice_aging SET invoices = invoices - 1, amount = amount - OLD.balance
  WHERE OLD.balance > 0 AND account_id = OLD.invoice_account_id AND order_account_id = OLD.order_account_id
    AND currency = OLD.currency AND kind = 'due' AND deadline = OLD.due_date;
  UPDATE invoice_aging
  SET invoices = invoices - 1,
      amount = amount - (OLD.balance * CAST(round(OLD.discount_percent * 100) AS INTEGER) + 5000) / 10000
  WHERE OLD.balance > 0 AND OLD.discount_until IS NOT NULL
    AND (OLD.balance * CAST(round(OLD.discount_percent * 100) AS INTEGER) + 5000) / 10000 > 0
    AND account_id = OLD.invoice_account_id AND order_account_id = OLD.order_account_id
    AND currency = OLD.currency AND kind = 'discount' AND deadline = OLD.discount_until;
  DELETE FROM invoice_aging
  WHERE account_id = OLD.invoice_account_id AND order_account_id = OLD.order_account_id
    AND currency = OLD.currency AND invoices <= 0;
  INSERT INTO invoice_aging (account_id, order_account_id, currency, kind, deadline, invoices, amount)
  SELECT NEW.invoice_account_id, NEW.order_account_id, NEW.currency, 'due', NEW.due_date, 1, NEW.balance
  WHERE NEW.balance > 0
  ON CONFLICT (account_id, order_account_id, currency, kind, deadline) DO UPDATE SET
    invoices = invoices + 1, amount = amount + excluded.amount;
  INSERT INTO invoice_aging (account_id, order_account_id, currency, kind, deadline, invoices, amount)
  SELECT NEW.invoice_account_id, NEW.order_account_id, NEW.currency, 'discount', NEW.discount_until, 1,
         (NEW.balance * CAST(round(NEW.discount_percent * 100) AS INTEGER) + 5000) / 10000
  WHERE NEW.balance > 0 AND NEW.discount_until IS NOT NULL
    AND (NEW.balance * CAST(round(NEW.discount_percent * 100) AS INTEGER) + 5000) / 10000 > 0
  ON CONFLICT (account_id, order_account_id, currency, kind, deadline) DO UPDATE SET
    invoices = invoices + 1, amount = amount + excluded.amount;
END;

CREATE TRIGGER invoice_aging_delete AFTER DELETE ON invoice WHEN OLD.balance > 0
BEGIN
  UPDATE invoice_aging SET invoices = invoices - 1, amount = amount - OLD.balance
  WHERE account_id = OLD.invoice_account_id AND order_account_id = OLD.order_account_id
    AND currency = OLD.currency AND kind = 'due' AND deadline = OLD.due_date;
  UPDATE invoice_aging
  SET invoices = invoices - 1,
      amount = amount - (OLD.balance * CAST(round(OLD.discount_percent * 100) AS INTEGER) + 5000) / 10000
  WHERE OLD.discount_until IS NOT NULL
    AND (OLD.balance * CAST(round(OLD.discount_percent * 100) AS INTEGER) + 5000) / 10000 > 0
    AND account_id = OLD.invoice_account_id AND order_account_id = OLD.order_account_id
    AND currency = OLD.currency AND kind = 'discount' AND deadline = OLD.discount_until;
  DELETE FROM invoice_aging
  WHERE account_id = OLD.invoice_account_id AND order_account_id = OLD.order_account_id
    AND currency = OLD.currency AND invoices <= 0;
END;
