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

providers as (
    select model_id, list(distinct provider_id order by provider_id) as providers
    from core.offerings
    where listed_now
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
    select model_id, max(num_value)::bigint as max_output_tokens
    from core.facts
    where scope = 'offering' and attribute = 'max_output_tokens'
    group by all
),

final as (
    select
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
    left join cheapest as c using (model_id)
    left join free_offers as fo using (model_id)
    left join core.registry_licenses as l on l.license_id = f.license
)

select * from final;
