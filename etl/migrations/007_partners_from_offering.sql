-- 007: current_offering_partners unnests the partner lists that offering already holds. The
-- offering_partner table held the same rows a second time: written on every load (0.3-0.4 s of
-- a 1M-offering load, 1.46M rows) and read by no query of mcred's own. The view's columns and
-- rows are as before.
DROP VIEW current_offering_partners;
DROP TABLE offering_partner;

CREATE VIEW current_offering_partners AS
SELECT o.submission_id, o.offering_id, unnest(o.partner_categories) AS partner_category
FROM offering o
JOIN submission s ON s.submission_id = o.submission_id
WHERE s.status IN ('accepted', 'partial') AND s.superseded_by IS NULL;
