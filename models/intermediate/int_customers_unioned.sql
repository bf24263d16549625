{#
    Every customer the seed lists or a share/view export names, with its name and
    industry: an export whose code the seed does not list yet is kept under its code,
    industry 'unknown' (staging warns about it), so that no record loses its customer.
    The one place customer attributes are joined from.
#}

with

seeded as (
    select
        customer_code,
        customer_name,
        industry
    from {{ ref('customers') }}
),

exported as (
    select distinct customer_code
    from {{ ref('stg_share_view__activities') }}
),

final as (
    select
        coalesce(seeded.customer_code, exported.customer_code) as customer_code,
        coalesce(seeded.customer_name, exported.customer_code) as customer_name,
        coalesce(seeded.industry, 'unknown') as industry,
        exported.customer_code is not null as has_export
    from seeded
    full outer join exported
        on seeded.customer_code = exported.customer_code
)

select * from final
