{#-
    Small SQL helpers of the feature layer (phase 4 and the feature inputs).
    Dialect differences go through adapter.dispatch; everything else is
    plain SQL that DuckDB and BigQuery both accept.
-#}

{#- date_expr + days (days may be negative), as a DATE. -#}
{% macro fs_add_days(date_expr, days) %}
    {{- return(adapter.dispatch('fs_add_days')(date_expr, days)) -}}
{% endmacro %}

{% macro default__fs_add_days(date_expr, days) -%}
    cast({{ date_expr }} + cast({{ days }} as integer) as date)
{%- endmacro %}

{% macro bigquery__fs_add_days(date_expr, days) -%}
    date_add({{ date_expr }}, interval {{ days }} day)
{%- endmacro %}


{#- Season of a date: year of the date if month >= 10, else year - 1. -#}
{% macro fs_season_year(date_expr) -%}
    cast(
        case
            when extract(month from {{ date_expr }}) >= 10
                then extract(year from {{ date_expr }})
            else extract(year from {{ date_expr }}) - 1
        end as integer
    )
{%- endmacro %}


{#- Null-preserving clamp of x to [lo, hi]. -#}
{% macro fs_clamp(x, lo, hi) -%}
    case
        when ({{ x }}) < {{ lo }} then {{ lo }}
        when ({{ x }}) > {{ hi }} then {{ hi }}
        else ({{ x }})
    end
{%- endmacro %}


{#- A one-column relation of the integers lo..hi (inclusive). -#}
{% macro fs_integers(lo, hi, column_name='n') -%}
    {%- for k in range(lo, hi + 1) %}
    select {{ k }} as {{ column_name }}
    {%- if not loop.last %}
    union all
    {%- endif -%}
    {%- endfor %}
{%- endmacro %}


{#-
    As-of join without a dates x events cross join.

    For every spine row (keys, spine_date) finds, in each event source, the
    newest event row with the same keys and event_date STRICTLY BEFORE
    spine_date, and returns the spine columns plus that event's date as the
    source's `asof_column` (NULL when none) and the source's `carry` columns
    of that event (carried columns must be non-null on events).

    It unions the spine and all sources, orders each key's rows by date with
    spine rows first on ties (so events of the spine date itself are
    excluded), and takes last_value(... ignore nulls) per source: one sort,
    linear in the row counts.

    sources: list of {'events': relation, 'event_date': column,
                      'asof_column': output name, 'carry': [columns]}
-#}
{% macro fs_asof_multi(spine, spine_date, keys, sources) %}
    {%- set carried = [] -%}
    {%- for source in sources -%}
        {%- for col in source.get('carry', []) -%}
            {%- do carried.append(col) -%}
        {%- endfor -%}
    {%- endfor -%}
    select
        {%- for col in keys + carried %}
        {{ col }},
        {%- endfor %}
        {%- for source in sources %}
        {{ source['asof_column'] }},
        {%- endfor %}
        {{ spine_date }}
    from (
        select
            {%- for col in keys %}
            {{ col }},
            {%- endfor %}
            sort_date as {{ spine_date }},
            sort_kind,
            {%- for col in carried %}
            last_value(carried_{{ col }} ignore nulls) over ordered_rows
                as {{ col }},
            {%- endfor %}
            {%- for source in sources %}
            last_value(event_date_{{ loop.index }} ignore nulls)
                over ordered_rows as {{ source['asof_column'] }}
            {%- if not loop.last %},{% endif %}
            {%- endfor %}
        from (
            select
                {%- for col in keys %}
                {{ col }},
                {%- endfor %}
                {{ spine_date }} as sort_date,
                0 as sort_kind,
                {%- for col in carried %}
                cast(null as {{ dbt.type_string() }}) as carried_{{ col }},
                {%- endfor %}
                {%- for source in sources %}
                cast(null as date) as event_date_{{ loop.index }}
                {%- if not loop.last %},{% endif %}
                {%- endfor %}
            from {{ spine }}
            {%- for source in sources %}
            {%- set outer = loop %}
            union all
            select
                {%- for col in keys %}
                {{ col }},
                {%- endfor %}
                {{ source['event_date'] }} as sort_date,
                1 as sort_kind,
                {%- for col in carried %}
                {%- if col in source.get('carry', []) %}
                cast({{ col }} as {{ dbt.type_string() }}) as carried_{{ col }},
                {%- else %}
                cast(null as {{ dbt.type_string() }}) as carried_{{ col }},
                {%- endif %}
                {%- endfor %}
                {%- for other in sources %}
                {%- if loop.index == outer.index %}
                {{ source['event_date'] }} as event_date_{{ loop.index }}
                {%- else %}
                cast(null as date) as event_date_{{ loop.index }}
                {%- endif %}
                {%- if not loop.last %},{% endif %}
                {%- endfor %}
            from {{ source['events'] }}
            {%- endfor %}
        ) as unioned
        window ordered_rows as (
            partition by {{ keys | join(', ') }}
            order by sort_date, sort_kind
            rows between unbounded preceding and current row
        )
    ) as ordered
    where sort_kind = 0
{% endmacro %}


{#- fs_asof_multi with one event source. -#}
{% macro fs_asof(spine, spine_date, events, event_date, keys,
                 asof_column, carry=[]) %}
    {{ fs_asof_multi(spine, spine_date, keys, [{
        'events': events, 'event_date': event_date,
        'asof_column': asof_column, 'carry': carry}]) }}
{% endmacro %}
