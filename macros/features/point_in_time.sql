{#-
    Point-in-time cut-offs of the feature inputs (docs/features.md, "Point
    in time"). One definition each, so every model that reads a pre-tipoff
    record applies the same rule.
-#}

{#-
    An injury report counts for a game only if it was published strictly
    before the schedule's tipoff: a report stamped at tipoff is already
    in-game news.
-#}
{% macro injury_report_counts(report_at, tipoff_at) -%}
    ({{ report_at }} < {{ tipoff_at }})
{%- endmacro %}


{#-
    An odds record counts for a game only if taken at or before tipoff:
    the schedule's tipoff, and also the feed's own start time when it has
    one (`feed_start_at`; the odds API's commence time can be late or
    wrong), whichever is earlier. A record without a known tipoff (no
    schedule match) never counts. BettingPros records have no start time of
    their own: only the schedule's tipoff applies.
-#}
{% macro odds_record_counts(taken_at, tipoff_at, feed_start_at=none) -%}
    coalesce(
        {{ taken_at }} <= {{ tipoff_at }}
        {%- if feed_start_at is not none %}
        and {{ taken_at }} <= {{ feed_start_at }}
        {%- endif %},
        false
    )
{%- endmacro %}
