-- Lifecycle invariants of a gap: resolved_at and resolved_by are set
-- together; attempts start at 1; nothing is seen before it is detected or
-- resolved before it is detected.
with gaps as (
    select * from {{ ref('feature_store_gaps') }}
),

final as (
    select * from gaps
    where (resolved_at is null) != (resolved_by is null)
        or attempt_count < 1
        or last_seen_at < detected_at
        or resolved_at < detected_at
        or is_fault = (reason = 'insufficient_data')
)

select * from final
