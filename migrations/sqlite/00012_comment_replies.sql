-- +goose Up
-- Finds the replies to a comment: undoing an approval looks for published ones first.
CREATE INDEX comments_replies ON comments (parent_id, status) WHERE parent_id <> 0;

-- +goose Down
DROP INDEX comments_replies;
