-- Pair facts for every unordered pair of models (a.model_id < b.model_id), in one self-join
-- over compare.model_summary: no per-pair work outside SQL. Percentages say which way they go:
-- *_cheaper names the cheaper model ('a' or 'b'), *_pct_cheaper is how much less it costs
-- than the other (never above 100), *_pct_more_expensive how much more the other costs.

create or replace table compare.model_costs as
select
    model_id,
    list(struct_pack(profile_id, cost := cheapest.cost_per_month_usd, provider_id := cheapest.provider_id)
        order by profile_id) as monthly_costs
from compare.model_profile_costs
group by all;

create or replace macro pct_cheaper(x, y) as
    round((greatest(x, y) - least(x, y)) / greatest(x, y) * 100, 1);

create or replace macro pct_more_expensive(x, y) as
    round((greatest(x, y) - least(x, y)) / nullif(least(x, y), 0) * 100, 1);

create or replace macro cheaper_side(x, y) as
    case when x < y then 'a' when y < x then 'b' when x = y then 'same' end;

create or replace table compare.pair_facts as
with
m as (
    select s.*, c.monthly_costs
    from compare.model_summary as s
    left join compare.model_costs as c using (model_id)
),

final as (
    select
        a.model_id as model_a,
        b.model_id as model_b,
        a.cheapest_input.price as input_price_a,
        b.cheapest_input.price as input_price_b,
        a.cheapest_input.provider_id as input_provider_a,
        b.cheapest_input.provider_id as input_provider_b,
        cheaper_side(a.cheapest_input.price, b.cheapest_input.price) as input_cheaper,
        pct_cheaper(a.cheapest_input.price, b.cheapest_input.price) as input_pct_cheaper,
        pct_more_expensive(a.cheapest_input.price, b.cheapest_input.price) as input_pct_more_expensive,
        a.cheapest_output.price as output_price_a,
        b.cheapest_output.price as output_price_b,
        a.cheapest_output.provider_id as output_provider_a,
        b.cheapest_output.provider_id as output_provider_b,
        cheaper_side(a.cheapest_output.price, b.cheapest_output.price) as output_cheaper,
        pct_cheaper(a.cheapest_output.price, b.cheapest_output.price) as output_pct_cheaper,
        pct_more_expensive(a.cheapest_output.price, b.cheapest_output.price) as output_pct_more_expensive,
        a.cheapest_blended.price as blended_price_a,
        b.cheapest_blended.price as blended_price_b,
        cheaper_side(a.cheapest_blended.price, b.cheapest_blended.price) as blended_cheaper,
        pct_cheaper(a.cheapest_blended.price, b.cheapest_blended.price) as blended_pct_cheaper,
        list_transform(list_zip(a.monthly_costs, b.monthly_costs), x -> struct_pack(
            profile_id := x[1].profile_id,
            cost_a := x[1].cost,
            cost_b := x[2].cost,
            cheaper := cheaper_side(x[1].cost, x[2].cost),
            pct_cheaper := pct_cheaper(x[1].cost, x[2].cost)
        )) as monthly_costs,
        a.context_window as context_window_a,
        b.context_window as context_window_b,
        case when a.context_window > b.context_window then 'a'
            when b.context_window > a.context_window then 'b'
            when a.context_window = b.context_window then 'same' end as larger_context,
        a.max_output_tokens as max_output_a,
        b.max_output_tokens as max_output_b,
        list_filter([
            case when a.vision and not b.vision then 'vision' end,
            case when a.reasoning and not b.reasoning then 'reasoning' end,
            case when a.tool_calling and not b.tool_calling then 'tool_calling' end,
            case when a.structured_output and not b.structured_output then 'structured_output' end
        ], x -> x is not null) as only_a_capabilities,
        list_filter([
            case when b.vision and not a.vision then 'vision' end,
            case when b.reasoning and not a.reasoning then 'reasoning' end,
            case when b.tool_calling and not a.tool_calling then 'tool_calling' end,
            case when b.structured_output and not a.structured_output then 'structured_output' end
        ], x -> x is not null) as only_b_capabilities,
        list_filter([
            case when a.vision is null or b.vision is null then 'vision' end,
            case when a.reasoning is null or b.reasoning is null then 'reasoning' end,
            case when a.tool_calling is null or b.tool_calling is null then 'tool_calling' end,
            case when a.structured_output is null or b.structured_output is null then 'structured_output' end
        ], x -> x is not null) as unknown_capabilities,
        a.license as license_a,
        b.license as license_b,
        a.open_weights as open_weights_a,
        b.open_weights as open_weights_b,
        a.release_date as release_date_a,
        b.release_date as release_date_b,
        list_intersect(a.providers, b.providers) as shared_providers,
        list_intersect(a.benchmarks, b.benchmarks) as shared_benchmarks,
        a.num_conflicts as conflicts_a,
        b.num_conflicts as conflicts_b,
        a.publish and b.publish as published
    from m as a
    inner join m as b on a.model_id < b.model_id
)

select * from final;
