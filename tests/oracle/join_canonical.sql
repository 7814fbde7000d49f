-- Oracle for src/join/canonical.cc: the canonicalization rules of
-- docs/formats/join.md restated as regular expressions for DuckDB (RE2), an
-- implementation independent of podpower's hand-written matcher.
-- canon_name(kind, name, extended): extended = false gives the original
-- join_features_labels.py's rules only; true adds the Job/CronJob rules.
CREATE MACRO job_of_pod(n) AS
  nullif(regexp_extract(n, '^(.+)-[bcdfghjklmnpqrstvwxz2456789]{5}$', 1), '');
CREATE MACRO cronjob_of_job(n) AS
  nullif(regexp_extract(n, '^(.+)-[0-9]{8,}$', 1), '');
CREATE MACRO deployment_of_pod(n) AS coalesce(
  nullif(regexp_extract(n, '^(.+)-[a-f0-9]{9,}-[a-z0-9]{5}$', 1), ''),
  nullif(regexp_extract(n, '^(.+)-[a-f0-9]{9,}$', 1), ''));
CREATE MACRO canon_name(k, n, extended) AS (
  CASE
    WHEN trim(k) = 'ReplicaSet' THEN coalesce(
      nullif(regexp_extract(trim(n), '^(.+)-[a-f0-9]{9,}$', 1), ''), trim(n))
    WHEN trim(k) = 'Pod' THEN coalesce(
      deployment_of_pod(trim(n)),
      CASE WHEN extended THEN coalesce(cronjob_of_job(job_of_pod(trim(n))),
                                       job_of_pod(trim(n))) END,
      trim(n))
    WHEN trim(k) = 'Job' AND extended THEN
      coalesce(cronjob_of_job(trim(n)), trim(n))
    ELSE trim(n)
  END);
CREATE MACRO canon_kind(k, n, extended) AS (
  CASE
    WHEN trim(k) IN ('Deployment', 'ReplicaSet') THEN 'Deployment'
    WHEN trim(k) = 'Pod' AND deployment_of_pod(trim(n)) IS NOT NULL
      THEN 'Deployment'
    WHEN trim(k) = 'Pod' AND extended AND job_of_pod(trim(n)) IS NOT NULL THEN
      CASE WHEN cronjob_of_job(job_of_pod(trim(n))) IS NOT NULL THEN 'CronJob'
           ELSE 'Job' END
    WHEN trim(k) = 'Job' AND extended AND cronjob_of_job(trim(n)) IS NOT NULL
      THEN 'CronJob'
    ELSE trim(k)
  END);
