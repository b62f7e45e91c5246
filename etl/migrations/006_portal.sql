-- 006: submissions that arrived through the dashboard's /submit page (the portal), and the
-- explanations the institution gave for its edit checks. A submission loaded by `mcred load`
-- has no row in submission_route: its route is 'cli'. The drafts themselves (bytes, states,
-- who did what) live beside the warehouse in <db>.submissions.sqlite; these tables repeat what
-- the warehouse's readers need, and are written in the same transaction as the submission.
CREATE TABLE submission_route (
    submission_id  INTEGER PRIMARY KEY,  -- submission.submission_id
    route          VARCHAR NOT NULL CHECK (route IN ('portal')),
    draft_id       BIGINT NOT NULL,      -- the draft in <db>.submissions.sqlite
    submitted_by   VARCHAR,              -- who sent it for review
    submitted_at   TIMESTAMPTZ,
    accepted_by    VARCHAR,              -- the ministry user who accepted it (and so loaded it)
    accepted_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE submission_explanation (
    submission_id  INTEGER NOT NULL,
    code           VARCHAR NOT NULL,     -- the edit check (etl.editchecks.EditCheck.code)
    message        VARCHAR NOT NULL,     -- what the check said, with its figures
    explanation    VARCHAR NOT NULL,     -- what the institution answered
    PRIMARY KEY (submission_id, code)
);

-- Columns and order as in 005, then the route, its draft and how many explanations came with it.
CREATE OR REPLACE VIEW submissions AS
SELECT
{{ submissions_002_columns }},
    r.event_at AS restored_at,
    r.by_user AS restored_by,
    coalesce(rt.route, 'cli') AS route,
    rt.draft_id,
    rt.submitted_by,
    rt.accepted_by,
    coalesce(ex.explanations, 0) AS explanations
FROM submission s
LEFT JOIN institution i ON i.code = s.institution_code
LEFT JOIN (
    SELECT submission_id, arg_max(event_at, event_id) AS event_at, arg_max(by_user, event_id) AS by_user
    FROM submission_event WHERE event = 'restored' GROUP BY submission_id
) r ON r.submission_id = s.submission_id
LEFT JOIN submission_route rt ON rt.submission_id = s.submission_id
LEFT JOIN (
    SELECT submission_id, count(*) AS explanations FROM submission_explanation GROUP BY submission_id
) ex ON ex.submission_id = s.submission_id;

CREATE OR REPLACE VIEW current_submissions AS
SELECT * FROM submissions WHERE is_current;

-- Each explanation with the submission it belongs to (join on submission_id for the rest).
CREATE VIEW submission_explanations AS
SELECT e.submission_id, s.institution_code, s.reporting_period, e.code, e.message, e.explanation
FROM submission_explanation e
JOIN submission s ON s.submission_id = e.submission_id;
