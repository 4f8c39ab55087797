-- One row per model with everything a pair comparison needs, so pair facts are pure
-- arithmetic over a self-join. Cheapest routes count paid, unflagged, base-tier prices only:
-- free offers are listed apart and never "cheapest". Parameters: $input_weight, $output_weight.

create or replace table compare.offering_prices as
with
base as (
    select
        f.offering_id,
        f.model_id,
        f.provider_id,
        f.region,
        f.variant,
        max(f.num_value) filter (where f.attribute = 'price_input') as price_input,
        max(f.num_value) filter (where f.attribute = 'price_output') as price_output,
        max(f.num_value) filter (where f.attribute = 'price_cache_read') as price_cache_read,
        min(f.verified_at) as verified_at,
        bool_or(f.has_conflict) as has_conflict
    from core.facts as f
    where f.scope = 'offering' and f.tier_min_tokens = 0
        and f.attribute in ('price_input', 'price_output', 'price_cache_read')
    group by all
),

final as (
    select
        b.*,
        o.provider_name,
        o.is_free,
        o.listed_now,
        b.price_input > 0 and b.price_output > 0 and not o.is_free as is_paid,
        ($input_weight * b.price_input + $output_weight * b.price_output)
            / ($input_weight + $output_weight) as price_blended
    from base as b
    inner join core.offerings as o using (offering_id)
)

select * from final;

create or replace table compare.model_summary as
with
paid as (
    select * from compare.offering_prices where is_paid and listed_now
),

cheapest as (
    select
        model_id,
        arg_min(struct_pack(offering_id, provider_id, provider_name, region,
            price := price_input, verified_at), (price_input, provider_id, offering_id)) as cheapest_input,
        arg_min(struct_pack(offering_id, provider_id, provider_name, region,
            price := price_output, verified_at), (price_output, provider_id, offering_id)) as cheapest_output,
        arg_min(struct_pack(offering_id, provider_id, provider_name, region,
            price := price_blended, verified_at), (price_blended, provider_id, offering_id)) as cheapest_blended,
        count(*) as num_paid_offerings
    from paid
    group by all
),

provider_index as (
    select provider_id, (dense_rank() over (order by provider_id)) - 1 as idx
    from (select distinct provider_id from core.offerings where listed_now)
),

providers as (
    -- The providers as a list (for documents) and as a bitstring over all providers (so a pair's
    -- shared providers are one AND and a bit count, not a list intersection per pair).
    select
        o.model_id,
        list(distinct o.provider_id order by o.provider_id) as providers,
        -- 1,024 provider slots; the error below fires long before a silent overflow could.
        bitstring_agg(distinct case when i.idx < 1024 then i.idx else error('more than 1024 providers: widen provider_bits') end, 0, 1023) as provider_bits
    from core.offerings as o
    inner join provider_index as i using (provider_id)
    where o.listed_now
    group by all
),

benchmark_index as (
    select qualifier, (dense_rank() over (order by qualifier)) - 1 as idx
    from (select distinct qualifier from core.facts where scope = 'model' and attribute = 'benchmark')
),

benchmark_bits as (
    select
        f.subject_id as model_id,
        bitstring_agg(distinct case when b.idx < 2048 then b.idx else error('more than 2048 benchmarks: widen benchmark_bits') end, 0, 2047) as benchmark_bits
    from core.facts as f
    inner join benchmark_index as b using (qualifier)
    where f.scope = 'model' and f.attribute = 'benchmark'
    group by all
),

free_offers as (
    select model_id, count(*) as num_free_offerings
    from core.offerings
    where is_free and listed_now
    group by all
),

model_facts as (
    select
        subject_id as model_id,
        max(num_value) filter (where attribute = 'context_window')::bigint as context_window,
        max(text_value) filter (where attribute = 'vision') as vision,
        max(text_value) filter (where attribute = 'reasoning') as reasoning,
        max(text_value) filter (where attribute = 'tool_calling') as tool_calling,
        max(text_value) filter (where attribute = 'structured_output') as structured_output,
        max(text_value) filter (where attribute = 'license') as license,
        max(text_value) filter (where attribute = 'open_weights') as open_weights_stated,
        max(text_value) filter (where attribute = 'release_date') as release_date,
        list(qualifier order by qualifier) filter (where attribute = 'benchmark') as benchmarks,
        count(*) filter (where has_conflict) as num_conflicts,
        min(verified_at) as oldest_verified_at
    from core.facts
    where scope = 'model'
    group by all
),

max_output as (
    -- The most any provider lets one response run, leaving out limits equal to the context
    -- window (real serving limits rarely allow that; see C06): for people, "up to N tokens out".
    select model_id, max(num_value)::bigint as max_output_tokens
    from core.facts
    where scope = 'offering' and attribute = 'max_output_tokens' and not output_equals_context
    group by all
),

final as (
    select
        -- A dense integer key: pair facts are keyed by it (cheap to join, compare and store).
        (row_number() over (order by m.model_id))::integer as model_key,
        m.model_id,
        m.name,
        m.creator,
        m.publish,
        f.context_window,
        mo.max_output_tokens,
        f.vision::boolean as vision,
        f.reasoning::boolean as reasoning,
        f.tool_calling::boolean as tool_calling,
        f.structured_output::boolean as structured_output,
        f.license,
        l.name as license_name,
        -- A license that publishes weights settles it; otherwise what sources state.
        coalesce(l.open_weights, f.open_weights_stated::boolean) as open_weights,
        f.release_date,
        coalesce(f.benchmarks, []) as benchmarks,
        coalesce(p.providers, []) as providers,
        p.provider_bits,
        bb.benchmark_bits,
        -- Capabilities as bits (1 vision, 2 reasoning, 4 tool calling, 8 structured output):
        -- caps_known says which bits are known at all, caps_true which are known to be true.
        (case when f.vision is not null then 1 else 0 end
            + case when f.reasoning is not null then 2 else 0 end
            + case when f.tool_calling is not null then 4 else 0 end
            + case when f.structured_output is not null then 8 else 0 end)::utinyint as caps_known,
        (case when f.vision = 'true' then 1 else 0 end
            + case when f.reasoning = 'true' then 2 else 0 end
            + case when f.tool_calling = 'true' then 4 else 0 end
            + case when f.structured_output = 'true' then 8 else 0 end)::utinyint as caps_true,
        c.cheapest_input.price::decimal(18, 9) as input_price,
        c.cheapest_output.price::decimal(18, 9) as output_price,
        c.cheapest_blended.price::decimal(18, 9) as blended_price,
        c.cheapest_input.provider_id as input_provider,
        c.cheapest_output.provider_id as output_provider,
        c.cheapest_input,
        c.cheapest_output,
        c.cheapest_blended,
        coalesce(c.num_paid_offerings, 0) as num_paid_offerings,
        coalesce(fo.num_free_offerings, 0) as num_free_offerings,
        coalesce(f.num_conflicts, 0) as num_conflicts
    from core.models as m
    left join model_facts as f using (model_id)
    left join max_output as mo using (model_id)
    left join providers as p using (model_id)
    left join benchmark_bits as bb using (model_id)
    left join cheapest as c using (model_id)
    left join free_offers as fo using (model_id)
    left join core.registry_licenses as l on l.license_id = f.license
)

select * from final;
