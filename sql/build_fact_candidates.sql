-- Fact candidates: the current observations (each source's last good fetch, still valid on
-- $as_of) of every offering and model, ranked by precedence, with the reason any is rejected.
-- sql/choose_facts.sql picks one value from them.

-- The newest loaded response of every URL of every source, up to $as_of: what each source
-- currently says. Per URL, not per source: a source whose URLs were fetched on different
-- dates (one model card per model) keeps every URL's newest response.
create or replace table core.current_responses as
select source, url, arg_max(response_id, (fetched_at, response_id)) as response_id
from raw.responses
where fetch_date <= cast($as_of as date)
    and response_id in (select distinct response_id from raw.observations)
group by all;

create or replace table core.current_observations as
with
latest as (
    select t.*
    from core.typed_observations as t
    where t.response_id in (select response_id from core.current_responses)
        and (t.valid_to is null or t.valid_to > cast($as_of as date))
        and (t.valid_from is null or t.valid_from <= cast($as_of as date))
),

-- Where the latest fetch only restated an undated value against the source's own dated
-- history, the newest dated row covering $as_of (from an earlier fetch) stays current.
kept_history as (
    select d.*
    from core.typed_observations as d
    where d.flag is null and d.valid_from is not null
        and d.valid_from <= cast($as_of as date)
        and (d.valid_to is null or d.valid_to > cast($as_of as date))
        and exists (
            select 1 from latest as l
            where l.flag = 'undated_restatement_contradicts_history'
                and l.source = d.source and l.subject = d.subject and l.attribute = d.attribute
                and l.offering_id is not distinct from d.offering_id and l.model_id = d.model_id
                and l.tier_key = d.tier_key and l.qualifier_key = d.qualifier_key
        )
    qualify row_number() over (
        partition by d.source, d.subject, d.offering_id, d.model_id, d.attribute, d.tier_key, d.qualifier_key
        order by d.fetch_date desc, d.obs_id
    ) = 1
),

final as (
    select * from latest
    union all by name
    select * from kept_history
)

select * from final;

-- Prices far from every other provider's price for the same model are kept out too: a unit
-- slip (per-token read as per-million) lands 10^6 away; real spreads stay within 100x.
create or replace table core.price_outliers as
with
paid as (
    select model_id, attribute, tier_key, offering_id, num_value
    from core.current_observations
    where subject = 'offering' and std_unit = 'usd_per_million_tokens' and flag is null
        and num_value > 0 and attribute in ('price_input', 'price_output')
),

medians as (
    select model_id, attribute, tier_key, median(num_value) as median_value,
        count(distinct offering_id) as num_offerings
    from paid
    group by all
),

final as (
    select p.model_id, p.attribute, p.tier_key, p.offering_id, p.num_value, m.median_value
    from paid as p
    inner join medians as m using (model_id, attribute, tier_key)
    where m.num_offerings >= 3
        and (p.num_value > m.median_value * 100 or p.num_value < m.median_value / 100)
)

select * from final;

create or replace table core.fact_candidates as
with
offering_level as (
    select
        'offering' as scope,
        c.offering_id as subject_id,
        c.*,
        offering_source_rank(c.source, c.provider_id) as rank
    from core.current_observations as c
    where c.subject = 'offering'
),

model_level as (
    select
        'model' as scope,
        c.model_id as subject_id,
        c.*,
        model_source_rank(c.source, c.subject) as rank
    from core.current_observations as c
    where c.subject = 'model'
        or c.attribute in ('context_window', 'vision', 'reasoning', 'tool_calling',
            'structured_output', 'open_weights', 'license', 'knowledge_cutoff')
),

unioned as (
    select * from offering_level
    union all by name
    select * from model_level
),

final as (
    select
        u.*,
        coalesce(u.flag, case when o.offering_id is not null then 'outlier_vs_providers' end)
            as reject_reason
    from unioned as u
    left join core.price_outliers as o
        on o.offering_id = u.offering_id and o.attribute = u.attribute
        and o.tier_key = u.tier_key and u.scope = 'offering'
)

select * from final;
