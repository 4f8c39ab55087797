-- Facts chosen one attribute at a time can contradict each other when they come from
-- different sources (a max output from one catalog above a context window from another).
-- The attribute others depend on keeps its choice; a dependent candidate that breaks the
-- constraint against it is rejected, and sql/choose_facts.sql runs again.

update core.fact_candidates as c
set reject_reason = 'above_published_context_window'
from core.facts as f
where c.reject_reason is null
    and c.attribute = 'max_output_tokens'
    and f.scope = c.scope and f.subject_id = c.subject_id and f.attribute = 'context_window'
    and c.num_value > f.num_value;

update core.fact_candidates as c
set reject_reason = 'above_published_input_price'
from core.facts as f
where c.reject_reason is null
    and c.attribute = 'price_cache_read'
    and f.scope = c.scope and f.subject_id = c.subject_id and f.attribute = 'price_input'
    and f.tier_min_tokens = c.tier_key
    and c.num_value > f.num_value;
