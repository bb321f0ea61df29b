{#
    Summed by the `by` columns, the model's `measures` equal those of the model `to` row for row
    (a finer grain that adds up to a coarser one). Fails with one row per combination of the `by`
    columns missing on either side or whose sums differ, with both sides' sums.

    `tolerance_per_row` (default 0: exact) allows that much difference per summed row of the model:
    for amounts each side rounds to cents, so a sum of n rounded rows may differ from the rounded
    sum by up to n half-cents (tolerance_per_row: 0.005).
#}
{% test sums_to(model, to, by, measures, tolerance_per_row=0) %}
    with

    fine as (
        select {{ by | join(', ') }}, count(*) as summed_rows,
            {% for m in measures %}sum({{ m }}) as {{ m }}{{ ', ' if not loop.last }}{% endfor %}
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
    where fine.summed_rows is null or coarse.{{ by[0] }} is null
        {% for m in measures %}
        or abs(fine.{{ m }} - coarse.{{ m }}) > {{ tolerance_per_row }} * fine.summed_rows
        or (fine.{{ m }} is null) <> (coarse.{{ m }} is null)
        {% endfor %}
{% endtest %}
