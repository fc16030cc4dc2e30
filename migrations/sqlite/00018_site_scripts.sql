-- +goose Up
-- The writing systems a site's readers write in (comment.Scripts names them), as a JSON
-- list like origins and blocked_words; an empty list turns the spam signal off.
ALTER TABLE sites ADD COLUMN scripts TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE sites DROP COLUMN scripts;
