-- Pair facts for every unordered pair of models (key_a < key_b), in one self-join over one row
-- per model: no per-pair work outside SQL, and only integer work per pair, so the join runs
-- close to the speed of a bare self-join.
--
-- Percentages say which way they go: *_cheaper names the cheaper model ('a', 'b' or 'same'),
-- *_pct_cheaper is how much less it costs than the other (never above 100),
-- *_pct_more_expensive how much more the other costs.
--
-- Storage: writing a column of N(N-1)/2 rows costs far more than computing it (at 4.5 M pairs,
-- about 0.15 s per column on these machines, and strings twice that). So the table
-- compare.pair_facts_packed holds the pair facts in 8 columns: the keys, one 64-bit word of
-- small facts, one word of monthly-cost comparisons, the shared-provider and shared-benchmark
-- counts, and the three unbounded percentages as doubles. The views below decode it, with
-- the columns, types and values the rest of the project reads:
--   compare.pair_facts            one row per pair, as listed at the view
--   compare.pair_monthly_costs    one row per pair and traffic profile
--   compare.pair_facts_readable   pair facts with both models' own facts, for people and docs
--
-- Word `facts` (bit 0 = least significant):
--   bits  0-7   sides, 2 bits each: input, output, blended (which is cheaper), context (which
--               is larger); 0 = unknown, 1 = a, 2 = b, 3 = same
--   bits  8-19  capabilities, 4 bits each: only a has, only b has, unknown for either
--               (1 vision, 2 reasoning, 4 tool calling, 8 structured output)
--   bit  20     published (both models published)
--   bits 21-50  input, output, blended pct_cheaper in tenths of a percent, 10 bits each
--               (0-1000; 1023 = none)
-- Word `monthly`: 12 bits per traffic profile (profiles in profile_id order, at most 5): the
--   cheaper side in 2 bits, then pct_cheaper in tenths in 10 bits, as above.
--
-- Arithmetic per pair stays on integers: prices and costs are exact decimals, carried as their
-- unscaled integers (decimal(18, 9) price x 10^9, decimal(18, 6) cost x 10^6), so a difference
-- is an exact bigint subtraction and a cast to double gives exactly what DuckDB's decimal to
-- double cast gives (the integer as a double, divided by the power of ten). A percentage is
-- round(difference / larger * 100, 1), or / smaller for *_pct_more_expensive; unknown when
-- either side is unknown.

-- A side code: 0 unknown, 1 a (x is smaller), 2 b, 3 same.
create or replace macro side_code(x, y) as
    (case when x < y then 1 when y < x then 2 when x = y then 3 else 0 end)::ubigint;

create or replace macro side_name(code) as
    case code when 1 then 'a' when 2 then 'b' when 3 then 'same' end;

-- round(v, 1) * 10, fast: round(v, 1) rounds on the exact value of the double v, which costs
-- about 45 ns a value; round(v * 10) costs 5 and gives the same result except where v * 10
-- lands exactly on a half (96.55 is 96.5499... but 96.55 * 10 is 965.5): there round(v, 1)
-- decides. So tenths / 10 is exactly the double round(v, 1) gives.
create or replace macro round_tenths(v) as
    case when v * 10 - floor(v * 10) = 0.5 then round(round(v, 1) * 10) else round(v * 10) end;

-- How much less the cheaper one costs, in tenths of a percent (1023 = unknown), from two
-- unscaled integers x and y at scale s (10^9 for prices, 10^6 for costs).
create or replace macro pct_cheaper_tenths(x, y, s) as
    coalesce(try_cast(round_tenths(abs(x - y)::double / s / (greatest(x, y)::double / s) * 100)
        as ubigint), 1023);

-- How much more the dearer one costs, in percent to one decimal (null when the cheaper is free).
create or replace macro pct_more_expensive_units(x, y, s) as
    round_tenths(abs(x - y)::double / s / (nullif(least(x, y), 0)::double / s) * 100) / 10;

create or replace macro tenths_pct(t) as
    case when t = 1023 then null else t::double / 10 end;

-- Bit b (0-127) of a 128-bit word; bit 127 is the sign bit, which a shift cannot reach.
create or replace macro word_bit(b) as
    case when b = 127 then -(1::hugeint << 126) * 2 else 1::hugeint << b end;

-- An exact decimal as its unscaled integer (price x 10^9, cost x 10^6).
create or replace macro price_units(p) as (p::decimal(38, 9) * 1000000000)::bigint;

create or replace macro cost_units(c) as (c::decimal(38, 6) * 1000000)::bigint;

-- One row per model with what the pair step needs: prices, limits, capability bits, the
-- providers and benchmarks as 128-bit words (512 of each; one AND and bit count per word per
-- pair), and the monthly cost under each traffic profile in its own column.
create or replace temp table pair_inputs as
with
profiles as (
    select profile_id, (row_number() over (order by profile_id))::integer - 1 as idx
    from compare.traffic_profiles
),

provider_index as (
    select provider, (dense_rank() over (order by provider))::integer - 1 as idx
    from (select distinct unnest(providers) as provider from compare.model_summary)
),

benchmark_index as (
    select benchmark, (dense_rank() over (order by benchmark))::integer - 1 as idx
    from (select distinct unnest(benchmarks) as benchmark from compare.model_summary)
),

provider_words as (
    select
        s.model_key,
        bit_or(case when i.idx >= 512 then error('more than 512 providers: widen the provider words in build_pair_facts.sql')
            when i.idx // 128 = 0 then word_bit(i.idx % 128) end) as pw0,
        bit_or(case when i.idx // 128 = 1 then word_bit(i.idx % 128) end) as pw1,
        bit_or(case when i.idx // 128 = 2 then word_bit(i.idx % 128) end) as pw2,
        bit_or(case when i.idx // 128 = 3 then word_bit(i.idx % 128) end) as pw3
    from (select model_key, unnest(providers) as provider from compare.model_summary) as s
    inner join provider_index as i using (provider)
    group by all
),

benchmark_words as (
    select
        s.model_key,
        bit_or(case when i.idx >= 512 then error('more than 512 benchmarks: widen the benchmark words in build_pair_facts.sql')
            when i.idx // 128 = 0 then word_bit(i.idx % 128) end) as bw0,
        bit_or(case when i.idx // 128 = 1 then word_bit(i.idx % 128) end) as bw1,
        bit_or(case when i.idx // 128 = 2 then word_bit(i.idx % 128) end) as bw2,
        bit_or(case when i.idx // 128 = 3 then word_bit(i.idx % 128) end) as bw3
    from (select model_key, unnest(benchmarks) as benchmark from compare.model_summary) as s
    inner join benchmark_index as i using (benchmark)
    group by all
),

monthly as (
    select
        s.model_key,
        max(case when p.idx >= 5 then error('more than 5 traffic profiles: widen the monthly word in build_pair_facts.sql')
            when p.idx = 0 then cost_units(c.cheapest.cost_per_month_usd::decimal(18, 6)) end) as cost0,
        max(cost_units(c.cheapest.cost_per_month_usd::decimal(18, 6))) filter (where p.idx = 1) as cost1,
        max(cost_units(c.cheapest.cost_per_month_usd::decimal(18, 6))) filter (where p.idx = 2) as cost2,
        max(cost_units(c.cheapest.cost_per_month_usd::decimal(18, 6))) filter (where p.idx = 3) as cost3,
        max(cost_units(c.cheapest.cost_per_month_usd::decimal(18, 6))) filter (where p.idx = 4) as cost4
    from compare.model_profile_costs as c
    inner join compare.model_summary as s using (model_id)
    inner join profiles as p using (profile_id)
    group by all
)

select
    s.model_key,
    price_units(s.input_price) as input_units,
    price_units(s.output_price) as output_units,
    price_units(s.blended_price) as blended_units,
    s.context_window,
    s.caps_known,
    s.caps_true,
    coalesce(s.publish, false) as publish,
    coalesce(pw.pw0, 0) as pw0, coalesce(pw.pw1, 0) as pw1,
    coalesce(pw.pw2, 0) as pw2, coalesce(pw.pw3, 0) as pw3,
    coalesce(bw.bw0, 0) as bw0, coalesce(bw.bw1, 0) as bw1,
    coalesce(bw.bw2, 0) as bw2, coalesce(bw.bw3, 0) as bw3,
    m.cost0, m.cost1, m.cost2, m.cost3, m.cost4
from compare.model_summary as s
left join provider_words as pw using (model_key)
left join benchmark_words as bw using (model_key)
left join monthly as m using (model_key);

create or replace table compare.pair_facts_packed as
select
    a.model_key as key_a,
    b.model_key as key_b,
    -- (In DuckDB | and << bind alike, left to right: every shift is in parentheses.)
    (side_code(a.input_units, b.input_units)
        | (side_code(a.output_units, b.output_units) << 2)
        | (side_code(a.blended_units, b.blended_units) << 4)
        | (side_code(b.context_window, a.context_window) << 6)
        | ((a.caps_true & ~b.caps_true & b.caps_known)::ubigint << 8)
        | ((b.caps_true & ~a.caps_true & a.caps_known)::ubigint << 12)
        | ((~(a.caps_known & b.caps_known) & 15)::ubigint << 16)
        | ((a.publish and b.publish)::ubigint << 20)
        | (pct_cheaper_tenths(a.input_units, b.input_units, 1000000000) << 21)
        | (pct_cheaper_tenths(a.output_units, b.output_units, 1000000000) << 31)
        | (pct_cheaper_tenths(a.blended_units, b.blended_units, 1000000000) << 41)
    ) as facts,
    (side_code(a.cost0, b.cost0) | (pct_cheaper_tenths(a.cost0, b.cost0, 1000000) << 2)
        | (side_code(a.cost1, b.cost1) << 12) | (pct_cheaper_tenths(a.cost1, b.cost1, 1000000) << 14)
        | (side_code(a.cost2, b.cost2) << 24) | (pct_cheaper_tenths(a.cost2, b.cost2, 1000000) << 26)
        | (side_code(a.cost3, b.cost3) << 36) | (pct_cheaper_tenths(a.cost3, b.cost3, 1000000) << 38)
        | (side_code(a.cost4, b.cost4) << 48) | (pct_cheaper_tenths(a.cost4, b.cost4, 1000000) << 50)
    ) as monthly,
    (bit_count(a.pw0 & b.pw0) + bit_count(a.pw1 & b.pw1) + bit_count(a.pw2 & b.pw2)
        + bit_count(a.pw3 & b.pw3))::usmallint as num_shared_providers,
    (bit_count(a.bw0 & b.bw0) + bit_count(a.bw1 & b.bw1) + bit_count(a.bw2 & b.bw2)
        + bit_count(a.bw3 & b.bw3))::usmallint as num_shared_benchmarks,
    pct_more_expensive_units(a.input_units, b.input_units, 1000000000) as input_pct_more_expensive,
    pct_more_expensive_units(a.output_units, b.output_units, 1000000000) as output_pct_more_expensive,
    pct_more_expensive_units(a.blended_units, b.blended_units, 1000000000)
        as blended_pct_more_expensive
from pair_inputs as a
inner join pair_inputs as b on a.model_key < b.model_key;

drop table pair_inputs;

create or replace view compare.pair_facts as
select
    key_a,
    key_b,
    side_name(facts & 3) as input_cheaper,
    tenths_pct((facts >> 21) & 1023) as input_pct_cheaper,
    input_pct_more_expensive,
    side_name((facts >> 2) & 3) as output_cheaper,
    tenths_pct((facts >> 31) & 1023) as output_pct_cheaper,
    output_pct_more_expensive,
    side_name((facts >> 4) & 3) as blended_cheaper,
    tenths_pct((facts >> 41) & 1023) as blended_pct_cheaper,
    blended_pct_more_expensive,
    side_name((facts >> 6) & 3) as larger_context,
    ((facts >> 8) & 15)::utinyint as only_a_caps,
    ((facts >> 12) & 15)::utinyint as only_b_caps,
    ((facts >> 16) & 15)::utinyint as unknown_caps,
    num_shared_providers::smallint as num_shared_providers,
    num_shared_benchmarks::smallint as num_shared_benchmarks,
    ((facts >> 20) & 1) = 1 as published
from compare.pair_facts_packed;

-- Monthly cost under each traffic profile, one row per pair and profile.
create or replace view compare.pair_monthly_costs as
with profiles as (
    select profile_id, (row_number() over (order by profile_id))::integer - 1 as idx
    from compare.traffic_profiles
)

select
    p.key_a,
    p.key_b,
    t.profile_id,
    side_name((p.monthly >> (12 * t.idx)) & 3) as cheaper,
    tenths_pct((p.monthly >> (12 * t.idx + 2)) & 1023) as pct_cheaper
from compare.pair_facts_packed as p
cross join profiles as t;

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
