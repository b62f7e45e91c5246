-- 003: reporting deadlines per fiscal year (data/deadlines.toml, copied by the loader)
-- and lateness in reporting_status. Forward-only: 002 is not edited, its view is replaced.

CREATE TABLE reporting_deadline (
    period    VARCHAR PRIMARY KEY,   -- canonical fiscal year, 2024/25
    deadline  DATE NOT NULL          -- last day on time, to the end of the day, Pacific time
);

-- closes_at: the first instant that is late (midnight after the deadline, Pacific time).
CREATE VIEW reporting_deadlines AS
SELECT
    period AS reporting_period,
    deadline,
    timezone('America/Vancouver', (deadline + 1)::TIMESTAMP) AS closes_at
FROM reporting_deadline;

-- As in 002, plus: deadline, current_loaded_at (when the current submission was
-- loaded), late (a current submission loaded after the deadline), overdue (no
-- accepted or partial submission and the deadline has passed).
CREATE OR REPLACE VIEW reporting_status AS
WITH periods AS (
    SELECT DISTINCT reporting_period FROM submission WHERE reporting_period IS NOT NULL
),
per_pair AS (
    SELECT
        institution_code,
        reporting_period,
        max(CASE WHEN is_current THEN status END) AS current_status,
        max(CASE WHEN is_current THEN submission_id END) AS current_submission_id,
        max(CASE WHEN is_current THEN rows_accepted END) AS rows_accepted,
        max(CASE WHEN is_current THEN loaded_at END) AS current_loaded_at,
        count(*) AS submissions,
        count(*) FILTER (WHERE status = 'rejected') AS rejected_submissions,
        max(loaded_at) AS last_loaded_at
    FROM submissions
    WHERE institution_code IS NOT NULL AND reporting_period IS NOT NULL
    GROUP BY ALL
)
SELECT
    i.code AS institution_code,
    i.name AS institution_name,
    i.sector,
    i.region,
    p.reporting_period,
    CASE
        WHEN pp.current_status IS NOT NULL THEN pp.current_status
        WHEN pp.rejected_submissions > 0 THEN 'rejected'
        ELSE 'missing'
    END AS status,
    pp.current_submission_id,
    coalesce(pp.rows_accepted, 0) AS rows_accepted,
    coalesce(pp.submissions, 0) AS submissions,
    pp.last_loaded_at,
    i.sort_order,
    d.deadline,
    pp.current_loaded_at,
    coalesce(pp.current_loaded_at >= d.closes_at, false) AS late,
    pp.current_status IS NULL AND coalesce(now() >= d.closes_at, false) AS overdue
FROM institution i
CROSS JOIN periods p
LEFT JOIN per_pair pp ON pp.institution_code = i.code AND pp.reporting_period = p.reporting_period
LEFT JOIN reporting_deadlines d ON d.reporting_period = p.reporting_period;
