-- 002: the read-only views: the contract with the dashboard and with analysts.

CREATE VIEW submissions AS
SELECT
{{ submissions_002_columns }}
FROM submission s
LEFT JOIN institution i ON i.code = s.institution_code;

CREATE VIEW current_submissions AS
SELECT * FROM submissions WHERE is_current;

CREATE VIEW current_offerings AS
SELECT
    o.institution_code,
    o.reporting_period,
    o.offering_id,
    o.title,
    o.mc_type,
    o.delivery_mode,
    o.credit_status,
    o.credits,
    o.partner_categories,
    o.continuing_education,
    o.duration_hours,
    o.assessment,
    o.recognition,
    o.ladders_to_credential,
    o.prior_learning_recognition,
    o.field_of_study,
    o.ministry_funded,
    o.competencies,
    o.noc_codes,
    o.enrolments,
    o.completions,
    o.tuition_cad,
    o.start_date,
    o.end_date,
    i.name AS institution_name,
    i.sector,
    i.region,
    o.duration_hours >= 288 AS over_duration,
    NOT o.assessment AS no_assessment,
    list_contains(o.partner_categories, 'none') AS no_partner,
    o.submission_id,
    o.source_row
FROM offering o
JOIN submission s ON s.submission_id = o.submission_id
JOIN institution i ON i.code = o.institution_code
WHERE s.status IN ('accepted', 'partial') AND s.superseded_by IS NULL;

-- Partner categories of current offerings, one row per (offering, category).
CREATE VIEW current_offering_partners AS
SELECT p.submission_id, p.offering_id, p.partner_category
FROM offering_partner p
JOIN submission s ON s.submission_id = p.submission_id
WHERE s.status IN ('accepted', 'partial') AND s.superseded_by IS NULL;

CREATE VIEW validation_issues AS
SELECT
    v.submission_id,
    s.institution_code,
    s.reporting_period,
    v.file_name,
    v.sheet,
    v.severity,
    v.rule,
    v."row",
    v."column",
    v.value,
    v.expected,
    v.message
FROM validation_issue v
JOIN submission s ON s.submission_id = v.submission_id;

CREATE VIEW institutions AS
SELECT code, name, sector, region, sort_order FROM institution;

CREATE VIEW codes AS
SELECT list, code, label, description, sort_order FROM code_list;

CREATE VIEW targets AS
SELECT
    t.target_id, t.metric, m.label AS metric_label, m.description AS metric_description,
    m.framework, t.comparator, t.value, t.source, t.period, t.sector, t.institution, t.basis,
    m.sort_order
FROM target t
JOIN target_metric m ON m.metric = t.metric;

-- Reporting status per institution and period (used by `mcred status` and the
-- submissions page): accepted or partial when a current submission exists,
-- rejected when only rejected ones do, missing otherwise.
CREATE VIEW reporting_status AS
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
    i.sort_order
FROM institution i
CROSS JOIN periods p
LEFT JOIN per_pair pp ON pp.institution_code = i.code AND pp.reporting_period = p.reporting_period;
