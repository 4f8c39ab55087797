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

-- The region a raw id names by prefix (Bedrock cross-region inference ids), else null.
create or replace macro region_of_id(raw_id) as (
    nullif(regexp_extract(lower(trim(raw_id)), '^(?:[^/]*/)*(us|eu|apac|ap|jp|au|ca|global|us-gov)\.', 1), '')
);

-- A provider as a source spells it, as a canonical slug (registry spellings map it further).
create or replace macro provider_spelling(provider) as (
    regexp_replace(lower(trim(provider)), '[_\s]+', '-', 'g')
);

-- A price in any per-token unit as exact USD per million tokens; null when not a token price.
create or replace macro usd_per_mtok(value, unit) as (
    case unit
        when 'usd_per_token' then try_cast(value as decimal(38, 18)) * 1000000
        when 'usd_per_1k_tokens' then try_cast(value as decimal(38, 18)) * 1000
        when 'usd_per_million_tokens' then try_cast(value as decimal(38, 18))
    end::decimal(38, 12)
);
