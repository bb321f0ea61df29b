{#
    The combination of `combination_of_columns` is unique over the model (a grain test).
    Fails with one row per duplicated combination and how often it occurs.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
