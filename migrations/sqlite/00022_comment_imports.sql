-- +goose Up
-- Where an imported comment came from: its id in the export it was read from (a
-- WordPress comment id, a Disqus post id, ...), so that importing the same file twice
-- adds nothing, and its parent's id there, so that a reply read before its parent is
-- linked to it once the whole file is in (the importer's second pass). run is the
-- import that wrote the row: an id seen twice in one run is a duplicate in the file,
-- an id from an earlier run is a comment imported before.
CREATE TABLE comment_imports (
    site_id          TEXT NOT NULL REFERENCES sites (id),
    source           TEXT NOT NULL,
    source_id        TEXT NOT NULL,
    comment_id       BIGINT NOT NULL,
    parent_source_id TEXT NOT NULL DEFAULT '',
    run              TEXT NOT NULL,
    line             BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, source, source_id)
);
CREATE INDEX comment_imports_comment ON comment_imports (comment_id);
CREATE INDEX comment_imports_run ON comment_imports (run, comment_id) WHERE parent_source_id <> '';

-- +goose Down
DROP TABLE comment_imports;
