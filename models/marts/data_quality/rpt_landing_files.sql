{#
    One row per file of the landing folders: how many records it held, how many were
    staged, rejected, and exact duplicates among the staged; a file that was not landed
    (not a data file, a lock file) with the reason, and an empty or header-only file
    with none. The data-quality view of every load; raw = staged + rejected holds by
    the rows_conserved tests.
#}

with

{% set staged_models = [
    ('share_view.activities', 'stg_share_view__activities'),
    ('product.users', 'stg_product__users'),
    ('product.logins', 'stg_product__logins'),
    ('product.page_events', 'stg_product__page_events'),
] %}

{% for source_name, model in staged_models %}
    {{ model }} as (
        select
            '{{ source_name }}' as source_name,
            source_file,
            count(*) as staged_rows,
            count(case when is_exact_duplicate then 1 end) as exact_duplicate_rows
        from {{ ref(model) }}
        group by 1, 2
    ),

{% endfor %}

staged as (
    {% for source_name, model in staged_models %}
        select * from {{ model }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

rejected as (
    select
        source_name,
        source_file,
        count(*) as rejected_rows,
        count(distinct rejection_reason) as rejection_reasons
    from {{ ref('stg_landing__rejected_rows') }}
    group by 1, 2
),

landing_files as (
    select
        source_name,
        source_file,
        is_landed,
        not_landed_reason
    from {{ ref('stg_landing__files') }}
),

file_keys as (
    select
        source_name,
        source_file
    from landing_files
    union
    select
        source_name,
        source_file
    from staged
    union
    select
        source_name,
        source_file
    from rejected
),

files as (
    select
        file_keys.source_name,
        file_keys.source_file,
        coalesce(landing_files.is_landed, true) as is_landed,
        landing_files.not_landed_reason,
        coalesce(staged.staged_rows, 0) + coalesce(rejected.rejected_rows, 0) as raw_rows,
        coalesce(staged.staged_rows, 0) as staged_rows,
        coalesce(rejected.rejected_rows, 0) as rejected_rows,
        coalesce(staged.exact_duplicate_rows, 0) as exact_duplicate_rows,
        coalesce(rejected.rejection_reasons, 0) as rejection_reasons
    from file_keys
    left join landing_files
        on
            file_keys.source_name = landing_files.source_name
            and file_keys.source_file = landing_files.source_file
    left join staged
        on
            file_keys.source_name = staged.source_name
            and file_keys.source_file = staged.source_file
    left join rejected
        on
            file_keys.source_name = rejected.source_name
            and file_keys.source_file = rejected.source_file
)

select * from files
