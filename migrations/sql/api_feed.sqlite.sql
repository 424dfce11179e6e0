-- The API's feeds (models/api.py): every new payment (except those recorded by an import), sales order and B2B
-- request gets the next feed position. SQLite runs one writer at a time and the position is taken inside the
-- writer's transaction, so positions are handed out in commit order. The PostgreSQL twin is
-- api_feed.postgresql.sql. Safe to run again: each trigger is dropped first.

DROP TRIGGER IF EXISTS feed_payment;
DROP TRIGGER IF EXISTS feed_sales_order;
DROP TRIGGER IF EXISTS feed_b2b_request;

CREATE TRIGGER feed_payment AFTER INSERT ON payment WHEN NEW.method <> 'imported'
BEGIN
  INSERT INTO feed_counter (id, position) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET position = position + 1;
  INSERT INTO feed_item (position, kind, item_id)
  VALUES ((SELECT position FROM feed_counter WHERE id = 1), 'payment', NEW.id);
END;

CREATE TRIGGER feed_sales_order AFTER INSERT ON sales_order
BEGIN
  INSERT INTO feed_counter (id, position) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET position = position + 1;
  INSERT INTO feed_item (position, kind, item_id)
  VALUES ((SELECT position FROM feed_counter WHERE id = 1), 'order', NEW.id);
END;

CREATE TRIGGER feed_b2b_request AFTER INSERT ON b2b_request
BEGIN
  INSERT INTO feed_counter (id, position) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET position = position + 1;
  INSERT INTO feed_item (position, kind, item_id)
  VALUES ((SELECT position FROM feed_counter WHERE id = 1), 'request', NEW.id);
END;
