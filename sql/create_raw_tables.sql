-- The raw layer: what sources said, as they said it. Append-only per (source, fetch_date) slice:
-- a load deletes its slice and inserts it again, so a backfill equals a fresh run.
create schema if not exists raw;
create schema if not exists core;
create schema if not exists compare;

create table if not exists raw.responses (
    response_id varchar primary key,
    source varchar not null,
    url varchar not null,
    status integer not null,
    fetched_at timestamptz not null,
    fetch_date date not null,
    fetched_at_approximate boolean not null,
    sha256 varchar not null,
    size_bytes bigint not null,
    content_type varchar,
    note varchar
);

create table if not exists raw.observations (
    obs_id varchar not null,            -- hash of the response and the observation's identity columns
    response_id varchar not null,
    source varchar not null,
    fetch_date date not null,
    fetched_at timestamptz not null,
    raw_id varchar not null,
    provider varchar,
    subject varchar not null,           -- 'model' or 'offering'
    attribute varchar not null,
    value varchar,                      -- exact text as the source wrote it; null = stated unknown
    unit varchar,
    region varchar,
    variant varchar,
    quantization varchar,
    tier_min_tokens bigint,
    tier_rule varchar,
    qualifier varchar,
    valid_from date,
    valid_to date,
    as_of date,
    locator varchar,
    note varchar
);

create table if not exists raw.parse_issues (
    source varchar not null,
    fetch_date date not null,
    response_id varchar,
    raw_id varchar,
    locator varchar,
    reason varchar not null
);

-- One row per attempt to load a (source, fetch_date) slice. The newest 'ok' row per source is
-- that source's last good data; a 'failed' row after it marks the source stale.
create table if not exists raw.source_loads (
    source varchar not null,
    fetch_date date not null,
    loaded_at timestamptz not null,
    status varchar not null,            -- 'ok' or 'failed'
    num_responses integer not null,
    num_records integer not null,
    num_observations integer not null,
    error varchar
);
