-- Every observation of a resolved model, with its offering, its value read into one unit, and
-- the row-level plausibility flags. A flagged row is kept (a reviewer sees what the source
-- said) but never becomes a fact. Unresolved ids stay in core.unmatched_ids.

create or replace table core.typed_observations as
with
resolved as (
    select
        o.* exclude (region, quantization),
        r.model_id,
        r.rule as id_rule,
        case when o.subject = 'offering'
            then coalesce(p.provider, provider_spelling(coalesce(o.provider, o.source)))
        end as provider_id,
        case when o.subject = 'offering' then coalesce(o.region, region_of_id(o.raw_id)) end as region,
        case when o.subject = 'offering' then coalesce(o.quantization, r.quantization) end as quantization
    from raw.observations as o
    inner join core.id_resolution as r using (source, raw_id, fetch_date)
    left join core.registry_providers as p
        on p.spelling = provider_spelling(coalesce(o.provider, o.source))
    where r.model_id is not null
),

typed as (
    select
        *,
        case when subject = 'offering' then substr(md5(concat_ws('|', model_id, provider_id,
            coalesce(region, ''), coalesce(variant, ''), coalesce(quantization, ''))), 1, 16)
        end as offering_id,
        coalesce(qualifier, '') as qualifier_key,
        coalesce(tier_min_tokens, 0) as tier_key,
        case
            when attribute like 'price\_%' escape '\' then coalesce(
                usd_per_mtok(value, unit),
                case when unit in ('usd_per_image', 'usd_per_request')
                    then try_cast(value as decimal(38, 12)) end)
            when attribute in ('context_window', 'max_input_tokens', 'max_output_tokens')
                then parse_tokens(value)::decimal(38, 12)
            when attribute in ('parameters', 'benchmark', 'output_speed', 'time_to_first_token')
                then try_cast(replace(trim(value), '%', '') as decimal(38, 12))
        end as num_value,
        case
            when attribute in ('vision', 'reasoning', 'tool_calling', 'structured_output',
                'json_mode', 'audio_input', 'open_weights')
                then case lower(trim(value)) when 'true' then 'true' when 'false' then 'false' end
            when attribute in ('release_date', 'knowledge_cutoff', 'deprecation_date', 'listed_at')
                then case
                    when try_cast(value as date) is not null then value
                    when regexp_matches(value, '^\d{4}-(0[1-9]|1[0-2])$') then value
                end
            when attribute = 'license' then coalesce(ls.license_id, lower(trim(value)))
            else value
        end as text_value,
        case
            when attribute like 'price\_%' escape '\' then case
                when unit in ('usd_per_token', 'usd_per_1k_tokens', 'usd_per_million_tokens')
                    then 'usd_per_million_tokens'
                else unit end
            when attribute in ('context_window', 'max_input_tokens', 'max_output_tokens') then 'tokens'
            else unit
        end as std_unit
    from resolved
    left join core.registry_license_spellings as ls
        on resolved.attribute = 'license' and ls.spelling = lower(trim(resolved.value))
),

-- Limits and prices stated side by side in one record, for the cross-field checks.
siblings as (
    select
        response_id,
        raw_id,
        coalesce(provider, '') as provider_key,
        coalesce(variant, '') as variant_key,
        tier_key,
        max(case when attribute = 'context_window' then num_value end) as context_window,
        max(case when attribute = 'price_input' then num_value end) as price_input
    from typed
    group by all
),

final as (
    select
        t.*,
        case
            when t.value is null then 'unknown'
            when t.attribute like 'price\_%' escape '\' and t.num_value is null then 'unparseable'
            when t.attribute like 'price\_%' escape '\' and t.num_value < 0 then 'negative'
            when t.std_unit = 'usd_per_million_tokens' and t.num_value > 1000 then 'implausible_high'
            when t.std_unit = 'usd_per_million_tokens' and t.num_value > 0
                and t.num_value < 0.0001 then 'implausible_low'
            when t.attribute = 'price_cache_read' and t.num_value > s.price_input then 'cache_above_input'
            when t.attribute in ('context_window', 'max_input_tokens', 'max_output_tokens')
                and (t.num_value is null or t.num_value <= 0 or t.num_value > 100000000)
                then 'implausible_tokens'
            when t.attribute = 'max_output_tokens' and t.num_value > s.context_window
                then 'max_output_above_context'
            when t.attribute in ('parameters', 'benchmark', 'output_speed', 'time_to_first_token')
                and t.num_value is null then 'unparseable'
            when t.attribute in ('vision', 'reasoning', 'tool_calling', 'structured_output',
                'json_mode', 'audio_input', 'open_weights', 'release_date', 'knowledge_cutoff',
                'deprecation_date', 'listed_at') and t.text_value is null then 'unparseable'
            when t.attribute = 'release_date' and m.version is not null
                and left(t.text_value, 7) < left(strftime(version_date(m.version), '%Y-%m'), 7)
                then 'before_version_date'
        end as flag,
        t.attribute = 'max_output_tokens' and t.num_value = s.context_window as output_equals_context,
        t.std_unit = 'usd_per_million_tokens' and t.num_value = 0 as is_free
    from typed as t
    left join siblings as s
        on s.response_id = t.response_id and s.raw_id = t.raw_id
        and s.provider_key = coalesce(t.provider, '') and s.variant_key = coalesce(t.variant, '')
        and s.tier_key = t.tier_key
    left join core.registry_models as m on m.model_id = t.model_id
)

select * from final;

-- A source that dates its prices (valid_from) and later restates an undated value that
-- contradicts the dated row covering that date has lost its history, not changed its price
-- (C09: a data migration put back a superseded price). The undated row is flagged, so it never
-- becomes a fact or a history row; the dated history stays.
update core.typed_observations as u
set flag = 'undated_restatement_contradicts_history'
from core.typed_observations as d
where u.flag is null
    and u.valid_from is null and u.valid_to is null
    and d.flag is null and d.valid_from is not null
    and d.source = u.source and d.fetch_date < u.fetch_date
    and d.subject = u.subject and d.attribute = u.attribute
    and d.offering_id is not distinct from u.offering_id
    and d.model_id = u.model_id
    and d.tier_key = u.tier_key and d.qualifier_key = u.qualifier_key
    and d.valid_from <= u.fetch_date and (d.valid_to is null or d.valid_to > u.fetch_date)
    and not values_agree(u.attribute, u.num_value, u.text_value, d.num_value, d.text_value);

-- A cached-input price whose share of the input price matches none of the shares the same
-- source dated for the same offering is suspect even when its own number looks fine.
create or replace temp table dated_cache_ratios as
select dc.source, dc.offering_id, dc.num_value / di.num_value as ratio
from core.typed_observations as dc
inner join core.typed_observations as di
    on di.response_id = dc.response_id and di.offering_id = dc.offering_id
    and di.attribute = 'price_input' and di.valid_from = dc.valid_from
    and di.tier_key = dc.tier_key and di.num_value > 0
where dc.attribute = 'price_cache_read' and dc.valid_from is not null;

update core.typed_observations as c
set flag = 'cache_ratio_unlike_dated_history'
from core.typed_observations as i
where c.flag is null
    and c.attribute = 'price_cache_read' and c.valid_from is null
    and i.response_id = c.response_id and i.offering_id = c.offering_id
    and i.attribute = 'price_input' and i.valid_from is null and i.tier_key = c.tier_key
    and i.num_value > 0
    and exists (
        select 1 from dated_cache_ratios as d
        where d.source = c.source and d.offering_id = c.offering_id
    )
    and not exists (
        select 1 from dated_cache_ratios as d
        where d.source = c.source and d.offering_id = c.offering_id
            and abs(d.ratio - c.num_value / i.num_value) <= 0.2 * d.ratio
    );
