-- 001: reference tables, submission history, offerings, validation issues.
-- Migrations are forward-only: never edit a released file, add the next one.

CREATE TABLE institution (
    code        VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    sector      VARCHAR NOT NULL,
    region      VARCHAR NOT NULL,
    sort_order  INTEGER NOT NULL
);

-- Every code list of the submission format, plus sector and region, with a human
-- label and a sort order (dashboards order categories by it).
CREATE TABLE code_list (
    list         VARCHAR NOT NULL,
    code         VARCHAR NOT NULL,
    label        VARCHAR NOT NULL,
    description  VARCHAR,
    sort_order   INTEGER NOT NULL,
    PRIMARY KEY (list, code)
);

-- Every accepted spelling of every code (matching keys, see etl/spec.py).
CREATE TABLE code_alias (
    list   VARCHAR NOT NULL,
    alias  VARCHAR NOT NULL,
    code   VARCHAR NOT NULL,
    PRIMARY KEY (list, alias)
);

CREATE TABLE target_metric (
    metric       VARCHAR PRIMARY KEY,
    label        VARCHAR NOT NULL,
    description  VARCHAR NOT NULL,
    framework    BOOLEAN NOT NULL,
    sort_order   INTEGER NOT NULL
);

CREATE TABLE target (
    target_id    INTEGER PRIMARY KEY,
    metric       VARCHAR NOT NULL,
    comparator   VARCHAR NOT NULL CHECK (comparator IN ('>=', '<=')),
    value        DOUBLE NOT NULL CHECK (value BETWEEN 0 AND 1),
    source       VARCHAR NOT NULL,
    period       VARCHAR,
    sector       VARCHAR,
    institution  VARCHAR,
    basis        VARCHAR NOT NULL CHECK (basis IN ('offerings', 'enrolments'))
);

CREATE SEQUENCE submission_id_seq START 1;

-- One row per (file, institution, period) ever loaded, accepted or not.
CREATE TABLE submission (
    submission_id     INTEGER PRIMARY KEY DEFAULT nextval('submission_id_seq'),
    file_name         VARCHAR NOT NULL,
    file_path         VARCHAR,
    sheet             VARCHAR,
    sha256            VARCHAR NOT NULL,
    institution_code  VARCHAR,          -- NULL when the institution is unknown or unreadable
    institution_given VARCHAR,          -- the value as written in the file
    reporting_period  VARCHAR,          -- canonical YYYY/YY, NULL when malformed
    period_given      VARCHAR,
    status            VARCHAR NOT NULL CHECK (status IN ('accepted', 'partial', 'rejected')),
    header_row        INTEGER,
    rows_total        INTEGER NOT NULL,
    rows_accepted     INTEGER NOT NULL,
    rows_rejected     INTEGER NOT NULL,
    errors            INTEGER NOT NULL,
    warnings          INTEGER NOT NULL,
    allow_partial     BOOLEAN NOT NULL,
    loaded_at         TIMESTAMPTZ NOT NULL,
    superseded_by     INTEGER,
    superseded_at     TIMESTAMPTZ
);

CREATE TABLE offering (
    submission_id               INTEGER NOT NULL,
    source_row                  INTEGER NOT NULL,
    institution_code            VARCHAR NOT NULL,
    reporting_period            VARCHAR NOT NULL,
    offering_id                 VARCHAR NOT NULL,
    title                       VARCHAR NOT NULL,
    mc_type                     VARCHAR NOT NULL,
    delivery_mode               VARCHAR NOT NULL,
    credit_status               VARCHAR NOT NULL,
    credits                     DOUBLE,
    partner_categories          VARCHAR[] NOT NULL,
    continuing_education        BOOLEAN NOT NULL,
    duration_hours              DOUBLE NOT NULL,
    assessment                  BOOLEAN NOT NULL,
    recognition                 VARCHAR,
    ladders_to_credential       BOOLEAN,
    prior_learning_recognition  BOOLEAN,
    field_of_study              VARCHAR,
    ministry_funded             BOOLEAN,
    competencies                VARCHAR,
    noc_codes                   VARCHAR,
    enrolments                  BIGINT NOT NULL,
    completions                 BIGINT NOT NULL,
    tuition_cad                 DOUBLE,
    start_date                  DATE,
    end_date                    DATE
);

-- Partner categories, one row per (offering, category): queryable per category.
CREATE TABLE offering_partner (
    submission_id     INTEGER NOT NULL,
    offering_id       VARCHAR NOT NULL,
    partner_category  VARCHAR NOT NULL
);

CREATE TABLE validation_issue (
    submission_id  INTEGER NOT NULL,
    severity       VARCHAR NOT NULL CHECK (severity IN ('error', 'warning')),
    rule           VARCHAR NOT NULL,
    file_name      VARCHAR NOT NULL,
    sheet          VARCHAR,
    "row"          INTEGER,
    "column"       VARCHAR,
    value          VARCHAR,
    expected       VARCHAR,
    message        VARCHAR NOT NULL
);

-- One row per published version of the warehouse (see etl/warehouse.py).
CREATE TABLE data_version (
    version       INTEGER PRIMARY KEY,
    published_at  TIMESTAMPTZ NOT NULL,
    note          VARCHAR
);
