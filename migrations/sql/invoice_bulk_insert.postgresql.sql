-- PostgreSQL: the summaries (invoice_summary, invoice_aging) kept by one trigger per INSERT statement instead of
-- one per row. A bulk import inserts a thousand invoices in one statement; per row, each of them updated the same
-- few summary rows again, and every update of a row inside one transaction leaves a version that the next one
-- must step over, so an import slowed down as it went. Now a statement adds what it inserted, grouped, once.
-- Updates and deletes keep their row triggers (invoice_summary.postgresql.sql, invoice_aging.postgresql.sql).
-- SQLite has no statement triggers and no such versions; its row triggers stay.

CREATE OR REPLACE FUNCTION invoice_summary_insert_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO invoice_summary AS s (account_id, status, currency, invoices, balance, number_length, version)
  SELECT invoice_account_id, status, currency, COUNT(*), SUM(balance), MAX(length(number)),
         (extract(epoch from clock_timestamp()) * 1000000)::bigint
  FROM inserted GROUP BY invoice_account_id, status, currency
  ON CONFLICT (account_id, status, currency) DO UPDATE SET
    invoices = s.invoices + excluded.invoices,
    balance = s.balance + excluded.balance,
    number_length = GREATEST(s.number_length, excluded.number_length),
    version = s.version + 1;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION invoice_aging_insert_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO invoice_aging AS a (account_id, order_account_id, currency, kind, deadline, invoices, amount)
  SELECT invoice_account_id, order_account_id, currency, 'due', due_date, COUNT(*), SUM(balance)
  FROM inserted WHERE balance > 0
  GROUP BY invoice_account_id, order_account_id, currency, due_date
  ON CONFLICT (account_id, order_account_id, currency, kind, deadline) DO UPDATE SET
    invoices = a.invoices + excluded.invoices, amount = a.amount + excluded.amount;
  INSERT INTO invoice_aging AS a (account_id, order_account_id, currency, kind, deadline, invoices, amount)
  SELECT invoice_account_id, order_account_id, currency, 'discount', discount_until, COUNT(*),
         SUM(invoice_aging_discount(balance, discount_percent))
  FROM inserted
  WHERE balance > 0 AND discount_until IS NOT NULL AND invoice_aging_discount(balance, discount_percent) > 0
  GROUP BY invoice_account_id, order_account_id, currency, discount_until
  ON CONFLICT (account_id, order_account_id, currency, kind, deadline) DO UPDATE SET
    invoices = a.invoices + excluded.invoices, amount = a.amount + excluded.amount;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS invoice_summary_insert ON invoice;
DROP TRIGGER IF EXISTS invoice_aging_insert ON invoice;

CREATE TRIGGER invoice_summary_insert AFTER INSERT ON invoice REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION invoice_summary_insert_rows();

CREATE TRIGGER invoice_aging_insert AFTER INSERT ON invoice REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION invoice_aging_insert_rows();
