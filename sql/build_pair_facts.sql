-- Pair facts for every unordered pair of models (key_a < key_b), in one self-join
-- over compare.model_summary: no per-pair work outside SQL, and only scalar work per pair
-- (capabilities as bitmasks, shared providers and benchmarks as bit counts of an AND) so the
-- join runs at the speed of a bare self-join. Percentages say which way they go: *_cheaper
-- names the cheaper model ('a', 'b' or 'same'), *_pct_cheaper is how much less it costs than
-- the other (never above 100), *_pct_more_expensive how much more the other costs.
-- The pair table holds only what is specific to the pair; per-model facts (prices, limits,
-- licenses, release dates) stay in compare.model_summary, and compare.pair_facts_readable
-- joins them back and decodes the bitmasks for people and for the documents.

create or replace macro pct_cheaper(x, y) as
    round((greatest(x, y) - least(x, y))::double / greatest(x, y)::double * 100, 1);

create or replace macro pct_more_expensive(x, y) as
    round((greatest(x, y) - least(x, y))::double / nullif(least(x, y), 0)::double * 100, 1);

create or replace macro cheaper_side(x, y) as
    case when x < y then 'a' when y < x then 'b' when x = y then 'same' end;

create or replace table compare.pair_facts as
with
m as (
    select
        model_key, input_price, output_price, blended_price, context_window, caps_known,
        caps_true, provider_bits, benchmark_bits, publish
    from compare.model_summary
),

final as (
    select
        a.model_key as key_a,
        b.model_key as key_b,
        cheaper_side(a.input_price, b.input_price) as input_cheaper,
        pct_cheaper(a.input_price, b.input_price) as input_pct_cheaper,
        pct_more_expensive(a.input_price, b.input_price) as input_pct_more_expensive,
        cheaper_side(a.output_price, b.output_price) as output_cheaper,
        pct_cheaper(a.output_price, b.output_price) as output_pct_cheaper,
        pct_more_expensive(a.output_price, b.output_price) as output_pct_more_expensive,
        cheaper_side(a.blended_price, b.blended_price) as blended_cheaper,
        pct_cheaper(a.blended_price, b.blended_price) as blended_pct_cheaper,
        pct_more_expensive(a.blended_price, b.blended_price) as blended_pct_more_expensive,
        cheaper_side(b.context_window, a.context_window) as larger_context,
        -- Known true for one, known false for the other.
        (a.caps_true & ~b.caps_true & b.caps_known)::utinyint as only_a_caps,
        (b.caps_true & ~a.caps_true & a.caps_known)::utinyint as only_b_caps,
        (~(a.caps_known & b.caps_known) & 15)::utinyint as unknown_caps,
        coalesce(bit_count(a.provider_bits & b.provider_bits), 0)::smallint as num_shared_providers,
        coalesce(bit_count(a.benchmark_bits & b.benchmark_bits), 0)::smallint as num_shared_benchmarks,
        a.publish and b.publish as published
    from m as a
    inner join m as b on a.model_key < b.model_key
)

select * from final;

-- Monthly cost under each traffic profile, one row per pair and profile.
create or replace table compare.pair_monthly_costs as
with
costs as (
    select
        s.model_key,
        c.profile_id,
        c.cheapest.cost_per_month_usd::decimal(18, 6) as cost
    from compare.model_profile_costs as c
    inner join compare.model_summary as s using (model_id)
),

final as (
    select
        p.key_a,
        p.key_b,
        ca.profile_id,
        cheaper_side(ca.cost, cb.cost) as cheaper,
        pct_cheaper(ca.cost, cb.cost) as pct_cheaper
    from compare.pair_facts as p
    inner join costs as ca on ca.model_key = p.key_a
    inner join costs as cb on cb.model_key = p.key_b and cb.profile_id = ca.profile_id
)

select * from final;

create or replace view compare.pair_facts_readable as
select
    a.model_id as model_a,
    b.model_id as model_b,
    a.input_price as input_price_a,
    b.input_price as input_price_b,
    a.input_provider as input_provider_a,
    b.input_provider as input_provider_b,
    a.output_price as output_price_a,
    b.output_price as output_price_b,
    a.output_provider as output_provider_a,
    b.output_provider as output_provider_b,
    a.blended_price as blended_price_a,
    b.blended_price as blended_price_b,
    p.* exclude (only_a_caps, only_b_caps, unknown_caps),
    a.context_window as context_window_a,
    b.context_window as context_window_b,
    a.max_output_tokens as max_output_a,
    b.max_output_tokens as max_output_b,
    list_filter(['vision', 'reasoning', 'tool_calling', 'structured_output'],
        lambda c, i: (p.only_a_caps >> (i - 1)) & 1 = 1) as only_a_capabilities,
    list_filter(['vision', 'reasoning', 'tool_calling', 'structured_output'],
        lambda c, i: (p.only_b_caps >> (i - 1)) & 1 = 1) as only_b_capabilities,
    list_filter(['vision', 'reasoning', 'tool_calling', 'structured_output'],
        lambda c, i: (p.unknown_caps >> (i - 1)) & 1 = 1) as unknown_capabilities,
    a.license as license_a,
    b.license as license_b,
    a.open_weights as open_weights_a,
    b.open_weights as open_weights_b,
    a.release_date as release_date_a,
    b.release_date as release_date_b,
    list_intersect(a.providers, b.providers) as shared_providers,
    list_intersect(a.benchmarks, b.benchmarks) as shared_benchmarks,
    a.num_conflicts as conflicts_a,
    b.num_conflicts as conflicts_b
from compare.pair_facts as p
inner join compare.model_summary as a on a.model_key = p.key_a
inner join compare.model_summary as b on b.model_key = p.key_b;
