-- Scalar macros shared by the normalize and compare SQL. Keep normalize_model_key in sync with
-- the README's "Identity" section: every rule here is a claim that two spellings are one id.

-- A raw model id as a comparable key: lower case; path prefixes (openrouter "meta-llama/",
-- cloudflare "@cf/meta/") dropped; region prefixes ("us.", "eu.", "global.") and Bedrock vendor
-- prefixes ("meta.") dropped; Bedrock "-v1:0" and OpenRouter ":free"-style suffixes dropped;
-- "@20250929" and "-2025-09-29" written as "-20250929"; ".", "_" and spaces as "-"; a letter
-- followed by a digit split ("llama3" -> "llama-3"). A date or version number is never dropped.
create or replace macro normalize_model_key(raw_id) as (
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        regexp_extract(lower(trim(raw_id)), '[^/]+$'),
        '^(us|eu|apac|ap|jp|au|ca|global|us-gov)\.', ''),
        '^(meta|mistral|anthropic|amazon|cohere|ai21|deepseek|openai|qwen|writer|moonshot|moonshotai|nvidia|google|minimax|zai)\.', ''),
        '-v\d+(:\d+)?$', ''),
        ':[a-z0-9\-]+$', ''),
        '@(\d{8})$', '-\1'),
        '(\d{4})-(\d{2})-(\d{2})$', '\1\2\3'),
        '[._\s]+', '-', 'g'),
        '([a-z])(\d)', '\1-\2', 'g'),
        '-+', '-', 'g'),
        '^-|-$', '', 'g')
);

-- The region a raw id names, else null: a cross-region inference prefix ("us.", "eu.",
-- "global.") or a cloud region as a path segment (LiteLLM's "bedrock/us-gov-west-1/...").
create or replace macro region_of_id(raw_id) as (
    coalesce(
        nullif(regexp_extract(lower(trim(raw_id)), '^(?:[^/]*/)*(us|eu|apac|ap|jp|au|ca|global|us-gov)\.', 1), ''),
        nullif(regexp_extract(lower(trim(raw_id)),
            '(?:^|/)((?:us|eu|ap|ca|sa|me|af|il|mx)(?:-gov)?-[a-z]+-[0-9]+)/', 1), '')
    )
);

-- A provider as a source spells it, as a canonical slug (registry spellings map it further).
create or replace macro provider_spelling(provider) as (
    regexp_replace(lower(trim(provider)), '[_\s]+', '-', 'g')
);

-- A price in any per-token unit as exact USD per million tokens; null when not a token price
-- or too large to be one. decimal(32, 18) leaves room for the x10^6 (a wider cast overflows
-- with an error instead of giving null).
create or replace macro usd_per_mtok(value, unit) as (
    case unit
        when 'usd_per_token' then try_cast(value as decimal(32, 18)) * 1000000
        when 'usd_per_1k_tokens' then try_cast(value as decimal(32, 18)) * 1000
        when 'usd_per_million_tokens' then try_cast(value as decimal(32, 18))
    end::decimal(38, 12)
);

-- A token count as an integer: "131072", "128_000", "2000000.0", "128k" / "128K" (k = 1,000, as the cards
-- that write it mean it), "1M". Null when the text is not a count.
create or replace macro parse_tokens(value) as (
    case
        when regexp_matches(trim(value), '^\d[\d_,]*(\.0+)?$')
            then try_cast(regexp_replace(regexp_replace(trim(value), '\.0+$', ''), '[_,]', '', 'g') as bigint)
        when regexp_matches(lower(trim(value)), '^\d+(\.\d+)?\s*k$')
            then (try_cast(regexp_extract(trim(value), '^[\d.]+') as decimal(18, 3)) * 1000)::bigint
        when regexp_matches(lower(trim(value)), '^\d+(\.\d+)?\s*m$')
            then (try_cast(regexp_extract(trim(value), '^[\d.]+') as decimal(18, 3)) * 1000000)::bigint
    end
);

-- The first day a version string names, or null: "2509" (yymm) -> 2025-09-01,
-- "2025-08-07" -> that day, "20250807" -> that day. Used to reject release dates before it.
create or replace macro version_date(version) as (
    case
        when regexp_matches(version, '^\d{4}-\d{2}-\d{2}$') then try_cast(version as date)
        when regexp_matches(version, '^\d{8}$') then try_strptime(version, '%Y%m%d')::date
        when regexp_matches(version, '^(2[3-9])(0[1-9]|1[0-2])$')
            then try_strptime('20' || version || '01', '%Y%m%d')::date
    end
);

-- Which source wins for an offering's fact: the provider's own page or API first, then the
-- hand-checked catalogs, then the broad ones. Lower wins; ties go to the newer fetch.
-- Keep in sync with the README's "Precedence" table.
create or replace macro offering_source_rank(source, provider_id) as (
    case
        when source like 'page\_%' escape '\' then 1
        when source in ('openrouter', 'openrouter_endpoints') and provider_id = 'openrouter' then 1
        when source in ('genai_prices', 'llm_prices') then 2
        when source = 'models_dev' then 3
        when source = 'litellm' then 4
        else 5
    end
);

-- Which source wins for a model's own fact: the creator's card, then models.dev's
-- provider-neutral entry, then OpenRouter's model record and benchmark publishers, and only
-- then what the offerings say (rank 9, decided by how many offerings agree).
create or replace macro model_source_rank(source, subject) as (
    case
        when subject = 'offering' then 9
        when source in ('hf_cards', 'meta_cards') then 1
        when source = 'models_dev' then 2
        else 3
    end
);

-- Whether two observed values are the same fact. Prices agree within 0.5%; token counts within
-- 3% (128,000 and 131,072 are one "128K" written two ways); dates when one is a prefix of the
-- other ("2024-09" and "2024-09-25"); everything else when equal.
create or replace macro values_agree(attribute, a_num, a_text, b_num, b_text) as (
    case
        when a_num is not null and b_num is not null then
            abs(a_num - b_num) <= (case
                when attribute in ('context_window', 'max_input_tokens', 'max_output_tokens') then 0.03
                else 0.005 end) * greatest(abs(a_num), abs(b_num))
        when attribute in ('release_date', 'knowledge_cutoff', 'deprecation_date', 'listed_at') then
            starts_with(a_text, b_text) or starts_with(b_text, a_text)
        else a_text is not distinct from b_text
    end
);
