{#
    The published fct_views: the rows of int_views_linked (see there for how they are built),
    under the mart's enforced contract.
#}

select * from {{ ref('int_views_linked') }}
