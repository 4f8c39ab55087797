-- Pair facts for every unordered pair of models (key_a < key_b): per-model figures first, then
-- integer arithmetic per pair in DuckDB, so nothing loops over pairs outside SQL.
--
-- Percentages say which way they go: *_cheaper names the cheaper model ('a', 'b' or 'same'),
-- *_pct_cheaper is how much less it costs than the other (never above 100),
-- *_pct_more_expensive how much more the other costs.
--
-- Speed (docs/benchmarks.md). Two things decide it at millions of pairs:
-- * Writing: each column of N(N-1)/2 rows costs about as much as the arithmetic of several
--   facts. So compare.pair_facts_packed holds every pair fact in 7 columns: the keys and
--   five 64-bit words laid out below, and the views after it decode them, with the columns,
--   types and values the rest of the project reads:
--     compare.pair_facts            one row per pair, as listed at the view
--     compare.pair_monthly_costs    one row per pair and traffic profile
--     compare.pair_facts_readable   pair facts with both models' own facts, for people and docs
-- * Threads: a self-join is driven by the few thousand model rows, which DuckDB scans as one
--   task, so computing inside it runs on one thread. The pairs' keys are listed first (a bare
--   self-join into a temporary table), and the facts are computed from that list, which DuckDB
--   splits over every thread.
--
-- Word `facts` (bit 0 = least significant):
--   bits  0-7   sides, 2 bits each: input, output, blended (which is cheaper), context (which
--               is larger); 0 = unknown, 1 = a, 2 = b, 3 = same
--   bits  8-19  capabilities, 4 bits each: only a has, only b has, unknown for either
--               (1 vision, 2 reasoning, 4 tool calling, 8 structured output)
--   bit  20     published (both models published)
--   bits 21-50  input, output, blended pct_cheaper in tenths of a percent, 10 bits each
--               (0-1000; 1023 = unknown)
--   bits 51-60  providers serving both (0-512)
-- Word `monthly`: 12 bits per traffic profile (profiles in profile_id order, at most 5): the
--   cheaper side in 2 bits, then pct_cheaper in tenths in 10 bits, as above.
-- Words `input_more`, `output_more`, `blended_more`: pct_more_expensive in tenths of a percent
--   in bits 0-47 (2^48 - 1 = unknown); `input_more` also holds, in bits 48-57, the benchmarks
--   both models have (0-512).
--
-- Exact arithmetic: prices and costs are exact decimals, carried as their unscaled integers
-- (decimal(18, 9) price x 10^9, decimal(18, 6) cost x 10^6). A percentage is the exact ratio
-- rounded half up to a tenth, in integers: floor((2000 |x - y| + m) / 2m) tenths, m the larger
-- price (or the smaller, for *_pct_more_expensive). No figure depends on how a double rounds,
-- and an overflow is an error, never a wrong number. Unknown when either side is unknown.

-- A side code: 0 unknown, 1 a (x is smaller), 2 b, 3 same.
create or replace macro side_code(x, y) as
    (case when x < y then 1 when y < x then 2 when x = y then 3 else 0 end)::ubigint;

create or replace macro side_name(code) as
    case code when 1 then 'a' when 2 then 'b' when 3 then 'same' end;

-- Tenths of a percent from 2000 |x - y| and the price it is a share of (null when that is 0).
create or replace macro tenths_of(twice_diff_k, base, none) as
    coalesce(((twice_diff_k + base) // nullif(base * 2, 0))::ubigint, none);

create or replace macro tenths_pct(t) as
    case when t = 1023 then null else t::double / 10 end;

create or replace macro tenths_more(word) as
    case when word & 281474976710655 = 281474976710655 then null
        else (word & 281474976710655)::double / 10 end;

-- An exact decimal as its unscaled integer (price x 10^9, cost x 10^6).
create or replace macro price_units(p) as (p::decimal(38, 9) * 1000000000)::bigint;

create or replace macro cost_units(c) as (c::decimal(38, 6) * 1000000)::bigint;

-- One row per model with what the pair step needs: prices and monthly costs as integers,
-- the context window, capabilities as pre-shifted words (so that (a.caps_a & b.caps_b) |
-- a.caps_unknown | b.caps_unknown is bits 8-20 of `facts`), and the providers and benchmarks
-- as eight 64-bit words each (512 of each; one AND and bit count per word per pair).
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
        max(case when i.idx >= 512 then error('more than 512 providers: widen the provider words in build_pair_facts.sql') end) as too_many,
        bit_or(case when i.idx // 64 = 0 then 1::ubigint << (i.idx % 64) end) as pw0,
        bit_or(case when i.idx // 64 = 1 then 1::ubigint << (i.idx % 64) end) as pw1,
        bit_or(case when i.idx // 64 = 2 then 1::ubigint << (i.idx % 64) end) as pw2,
        bit_or(case when i.idx // 64 = 3 then 1::ubigint << (i.idx % 64) end) as pw3,
        bit_or(case when i.idx // 64 = 4 then 1::ubigint << (i.idx % 64) end) as pw4,
        bit_or(case when i.idx // 64 = 5 then 1::ubigint << (i.idx % 64) end) as pw5,
        bit_or(case when i.idx // 64 = 6 then 1::ubigint << (i.idx % 64) end) as pw6,
        bit_or(case when i.idx // 64 = 7 then 1::ubigint << (i.idx % 64) end) as pw7
    from (select model_key, unnest(providers) as provider from compare.model_summary) as s
    inner join provider_index as i using (provider)
    group by all
),

benchmark_words as (
    select
        s.model_key,
        max(case when i.idx >= 512 then error('more than 512 benchmarks: widen the benchmark words in build_pair_facts.sql') end) as too_many,
        bit_or(case when i.idx // 64 = 0 then 1::ubigint << (i.idx % 64) end) as bw0,
        bit_or(case when i.idx // 64 = 1 then 1::ubigint << (i.idx % 64) end) as bw1,
        bit_or(case when i.idx // 64 = 2 then 1::ubigint << (i.idx % 64) end) as bw2,
        bit_or(case when i.idx // 64 = 3 then 1::ubigint << (i.idx % 64) end) as bw3,
        bit_or(case when i.idx // 64 = 4 then 1::ubigint << (i.idx % 64) end) as bw4,
        bit_or(case when i.idx // 64 = 5 then 1::ubigint << (i.idx % 64) end) as bw5,
        bit_or(case when i.idx // 64 = 6 then 1::ubigint << (i.idx % 64) end) as bw6,
        bit_or(case when i.idx // 64 = 7 then 1::ubigint << (i.idx % 64) end) as bw7
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
),

caps as (
    select
        model_key,
        caps_true::ubigint as has,
        (~caps_true & caps_known)::ubigint as lacks,
        coalesce(publish, false)::ubigint << 20 as published
    from compare.model_summary
)

select
    s.model_key,
    price_units(s.input_price) as input_units,
    price_units(s.output_price) as output_units,
    price_units(s.blended_price) as blended_units,
    s.context_window,
    (c.has << 8) | (c.lacks << 12) | c.published as caps_a,
    (c.lacks << 8) | (c.has << 12) | c.published as caps_b,
    (~s.caps_known & 15)::ubigint << 16 as caps_unknown,
    coalesce(pw.pw0, 0) as pw0, coalesce(bw.bw0, 0) as bw0,
    coalesce(pw.pw1, 0) as pw1, coalesce(bw.bw1, 0) as bw1,
    coalesce(pw.pw2, 0) as pw2, coalesce(bw.bw2, 0) as bw2,
    coalesce(pw.pw3, 0) as pw3, coalesce(bw.bw3, 0) as bw3,
    coalesce(pw.pw4, 0) as pw4, coalesce(bw.bw4, 0) as bw4,
    coalesce(pw.pw5, 0) as pw5, coalesce(bw.bw5, 0) as bw5,
    coalesce(pw.pw6, 0) as pw6, coalesce(bw.bw6, 0) as bw6,
    coalesce(pw.pw7, 0) as pw7, coalesce(bw.bw7, 0) as bw7,
    m.cost0, m.cost1, m.cost2, m.cost3, m.cost4
from compare.model_summary as s
inner join caps as c using (model_key)
left join provider_words as pw using (model_key)
left join benchmark_words as bw using (model_key)
left join monthly as m using (model_key);

-- pct_more_expensive has 48 bits: stop here (not with a wrong number later) if two prices
-- are so far apart that 1000 x larger / smaller could pass 2^48.
select error('prices differ by more than a factor of 2.8e11; check the smallest and largest prices')
from pair_inputs
having max(greatest(input_units, output_units, blended_units))
    >= 281474976710::hugeint * min(nullif(least(input_units, output_units, blended_units), 0));

create or replace temp table pair_keys as
select a.model_key as key_a, b.model_key as key_b
from pair_inputs as a
inner join pair_inputs as b on a.model_key < b.model_key;

create or replace table compare.pair_facts_packed as
select
    key_a,
    key_b,
    -- (In DuckDB | and << bind alike, left to right: every shift is in parentheses.)
    (side_input | (side_output << 2) | (side_blended << 4) | (larger_context << 6) | caps
        | (tenths_of(diff_input, high_input, 1023) << 21)
        | (tenths_of(diff_output, high_output, 1023) << 31)
        | (tenths_of(diff_blended, high_blended, 1023) << 41)
        | (shared_providers << 51)
    ) as facts,
    (side_cost0 | (tenths_of(diff_cost0, high_cost0, 1023) << 2)
        | (side_cost1 << 12) | (tenths_of(diff_cost1, high_cost1, 1023) << 14)
        | (side_cost2 << 24) | (tenths_of(diff_cost2, high_cost2, 1023) << 26)
        | (side_cost3 << 36) | (tenths_of(diff_cost3, high_cost3, 1023) << 38)
        | (side_cost4 << 48) | (tenths_of(diff_cost4, high_cost4, 1023) << 50)
    ) as monthly,
    tenths_of(diff_input, low_input, 281474976710655) | (shared_benchmarks << 48) as input_more,
    tenths_of(diff_output, low_output, 281474976710655) as output_more,
    tenths_of(diff_blended, low_blended, 281474976710655) as blended_more
from (
    select
        p.key_a,
        p.key_b,
        side_code(a.input_units, b.input_units) as side_input,
        abs(a.input_units - b.input_units) * 2000 as diff_input,
        greatest(a.input_units, b.input_units) as high_input,
        least(a.input_units, b.input_units) as low_input,
        side_code(a.output_units, b.output_units) as side_output,
        abs(a.output_units - b.output_units) * 2000 as diff_output,
        greatest(a.output_units, b.output_units) as high_output,
        least(a.output_units, b.output_units) as low_output,
        side_code(a.blended_units, b.blended_units) as side_blended,
        abs(a.blended_units - b.blended_units) * 2000 as diff_blended,
        greatest(a.blended_units, b.blended_units) as high_blended,
        least(a.blended_units, b.blended_units) as low_blended,
        side_code(a.cost0, b.cost0) as side_cost0,
        abs(a.cost0 - b.cost0) * 2000 as diff_cost0,
        greatest(a.cost0, b.cost0) as high_cost0,
        side_code(a.cost1, b.cost1) as side_cost1,
        abs(a.cost1 - b.cost1) * 2000 as diff_cost1,
        greatest(a.cost1, b.cost1) as high_cost1,
        side_code(a.cost2, b.cost2) as side_cost2,
        abs(a.cost2 - b.cost2) * 2000 as diff_cost2,
        greatest(a.cost2, b.cost2) as high_cost2,
        side_code(a.cost3, b.cost3) as side_cost3,
        abs(a.cost3 - b.cost3) * 2000 as diff_cost3,
        greatest(a.cost3, b.cost3) as high_cost3,
        side_code(a.cost4, b.cost4) as side_cost4,
        abs(a.cost4 - b.cost4) * 2000 as diff_cost4,
        greatest(a.cost4, b.cost4) as high_cost4,
        side_code(b.context_window, a.context_window) as larger_context,
        (a.caps_a & b.caps_b) | a.caps_unknown | b.caps_unknown as caps,
        (bit_count(a.pw0 & b.pw0) + bit_count(a.pw1 & b.pw1) + bit_count(a.pw2 & b.pw2) + bit_count(a.pw3 & b.pw3)
            + bit_count(a.pw4 & b.pw4) + bit_count(a.pw5 & b.pw5) + bit_count(a.pw6 & b.pw6) + bit_count(a.pw7 & b.pw7))::ubigint as shared_providers,
        (bit_count(a.bw0 & b.bw0) + bit_count(a.bw1 & b.bw1) + bit_count(a.bw2 & b.bw2) + bit_count(a.bw3 & b.bw3)
            + bit_count(a.bw4 & b.bw4) + bit_count(a.bw5 & b.bw5) + bit_count(a.bw6 & b.bw6) + bit_count(a.bw7 & b.bw7))::ubigint as shared_benchmarks
    from pair_keys as p
    inner join pair_inputs as a on a.model_key = p.key_a
    inner join pair_inputs as b on b.model_key = p.key_b
);

drop table pair_keys;
drop table pair_inputs;

create or replace view compare.pair_facts as
select
    key_a,
    key_b,
    side_name(facts & 3) as input_cheaper,
    tenths_pct((facts >> 21) & 1023) as input_pct_cheaper,
    tenths_more(input_more) as input_pct_more_expensive,
    side_name((facts >> 2) & 3) as output_cheaper,
    tenths_pct((facts >> 31) & 1023) as output_pct_cheaper,
    tenths_more(output_more) as output_pct_more_expensive,
    side_name((facts >> 4) & 3) as blended_cheaper,
    tenths_pct((facts >> 41) & 1023) as blended_pct_cheaper,
    tenths_more(blended_more) as blended_pct_more_expensive,
    side_name((facts >> 6) & 3) as larger_context,
    ((facts >> 8) & 15)::utinyint as only_a_caps,
    ((facts >> 12) & 15)::utinyint as only_b_caps,
    ((facts >> 16) & 15)::utinyint as unknown_caps,
    ((facts >> 51) & 1023)::smallint as num_shared_providers,
    ((input_more >> 48) & 1023)::smallint as num_shared_benchmarks,
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
