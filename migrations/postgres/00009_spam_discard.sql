-- +goose Up
-- Spam is discarded some time after it entered the spam queue; this finds it without a
-- scan of every comment.
CREATE INDEX comments_spam_since ON comments (updated_at) WHERE status = 'spam';

-- +goose Down
DROP INDEX comments_spam_since;
