{#
    The published fct_shares: the rows of int_shares_linked (see there for how they are built),
    under the mart's enforced contract.
#}

select * from {{ ref('int_shares_linked') }}
