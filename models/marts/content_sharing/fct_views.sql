{{ config(materialized='view') }}

{#
    The published fct_views: a view of int_views_linked (see there for how its rows are built; the table
    is stored once), under the mart's enforced contract. The ref leaves out the database
    name so that the view works whatever name the DuckDB file is attached under.
#}

select * from {{ ref('int_views_linked').include(database=False) }}
