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
