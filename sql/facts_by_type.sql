-- The most frequent extracted names per fact type.
SELECT fact_type, lower(name) AS name, count(*) AS n, count(DISTINCT patient_key) AS patients
FROM facts
GROUP BY ALL
ORDER BY fact_type, n DESC, name
LIMIT 50;
