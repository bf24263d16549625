{{ config(materialized='view') }}

{#
    One row per raw record that could not be staged, from every source: the file and
    line it came from, why it was rejected, and its text. Together with the staging
    models this accounts for every raw row (the rows_conserved tests check it).
#}

with

{% set bases = [
    ('share_view.activities', 'base_share_view__activities'),
    ('product.users', 'base_product__users'),
    ('product.logins', 'base_product__logins'),
    ('product.page_events', 'base_product__page_events'),
] %}

{% for source_name, base in bases %}
    {{ base }} as (
        select
            '{{ source_name }}' as source_name,
            source_file,
            source_line,
            rejection_reason,
            coalesce(raw_record, record_values) as record_text
        from {{ ref(base) }}
        where rejection_reason is not null
    ),

{% endfor %}

unioned as (
    {% for source_name, base in bases %}
        select * from {{ base }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from unioned
