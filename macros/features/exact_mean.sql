{#-
    Order-independent mean of a group (an aggregate expression). A float
    sum depends on the order the engine adds the rows in (threads, a window
    rebuild, another engine), so avg() of doubles can differ in the last
    bit between two runs of the same data, and a rounded mean can flip on
    an exact .xx5. Here every value is first rounded to `input_decimals`
    decimals and summed as an integer (exact in any order); the division is
    then one float operation on the same two integers every time.

    result_decimals: none -> the mean as a float (from the rounded inputs);
      a number -> the mean rounded to that many decimals, halves away from
      zero, computed from the exact integer sum (no float .xx5 ambiguity).
    NULL values are ignored (as avg() does); NULL for an empty group.
-#}
{% macro fs_exact_mean(expr, input_decimals, result_decimals=none) -%}
    {%- set input_scale = 10 ** (input_decimals | int) -%}
    {%- set scaled_sum -%}
        sum(cast(round(({{ expr }}) * {{ input_scale }}) as {{ dbt.type_bigint() }}))
    {%- endset -%}
    {%- set n = 'nullif(count(' ~ expr ~ '), 0)' -%}
    {%- if result_decimals is none -%}
        (cast({{ scaled_sum }} as {{ dbt.type_float() }}) / {{ n }}
        / {{ input_scale }})
    {%- elif result_decimals | int >= input_decimals | int -%}
        {%- set up = 10 ** (result_decimals | int - input_decimals | int) -%}
        (round(cast({{ scaled_sum }} * {{ up }} as {{ dbt.type_float() }})
        / {{ n }}) / {{ 10 ** (result_decimals | int) }})
    {%- else -%}
        {%- set down = 10 ** (input_decimals | int - result_decimals | int) -%}
        (round(cast({{ scaled_sum }} as {{ dbt.type_float() }})
        / ({{ n }} * {{ down }})) / {{ 10 ** (result_decimals | int) }})
    {%- endif -%}
{%- endmacro %}


{#-
    Order-independent sum of a group (an aggregate expression), for the
    same reason as fs_exact_mean: minutes parsed from `MM:SS` (34:07 =
    34.1166...) are not exact in binary, so a float sum() changes in the
    last bit with the order the engine adds the rows in. Each value is
    rounded to `input_decimals` decimals and summed as an integer; one
    division turns the exact sum back into a float. NULL for an empty group.
-#}
{% macro fs_exact_sum(expr, input_decimals) -%}
    {%- set input_scale = 10 ** (input_decimals | int) -%}
    (cast(sum(cast(round(({{ expr }}) * {{ input_scale }})
        as {{ dbt.type_bigint() }})) as {{ dbt.type_float() }})
    / {{ input_scale }})
{%- endmacro %}
