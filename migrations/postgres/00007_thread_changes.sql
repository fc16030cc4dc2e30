-- +goose Up
-- Every replica caches thread rows and drops one when this notifies, at commit, that
-- the thread's public view changed (winnow LISTENs on winnow_threads).
-- +goose StatementBegin
CREATE FUNCTION winnow_thread_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('winnow_threads', NEW.id::text);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER threads_changed AFTER UPDATE ON threads FOR EACH ROW
    WHEN (OLD.version IS DISTINCT FROM NEW.version OR OLD.approved_count IS DISTINCT FROM NEW.approved_count
        OR OLD.url IS DISTINCT FROM NEW.url OR OLD.title IS DISTINCT FROM NEW.title OR OLD.locked IS DISTINCT FROM NEW.locked)
    EXECUTE FUNCTION winnow_thread_changed();

-- +goose Down
DROP TRIGGER threads_changed ON threads;
DROP FUNCTION winnow_thread_changed();
