-- The API's feeds (models/api.py): every new payment (except those recorded by an import), sales order and B2B
-- request gets the next feed position from the one counter row, at commit: the triggers are deferred constraint
-- triggers, so they run as the transaction commits, after everything else it did, and the counter's row lock is
-- held from there to the end of the commit. So positions are handed out in commit order: a reader that sees
-- position n also sees every smaller position that will ever exist (a sequence would not do: its numbers are
-- taken before commit, and a transaction with a smaller one could commit after a reader went past it). Being the
-- very last lock a transaction takes, the counter cannot make a deadlock with the row locks taken before it. A
-- transaction that rolls back never takes a position. SQLite twin: api_feed.sqlite.sql.

CREATE OR REPLACE FUNCTION feed_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  next_position bigint;
BEGIN
  INSERT INTO feed_counter AS c (id, position) VALUES (1, 1)
    ON CONFLICT (id) DO UPDATE SET position = c.position + 1 RETURNING c.position INTO next_position;
  INSERT INTO feed_item (position, kind, item_id) VALUES (next_position, TG_ARGV[0], NEW.id);
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS feed_payment ON payment;
DROP TRIGGER IF EXISTS feed_sales_order ON sales_order;
DROP TRIGGER IF EXISTS feed_b2b_request ON b2b_request;

CREATE CONSTRAINT TRIGGER feed_payment AFTER INSERT ON payment DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.method <> 'imported') EXECUTE FUNCTION feed_record('payment');

CREATE CONSTRAINT TRIGGER feed_sales_order AFTER INSERT ON sales_order DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION feed_record('order');

CREATE CONSTRAINT TRIGGER feed_b2b_request AFTER INSERT ON b2b_request DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION feed_record('request');
