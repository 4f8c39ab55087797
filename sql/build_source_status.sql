-- One row per source: its last good fetch, its last attempt, and whether it is fresh, stale
-- (last good data older than its allowed age at the run's as-of date), failing (the newest
-- attempt failed; the last good data is still used) or missing. Parameter: $as_of (date).
create or replace table core.source_status as
with
good as (
    select source, max(fetch_date) as last_good_fetch_date
    from raw.source_loads
    where status = 'ok'
    group by all
),

attempts as (
    select
        source,
        arg_max(status, loaded_at) as last_status,
        arg_max(error, loaded_at) as last_error,
        arg_max(fetch_date, loaded_at) as last_attempt_fetch_date
    from raw.source_loads
    group by all
),

fetched as (
    select source, fetch_date, max(fetched_at) as fetched_at, bool_or(fetched_at_approximate) as approximate
    from raw.responses
    group by all
),

final as (
    select
        s.source,
        s.title,
        s.max_age_days,
        s.made_fixture,
        g.last_good_fetch_date,
        f.fetched_at as last_good_fetched_at,
        coalesce(f.approximate, false) as fetched_at_approximate,
        a.last_status,
        a.last_error,
        cast($as_of as date) - g.last_good_fetch_date as age_days,
        case
            when g.last_good_fetch_date is null then 'missing'
            when a.last_status = 'failed' then 'failing'
            when cast($as_of as date) - g.last_good_fetch_date > s.max_age_days then 'stale'
            else 'fresh'
        end as freshness
    from core.source_specs as s
    left join good as g using (source)
    left join attempts as a using (source)
    left join fetched as f on f.source = s.source and f.fetch_date = g.last_good_fetch_date
)

select * from final;
