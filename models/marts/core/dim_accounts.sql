{{ config(materialized='view') }}

{#
    The published dim_accounts: the rows of int_accounts_enriched (see there for how they are built),
    under the mart's enforced contract.
#}

select * from {{ ref('int_accounts_enriched') }}
