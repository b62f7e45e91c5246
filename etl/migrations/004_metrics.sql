-- 004: the metric rules as columns of current_offerings, and the metrics reference view.
-- Forward-only: 002 is not edited, its view is replaced. A double-brace placeholder is SQL rendered from
-- etl/spec.py (etl.spec.migration_placeholders): each rule is written once, in
-- etl.spec.METRICS, and the dashboard sums these columns instead of restating a rule.

-- Columns and order as in 002 (the three breach columns now derived from the spec), then one
-- BOOLEAN, never-NULL column per offering-share metric and `compliant` (every framework rule met).
CREATE OR REPLACE VIEW current_offerings AS
WITH o AS (
    SELECT o.*, i.name AS institution_name, i.sector, i.region
    FROM offering o
    JOIN submission s ON s.submission_id = o.submission_id
    JOIN institution i ON i.code = o.institution_code
    WHERE s.status IN ('accepted', 'partial') AND s.superseded_by IS NULL
)
SELECT
    institution_code,
    reporting_period,
    offering_id,
    title,
    mc_type,
    delivery_mode,
    credit_status,
    credits,
    partner_categories,
    continuing_education,
    duration_hours,
    assessment,
    recognition,
    ladders_to_credential,
    prior_learning_recognition,
    field_of_study,
    ministry_funded,
    competencies,
    noc_codes,
    enrolments,
    completions,
    tuition_cad,
    start_date,
    end_date,
    institution_name,
    sector,
    region,
    {{ breach_columns }},
    submission_id,
    source_row,
    {{ metric_columns }}
FROM o;

-- What view `metrics` adds to target_metric (filled from etl.spec.METRICS on every load).
ALTER TABLE target_metric ADD COLUMN column_name VARCHAR;
ALTER TABLE target_metric ADD COLUMN basis VARCHAR NOT NULL DEFAULT 'offerings';

-- One row per metric, in display order. column_name: its BOOLEAN column in current_offerings
-- (NULL for completion_rate, completions / enrolments); basis: what the share counts by default.
CREATE VIEW metrics AS
SELECT metric, label, description, framework, column_name, basis, sort_order
FROM target_metric
ORDER BY sort_order;
