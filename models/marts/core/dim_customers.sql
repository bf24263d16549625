{#
    The customers: every customer the seed lists or a share/view export names, with its
    name and industry (see int_customers_unioned). Facts carry customer_code and join here.
#}

with

customers as (
    select
        customer_code,
        customer_name,
        industry,
        has_export
    from {{ ref('int_customers_unioned') }}
),

final as (
    select
        customer_code,
        customer_name,
        industry,
        has_export
    from customers
)

select * from final
