-- 005: the explicit history. `mcred restore` makes an earlier accepted or partial submission
-- current again: the submission it replaces is marked superseded by it (so every view that asks
-- `superseded_by IS NULL` agrees), and the restore is recorded here.
CREATE SEQUENCE submission_event_id_seq START 1;

CREATE TABLE submission_event (
    event_id       INTEGER PRIMARY KEY DEFAULT nextval('submission_event_id_seq'),
    submission_id  INTEGER NOT NULL,  -- the submission made current
    event          VARCHAR NOT NULL CHECK (event IN ('restored')),
    replaced       INTEGER,           -- the submission that was current before, if any
    event_at       TIMESTAMPTZ NOT NULL,
    by_user        VARCHAR
);

-- Columns and order as in 002, then when and by whom the submission was last restored.
CREATE OR REPLACE VIEW submissions AS
SELECT
{{ submissions_002_columns }},
    r.event_at AS restored_at,
    r.by_user AS restored_by
FROM submission s
LEFT JOIN institution i ON i.code = s.institution_code
LEFT JOIN (
    SELECT submission_id, arg_max(event_at, event_id) AS event_at, arg_max(by_user, event_id) AS by_user
    FROM submission_event WHERE event = 'restored' GROUP BY submission_id
) r ON r.submission_id = s.submission_id;

-- A view over `SELECT *` keeps the columns it was made with: made again over the new ones.
CREATE OR REPLACE VIEW current_submissions AS
SELECT * FROM submissions WHERE is_current;
