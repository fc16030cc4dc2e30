-- +goose Up
-- An outbox row holds, beside the payload its service built, what only the database
-- knew when the row was written: the thread's URL and title then (comment_id was a
-- column already). The dispatcher sets them in the body by typed field when it signs
-- (comment.Delivery.Body). Rows written before are complete already: their columns
-- take the values their payloads hold, so the body does not change.
ALTER TABLE webhook_deliveries ADD COLUMN thread_url TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN thread_title TEXT NOT NULL DEFAULT '';
UPDATE webhook_deliveries SET
    thread_url = COALESCE(payload::jsonb #>> '{data,thread,url}', ''),
    thread_title = COALESCE(payload::jsonb #>> '{data,thread,title}', '')
WHERE event_type LIKE 'comment.%';

-- +goose Down
ALTER TABLE webhook_deliveries DROP COLUMN thread_title;
ALTER TABLE webhook_deliveries DROP COLUMN thread_url;
