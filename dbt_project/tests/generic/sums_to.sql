{#
    Summed by the `by` columns, the model's `measures` equal those of the model `to` row for row
    (a finer grain that adds up to a coarser one). Fails with one row per combination of the `by`
    columns missing on either side or whose sums differ, with both sides' sums.
#}
{% test sums_to(model, to, by, measures) %}
    with

    fine as (
        select {{ by | join(', ') }}, {% for m in measures %}sum({{ m }}) as {{ m }}{{ ', ' if not loop.last }}{% endfor %}
        from {{ model }}
        group by {{ by | join(', ') }}
    ),

    coarse as (
        select {{ by | join(', ') }}, {% for m in measures %}sum({{ m }}) as {{ m }}{{ ', ' if not loop.last }}{% endfor %}
        from {{ to }}
        group by {{ by | join(', ') }}
    )

    select
        {% for column in by %}coalesce(fine.{{ column }}, coarse.{{ column }}) as {{ column }},{% endfor %}
        {% for m in measures %}fine.{{ m }} as model_{{ m }}, coarse.{{ m }} as to_{{ m }}{{ ',' if not loop.last }}{% endfor %}
    from fine
    full outer join coarse
        on {% for column in by %}fine.{{ column }} = coarse.{{ column }}{{ ' and ' if not loop.last }}{% endfor %}
    where {% for m in measures %}fine.{{ m }} is distinct from coarse.{{ m }}{{ ' or ' if not loop.last }}{% endfor %}
{% endtest %}
