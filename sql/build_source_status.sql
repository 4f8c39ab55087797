-- One row per source: its last good fetch, its newest attempt, and whether it is fresh, stale
-- (last good data older than its allowed age at the run's as-of date), failing (the attempt on
-- its newest attempted fetch date failed or was rejected; the last good data is still used) or
-- missing (never loaded). Parameter: $as_of (date): the wall clock when live, the archive's
-- newest fetch in replay, so a replay run judges staleness the same way every time.
--
-- Statuses in raw.source_loads: 'ok' (slice loaded), 'failed' (fetch or parse failed; the
-- slice keeps what it held), 'rejected' (an operator removed the slice after a blocking check),
-- 'accepted' (an operator vouched for a slice a check had flagged). The newest attempt is the
-- one on the newest fetch date, so backfilling old dates never hides tonight's failure.
-- The last good fetch is the newest on or before $as_of: judged at an earlier as-of date, a
-- source first fetched later is missing, never "fresh" with a negative age. Failed attempts
-- count whatever their date (in replay $as_of is the newest good fetch, and a failure on a
-- later night is exactly what must show).
create or replace table core.source_status as
with
good as (
    select source, max(fetch_date) as last_good_fetch_date
    from raw.source_loads
    where status = 'ok' and fetch_date <= cast($as_of as date)
    group by all
),

slices as (
    select
        source,
        fetch_date,
        arg_max(status, loaded_at) as status
    from raw.source_loads
    where status <> 'accepted'
    group by all
),

failed_slices as (
    select source, list(fetch_date order by fetch_date) as failed_fetch_dates
    from slices
    where status in ('failed', 'rejected')
    group by all
),

attempts as (
    select
        source,
        arg_max(status, (fetch_date, loaded_at)) as last_status,
        arg_max(error, (fetch_date, loaded_at)) as last_error,
        max(fetch_date) as last_attempt_fetch_date,
        max(loaded_at) as last_attempt_at
    from raw.source_loads
    group by all
),

fetched as (
    select
        source,
        fetch_date,
        max(fetched_at) as fetched_at,
        bool_or(fetched_at_approximate) as approximate
    from raw.responses
    group by all
),

final as (
    select
        s.source,
        s.title,
        s.refresh,
        s.max_age_days,
        s.made_fixture,
        g.last_good_fetch_date,
        f.fetched_at as last_good_fetched_at,
        coalesce(f.approximate, false) as fetched_at_approximate,
        a.last_status,
        a.last_error,
        a.last_attempt_fetch_date,
        a.last_attempt_at,
        coalesce(fs.failed_fetch_dates, []) as failed_fetch_dates,
        cast($as_of as date) as as_of,
        cast($as_of as date) - g.last_good_fetch_date as age_days,
        case
            when g.last_good_fetch_date is null then 'missing'
            when a.last_status in ('failed', 'rejected') then 'failing'
            when cast($as_of as date) - g.last_good_fetch_date > s.max_age_days then 'stale'
            else 'fresh'
        end as freshness
    from core.source_specs as s
    left join good as g using (source)
    left join attempts as a using (source)
    left join failed_slices as fs using (source)
    left join fetched as f on f.source = s.source and f.fetch_date = g.last_good_fetch_date
)

select * from final;
