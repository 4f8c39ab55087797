-- The catalog: one row per canonical model and one per offering, with first / last seen and
-- whether each source still lists it. Models are never deleted: a model gone from every source
-- keeps its rows with its last-seen date.

create or replace table core.models as
with
seen as (
    select
        model_id,
        min(fetch_date) as first_seen,
        max(fetch_date) as last_seen,
        count(distinct source) as num_sources,
        count(distinct offering_id) as num_offerings
    from core.typed_observations
    group by all
),

names as (
    -- The name most sources use; ties go to the alphabetically first, so it is stable.
    select model_id, arg_max(value, (num_uses, value)) as observed_name
    from (
        select model_id, value, count(*) as num_uses
        from core.typed_observations
        where attribute = 'name' and value is not null
        group by all
    )
    group by all
),

final as (
    select
        s.model_id,
        coalesce(r.name, n.observed_name, s.model_id) as name,
        r.creator,
        r.family,
        r.version,
        r.size,
        r.variant,
        r.model_id is not null as curated,
        coalesce(r.publish, false) as publish,
        s.first_seen,
        s.last_seen,
        s.num_sources,
        s.num_offerings
    from seen as s
    left join core.registry_models as r using (model_id)
    left join names as n using (model_id)
)

select * from final;

create or replace table core.offerings as
with
per_source as (
    -- Per source: when it last listed the offering, and whether a response it currently
    -- stands by (core.current_responses) still lists it.
    select
        offering_id,
        source,
        max(fetch_date) as last_seen_in_source,
        bool_or(response_id in (select response_id from core.current_responses)) as listed_now
    from core.typed_observations
    where subject = 'offering'
    group by all
),

presence as (
    select
        offering_id,
        list(struct_pack(source := source, last_seen := last_seen_in_source,
            listed_now := listed_now) order by source) as seen_in,
        bool_or(listed_now) as listed_now
    from per_source
    group by all
),

base as (
    select
        offering_id,
        any_value(model_id) as model_id,
        any_value(provider_id) as provider_id,
        any_value(region) as region,
        any_value(variant) as variant,
        any_value(quantization) as quantization,
        min(fetch_date) as first_seen,
        max(fetch_date) as last_seen,
        list(distinct raw_id order by raw_id) as raw_ids
    from core.typed_observations
    where subject = 'offering'
    group by all
),

prices as (
    select
        offering_id,
        bool_and(num_value = 0) filter (where attribute in ('price_input', 'price_output')
            and tier_min_tokens = 0) as all_zero,
        count(*) filter (where attribute in ('price_input', 'price_output')) as num_prices
    from core.facts
    where scope = 'offering'
    group by all
),

final as (
    select
        b.*,
        coalesce(p.name, b.provider_id) as provider_name,
        coalesce(p.kind, 'unknown') as provider_kind,
        coalesce(b.variant = 'free', false) or coalesce(pr.all_zero, false) as is_free,
        coalesce(pr.num_prices, 0) > 0 as has_prices,
        pe.listed_now,
        pe.seen_in
    from base as b
    left join (select distinct provider, name, kind from core.registry_providers) as p
        on p.provider = b.provider_id
    left join prices as pr using (offering_id)
    left join presence as pe using (offering_id)
)

select * from final;

-- Price history per offering, price kind, tier and source, in llm-prices' convention: USD per
-- million tokens, valid_from inclusive, valid_to exclusive, null = still valid. Built from the
-- fetch series (a run of equal values between changes is one row) and from the dated rows a
-- source states itself. A price that vanished from its source ends on the first fetch without it.
create or replace table core.price_history as
with
series as (
    select
        offering_id,
        model_id,
        provider_id,
        attribute,
        tier_key as tier_min_tokens,
        source,
        fetch_date,
        min(fetched_at) as fetched_at,
        arg_min(response_id, (fetched_at, response_id)) as response_id,
        min(num_value) as num_value  -- two rows of one source for one offering on one date: the lower, so it is stable
    from core.typed_observations
    where subject = 'offering' and std_unit = 'usd_per_million_tokens' and flag is null
        and valid_from is null and valid_to is null
    group by all
),

changes as (
    select
        *,
        case when lag(num_value) over w is distinct from num_value then 1 else 0 end as is_change
    from series
    window w as (partition by offering_id, attribute, tier_min_tokens, source order by fetch_date)
),

runs as (
    select
        *,
        sum(is_change) over (partition by offering_id, attribute, tier_min_tokens, source
            order by fetch_date rows unbounded preceding) as run_id
    from changes
),

collapsed as (
    select
        offering_id, model_id, provider_id, attribute, tier_min_tokens, source, run_id,
        min(num_value) as num_value,
        min(fetch_date) as valid_from,
        max(fetch_date) as last_seen,
        min(fetched_at) as first_fetched_at,
        -- The response that first showed this value.
        arg_min(response_id, (fetch_date, response_id)) as response_id
    from runs
    group by all
),

source_fetches as (
    select distinct source, fetch_date from raw.source_loads where status = 'ok'
),

ended as (
    select
        c.*,
        coalesce(
            lead(c.valid_from) over (partition by c.offering_id, c.attribute, c.tier_min_tokens,
                c.source order by c.valid_from),
            (select min(f.fetch_date) from source_fetches as f
                where f.source = c.source and f.fetch_date > c.last_seen)
        ) as valid_to
    from collapsed as c
),

stated as (
    select
        offering_id, model_id, provider_id, attribute, tier_key as tier_min_tokens, source,
        null::bigint as run_id,
        min(num_value) as num_value,
        valid_from,
        max(fetch_date) as last_seen,
        min(fetched_at) as first_fetched_at,
        arg_min(response_id, (fetched_at, response_id)) as response_id,
        valid_to
    from core.typed_observations
    where subject = 'offering' and std_unit = 'usd_per_million_tokens' and flag is null
        and (valid_from is not null or valid_to is not null)
    group by all
),

final as (
    select *, 'fetch_series' as basis from ended
    union all by name
    select *, 'stated_by_source' as basis from stated
)

select * exclude (run_id) from final;
