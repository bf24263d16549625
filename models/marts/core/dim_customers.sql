{#
    The customers whose share_view exports land: code, name and industry, from the
    customers seed (the one place they are set). Facts carry customer_code and join here.
#}

with

customers as (
    select
        customer_code,
        customer_name,
        industry
    from {{ ref('customers') }}
),

final as (
    select
        customer_code,
        customer_name,
        industry
    from customers
)

select * from final
