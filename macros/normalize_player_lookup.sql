{#-
    player_lookup: the one key that joins a player across every source.
    Rule (features.md): lowercase ASCII letters and digits only; strip
    accents; drop spaces and punctuation; keep suffixes (jr, ii, iii, iv).
      "Jrue Holiday"      -> jrueholiday
      "Nikola Jokić"      -> nikolajokic
      "D'Angelo Russell"  -> dangelorussell
      "P.J. Washington"   -> pjwashington
      "Jaren Jackson Jr." -> jarenjacksonjr

    Steps, the same on every adapter:
      1. lowercase;
      2. map the letters Unicode NFD does not decompose (ø, đ, ł, ß, æ, ...)
         explicitly, so DuckDB's strip_accents() and BigQuery's
         normalize(NFD) + \pM removal agree;
      3. strip combining accents (adapter specific);
      4. keep only [a-z0-9].
    A NULL name gives a NULL lookup (staging rejects it).
-#}
{% macro normalize_player_lookup(column) -%}
    {{ return(adapter.dispatch('normalize_player_lookup')(column)) }}
{%- endmacro %}

{#- Letters without a canonical decomposition, already lowercase. -#}
{% macro player_lookup_letter_map() -%}
    {{ return({
        'ø': 'o', 'đ': 'd', 'ð': 'd', 'ł': 'l', 'ħ': 'h', 'ı': 'i',
        'ŧ': 't', 'þ': 'th', 'ß': 'ss', 'æ': 'ae', 'œ': 'oe',
    }) }}
{%- endmacro %}

{#- lower() then the explicit letter map, as nested replace() calls. -#}
{% macro player_lookup_mapped_letters(column) -%}
    {%- set ns = namespace(expr='lower(' ~ column ~ ')') -%}
    {%- for letter, ascii in player_lookup_letter_map().items() -%}
        {%- set ns.expr = 'replace(' ~ ns.expr ~ ", '" ~ letter ~ "', '"
            ~ ascii ~ "')" -%}
    {%- endfor -%}
    {{ return(ns.expr) }}
{%- endmacro %}

{% macro duckdb__normalize_player_lookup(column) -%}
    regexp_replace(
        strip_accents({{ player_lookup_mapped_letters(column) }}),
        '[^a-z0-9]', '', 'g'
    )
{%- endmacro %}

{% macro bigquery__normalize_player_lookup(column) -%}
    regexp_replace(
        regexp_replace(
            normalize({{ player_lookup_mapped_letters(column) }}, NFD),
            r'\pM', ''
        ),
        r'[^a-z0-9]', ''
    )
{%- endmacro %}

{#- Engines without accent stripping: translate the common Latin accents. -#}
{% macro default__normalize_player_lookup(column) -%}
    regexp_replace(
        translate(
            {{ player_lookup_mapped_letters(column) }},
            'àáâãäåāăąçćčďèéêëēėęěğìíîïīįľĺñńňòóôõöōőŕřśšşșťțùúûüūůűųýÿźżž',
            'aaaaaaaaacccdeeeeeeeegiiiiiillnnnooooooorrssssttuuuuuuuuyyzzz'
        ),
        '[^a-z0-9]', '', 'g'
    )
{%- endmacro %}
