-- The columns of the submissions view as migration 002 made it, in its order: 002, 005 and
-- 006 select them as {{ submissions_002_columns }}. Released with those migrations, so never
-- edited (these header lines are not rendered): a changed column belongs in a new migration.
    s.submission_id,
    s.institution_code,
    i.name AS institution_name,
    i.sector,
    i.region,
    s.reporting_period,
    s.file_name,
    s.sheet,
    s.sha256,
    s.status,
    s.rows_total,
    s.rows_accepted,
    s.rows_rejected,
    s.errors,
    s.warnings,
    s.loaded_at,
    s.superseded_by,
    s.superseded_at,
    s.status IN ('accepted', 'partial') AND s.superseded_by IS NULL
        AND s.institution_code IS NOT NULL AND s.reporting_period IS NOT NULL AS is_current,
    s.institution_given,
    s.period_given,
    s.header_row,
    s.allow_partial
