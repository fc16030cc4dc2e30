-- +goose Up
-- SQLite has one process per database: the store reports its own thread changes, so
-- there is nothing to install (the PostgreSQL migration adds a notifying trigger).
SELECT 1;

-- +goose Down
SELECT 1;
