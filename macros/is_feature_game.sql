{#-
    True when `game_type_column` is a game type that counts for the feature
    store (var feature_game_types: regular season and playoffs).
-#}
{% macro is_feature_game(game_type_column='game_type') -%}
    {{ game_type_column }} in (
        {%- for game_type in var('feature_game_types') -%}
            '{{ game_type }}'{{ ', ' if not loop.last }}
        {%- endfor -%}
    )
{%- endmacro %}
