-- Monthly cost of each paid offering under each traffic profile, tier-aware, and the cheapest
-- offering per model and profile. A tier applies by the input size of one request:
-- 'whole_request' reprices every token of a request whose input passes the threshold;
-- 'excess' charges the tier price only on input tokens above it. Money stays decimal.

create or replace table compare.offering_profile_costs as
with
paid as (
    select offering_id, model_id, provider_id, provider_name, region
    from compare.offering_prices
    where is_paid and listed_now
),

prices as (
    select f.offering_id, f.attribute, f.tier_min_tokens, coalesce(f.tier_rule, 'whole_request') as tier_rule,
        f.num_value, f.verified_at
    from core.facts as f
    inner join paid using (offering_id)
    where f.scope = 'offering' and f.attribute in ('price_input', 'price_output', 'price_cache_read')
),

picked as (
    -- Per offering, profile and price kind: the base price and the highest tier the request passes.
    select
        t.profile_id,
        p.offering_id,
        p.attribute,
        max(p.num_value) filter (where p.tier_min_tokens = 0) as base_price,
        arg_max(p.num_value, p.tier_min_tokens) as tier_price,
        arg_max(p.tier_rule, p.tier_min_tokens) as tier_rule,
        max(p.tier_min_tokens) as tier_min_tokens,
        min(p.verified_at) as verified_at
    from prices as p
    cross join compare.traffic_profiles as t
    where p.tier_min_tokens = 0 or t.input_tokens_per_request > p.tier_min_tokens
    group by all
),

pivoted as (
    select
        profile_id,
        offering_id,
        max(tier_min_tokens) as tier_min_tokens,
        any_value(tier_rule) filter (where attribute = 'price_input') as tier_rule,
        max(base_price) filter (where attribute = 'price_input') as input_base,
        max(tier_price) filter (where attribute = 'price_input') as input_tier,
        max(tier_price) filter (where attribute = 'price_output') as output_price,
        max(tier_price) filter (where attribute = 'price_cache_read') as cache_read_price,
        min(verified_at) as verified_at
    from picked
    group by all
),

costed as (
    select
        v.*,
        t.requests_per_month,
        t.input_tokens_per_request,
        t.output_tokens_per_request,
        t.cached_input_share,
        (t.input_tokens_per_request * (1 - t.cached_input_share))::decimal(38, 6) as uncached_in,
        (t.input_tokens_per_request * t.cached_input_share)::decimal(38, 6) as cached_in
    from pivoted as v
    inner join compare.traffic_profiles as t using (profile_id)
    where v.input_base is not null and v.output_price is not null
),

-- A request that cannot fit is not priced: the offering's own context window, else the
-- model's, must hold the profile's input and output. Unknown windows are not held against it.
fits as (
    select c.*
    from costed as c
    inner join paid as p using (offering_id)
    left join core.facts as oc
        on oc.scope = 'offering' and oc.subject_id = c.offering_id and oc.attribute = 'context_window'
    left join core.facts as mc
        on mc.scope = 'model' and mc.subject_id = p.model_id and mc.attribute = 'context_window'
    where coalesce(oc.num_value, mc.num_value) is null
        or coalesce(oc.num_value, mc.num_value)
            >= c.input_tokens_per_request + c.output_tokens_per_request
),

final as (
    select
        c.profile_id,
        c.offering_id,
        p.model_id,
        p.provider_id,
        p.provider_name,
        p.region,
        c.tier_min_tokens,
        c.tier_rule,
        c.verified_at,
        ((case
            when c.tier_min_tokens > 0 and c.tier_rule = 'excess' then
                (c.tier_min_tokens * c.input_base
                    + (c.input_tokens_per_request - c.tier_min_tokens) * c.input_tier)
                    * (1 - c.cached_input_share)
            else c.uncached_in * c.input_tier
        end
            + c.cached_in * coalesce(c.cache_read_price, c.input_tier)
            + c.output_tokens_per_request * c.output_price
        -- Times 10^-6 rather than divided by 10^6: DuckDB divides decimals into doubles, and
        -- money stays exact.
        ) * 0.000001)::decimal(38, 12) as cost_per_request_usd
    from fits as c
    inner join paid as p using (offering_id)
)

select
    *,
    (cost_per_request_usd * (select requests_per_month from compare.traffic_profiles as t
        where t.profile_id = final.profile_id))::decimal(38, 12) as cost_per_month_usd
from final;

create or replace table compare.model_profile_costs as
select
    m.model_id,
    t.profile_id,
    arg_min(struct_pack(c.offering_id, c.provider_id, c.provider_name, c.region,
        c.tier_min_tokens, c.tier_rule, cost_per_month_usd := round(c.cost_per_month_usd, 6),
        c.verified_at), (c.cost_per_month_usd, c.provider_id, c.offering_id)) as cheapest
from core.models as m
cross join compare.traffic_profiles as t
left join compare.offering_profile_costs as c
    on c.model_id = m.model_id and c.profile_id = t.profile_id
group by all;
