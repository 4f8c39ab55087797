-- Identity: every raw id a source used, on every fetch date, resolved to a canonical model or
-- reported as unmatched. Rules in order: not-a-model list, curated alias (matched on the
-- normalized key), moving alias (the version current on the fetch date), normalized key of a
-- model some model-defining source describes (or that two sources share), else unmatched.
-- A prefix or a guess never creates a model or merges two versions.

create or replace table core.raw_ids as
select
    source,
    raw_id,
    fetch_date,
    normalize_model_key(raw_id) as model_key,
    bool_or(subject = 'model') as has_model_obs,
    count(*) as num_observations
from raw.observations
group by all;

create or replace table core.alias_keys as
select distinct normalize_model_key(alias) as model_key, model_id, quantization
from core.registry_aliases;

-- Sources whose records define models (a catalog entry or a card), as opposed to price lists
-- and benchmark tables that only mention them.
create or replace table core.key_support as
with
per_key as (
    select
        model_key,
        count(distinct source) as num_sources,
        bool_or(source in ('openrouter', 'models_dev', 'hf_cards', 'meta_cards')) as defined
    from core.raw_ids
    group by all
),

final as (
    select *, defined or num_sources >= 2 as makes_model from per_key
)

select * from final;

create or replace table core.id_resolution as
with
moving as (
    select
        r.source,
        r.raw_id,
        r.fetch_date,
        arg_max(m.model_id, m.valid_from) as model_id
    from core.raw_ids as r
    inner join core.registry_moving_aliases as m
        on normalize_model_key(m.alias) = r.model_key and m.valid_from <= r.fetch_date
    group by all
),

-- Not models: the curated list, and every id a source itself marks as a router (OpenRouter's
-- pricing of -1 for dynamic routing is parsed as mode = 'router').
not_models as (
    -- One row per id: the curated reason wins over the source's own marking.
    select source_raw_id, null as source, arg_min(reason, priority) as reason
    from (
        select lower(raw_id) as source_raw_id, reason, 1 as priority
        from core.registry_not_models
        union all
        select distinct lower(raw_id), 'router (the source prices it dynamically)', 2
        from raw.observations
        where attribute = 'mode' and value = 'router'
    )
    group by all
),

resolved as (
    select
        r.source,
        r.raw_id,
        r.fetch_date,
        r.model_key,
        r.num_observations,
        nm.reason as not_model_reason,
        a.model_id as alias_model_id,
        a.quantization,
        mv.model_id as moving_model_id,
        coalesce(ks.makes_model, false) as makes_model
    from core.raw_ids as r
    left join not_models as nm on nm.source_raw_id = lower(r.raw_id)
    left join core.alias_keys as a on a.model_key = r.model_key
    left join moving as mv
        on mv.source = r.source and mv.raw_id = r.raw_id and mv.fetch_date = r.fetch_date
    left join core.key_support as ks on ks.model_key = r.model_key
),

final as (
    select
        source,
        raw_id,
        fetch_date,
        model_key,
        num_observations,
        case
            when not_model_reason is not null then null
            when alias_model_id is not null then alias_model_id
            when moving_model_id is not null then moving_model_id
            -- An id made only of separators normalizes to '': never a model.
            when makes_model and model_key <> '' then model_key
        end as model_id,
        quantization,
        case
            when not_model_reason is not null then 'not_a_model'
            when alias_model_id is not null then 'curated_alias'
            when moving_model_id is not null then 'moving_alias'
            when makes_model and model_key <> '' then 'normalized'
            else 'unmatched'
        end as rule,
        coalesce(not_model_reason, case when not makes_model and alias_model_id is null
            and moving_model_id is null then 'no model-defining source names this id' end) as reason
    from resolved
)

select * from final;

-- The unmatched-ids report: one row per (source, raw id), never dropped, never priced.
create or replace table core.unmatched_ids as
select
    source,
    raw_id,
    any_value(model_key) as model_key,
    any_value(rule) as rule,
    any_value(reason) as reason,
    min(fetch_date) as first_seen,
    max(fetch_date) as last_seen,
    sum(num_observations) as num_observations
from core.id_resolution
where model_id is null
group by all;
