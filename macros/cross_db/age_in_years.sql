{#-
    Whole years between a birth date and a date (age on that date): the
    year difference, minus one when the birthday has not come yet that year.
    Built from extract(), which every adapter supports the same way.
-#}
{% macro age_in_years(birth_date, on_date) -%}
    (
        extract(year from {{ on_date }}) - extract(year from {{ birth_date }})
        - case
            when extract(month from {{ on_date }}) * 100
                + extract(day from {{ on_date }})
                < extract(month from {{ birth_date }}) * 100
                + extract(day from {{ birth_date }})
                then 1
            else 0
        end
    )
{%- endmacro %}
