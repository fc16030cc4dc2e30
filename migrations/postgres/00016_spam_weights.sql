-- +goose Up
-- The linear spam model's learned state, per scope like spam_tokens: for each hashed
-- feature, its weight and its AdaGrad accumulator, both sums of the lessons' deltas
-- (so lessons learned on different replicas add up in any order), and the revision
-- of the last change, from the same installation-wide counter as spam_tokens, so a
-- replica reads what changed since it last looked. The built-in seed the weights are
-- added to lives in the binary, never here.
CREATE TABLE spam_weights (
    scope   TEXT NOT NULL DEFAULT '',
    feature BIGINT NOT NULL,
    weight  DOUBLE PRECISION NOT NULL DEFAULT 0,
    accum   DOUBLE PRECISION NOT NULL DEFAULT 0,
    rev     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, feature)
);
CREATE INDEX spam_weights_rev ON spam_weights (rev);

-- +goose Down
DROP TABLE spam_weights;
