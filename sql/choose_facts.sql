-- Facts: one published value per (offering or model, attribute, qualifier, tier), chosen from
-- core.fact_candidates by written precedence, with every observation behind it, verified_at
-- (the newest fetch that confirmed the value) and a conflict flag when an unflagged
-- observation disagrees beyond tolerance. Run twice: see sql/reject_inconsistent_candidates.sql.

create or replace table core.facts as
with
usable as (
    select *
    from core.fact_candidates
    where reject_reason is null and (num_value is not null or text_value is not null)
),

-- How many observations of the same scope and rank say exactly this value: at rank 9 (what
-- the offerings say about the model) the most common value wins.
supported as (
    select
        *,
        count(*) over (partition by scope, subject_id, attribute, qualifier_key, tier_key, rank,
            coalesce(num_value::varchar, text_value)) as support
    from usable
),

chosen as (
    select *
    from supported
    qualify row_number() over (
        partition by scope, subject_id, attribute, qualifier_key, tier_key
        order by rank, support desc, fetched_at desc, obs_id
    ) = 1
),

judged as (
    select
        c.scope,
        c.subject_id,
        c.attribute,
        c.qualifier_key,
        c.tier_key,
        u.obs_id,
        u.source,
        u.fetched_at,
        values_agree(c.attribute, c.num_value, c.text_value, u.num_value, u.text_value) as agrees
    from chosen as c
    inner join usable as u using (scope, subject_id, attribute, qualifier_key, tier_key)
),

summary as (
    select
        scope,
        subject_id,
        attribute,
        qualifier_key,
        tier_key,
        max(fetched_at) filter (where agrees) as verified_at,
        count(*) as num_observations,
        count(*) filter (where agrees) as num_agreeing,
        count(*) filter (where not agrees) as num_disagreeing
    from judged
    group by all
),

final as (
    select
        c.scope,
        c.subject_id,
        c.model_id,
        c.offering_id,
        c.provider_id,
        c.region,
        c.variant,
        c.quantization,
        c.attribute,
        c.qualifier_key as qualifier,
        c.tier_key as tier_min_tokens,
        c.tier_rule,
        c.num_value,
        c.text_value,
        c.std_unit as unit,
        c.is_free,
        c.output_equals_context,
        c.source as chosen_source,
        c.obs_id as chosen_obs_id,
        c.rank as chosen_rank,
        s.verified_at,
        s.num_observations,
        s.num_agreeing,
        s.num_disagreeing,
        s.num_disagreeing > 0 as has_conflict
    from chosen as c
    inner join summary as s using (scope, subject_id, attribute, qualifier_key, tier_key)
)

select * from final;

-- Every observation behind each fact, including rejected ones, with whether it agrees.
create or replace table core.fact_sources as
select
    f.scope,
    f.subject_id,
    f.attribute,
    f.qualifier,
    f.tier_min_tokens,
    c.obs_id,
    c.response_id,
    c.source,
    c.raw_id,
    c.provider_id,
    c.value as raw_value,
    c.unit as raw_unit,
    c.num_value,
    c.text_value,
    c.fetched_at,
    c.rank,
    c.reject_reason,
    c.obs_id = f.chosen_obs_id as is_chosen,
    c.reject_reason is null
        and values_agree(f.attribute, f.num_value, f.text_value, c.num_value, c.text_value) as agrees
from core.facts as f
inner join core.fact_candidates as c
    on c.scope = f.scope and c.subject_id = f.subject_id and c.attribute = f.attribute
    and c.qualifier_key = f.qualifier and c.tier_key = f.tier_min_tokens;

-- The conflicts report: facts with an unflagged observation that disagrees, every side shown.
create or replace table core.conflicts as
select
    f.scope,
    f.subject_id,
    f.model_id,
    f.attribute,
    f.qualifier,
    f.tier_min_tokens,
    coalesce(f.num_value::varchar, f.text_value) as published_value,
    f.chosen_source,
    list(struct_pack(source := s.source, raw_id := s.raw_id, provider_id := s.provider_id,
        value := coalesce(s.num_value::varchar, s.text_value), fetched_at := s.fetched_at,
        agrees := s.agrees, response_id := s.response_id)
        order by s.agrees desc, s.source, s.raw_id, s.provider_id, s.response_id) as sides
from core.facts as f
inner join core.fact_sources as s using (scope, subject_id, attribute, qualifier, tier_min_tokens)
where f.has_conflict and s.reject_reason is null
group by all;

-- Offerings whose own limits cannot hold the model's context window (max input plus max
-- output below it): a provider serving a shorter context, or a source that wrote the context
-- into the wrong field. Reported next to the model's context fact as a conflict of its own.
insert into core.conflicts
with
ctx as (
    select model_id, num_value as context_window, chosen_source
    from core.facts
    where scope = 'model' and attribute = 'context_window'
),

limits as (
    select model_id, offering_id, source, response_id, raw_id, provider_id, fetched_at,
        max(num_value) filter (where attribute = 'max_input_tokens') as max_input,
        max(num_value) filter (where attribute = 'max_output_tokens') as max_output,
        max(num_value) filter (where attribute = 'context_window') as offering_context
    from core.current_observations
    where subject = 'offering' and flag is null
    group by all
),

short as (
    select l.*, c.context_window, c.chosen_source
    from limits as l
    inner join ctx as c using (model_id)
    where l.offering_context is null and l.max_input is not null
        and l.max_input + coalesce(l.max_output, 0) < c.context_window * 0.97
)

select
    'model' as scope,
    model_id as subject_id,
    model_id,
    'context_window' as attribute,
    'offering limits below context' as qualifier,
    0 as tier_min_tokens,
    any_value(context_window)::varchar as published_value,
    any_value(chosen_source) as chosen_source,
    list(struct_pack(source := source, raw_id := raw_id, provider_id := provider_id,
        value := 'max input ' || max_input::bigint || coalesce(', max output ' || max_output::bigint, ''),
        fetched_at := fetched_at, agrees := false, response_id := response_id)
        order by source, raw_id, provider_id, offering_id, response_id) as sides
from short
group by all;

-- Every observation kept out of the facts, with what the source said and why: the reviewers'
-- list, and what the plausibility check names.
create or replace table core.rejected_observations as
select
    scope, subject_id, model_id, offering_id, provider_id, source, raw_id, attribute,
    tier_key as tier_min_tokens, value as raw_value, unit as raw_unit, num_value, reject_reason,
    fetched_at, response_id
from core.fact_candidates
where reject_reason is not null;
