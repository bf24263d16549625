{#
    delete_cohort_days_without_users(counted, cohorts): on an incremental run, a delete of
    the rows of counted (a table by user_type and cohort_date) whose cohort day no
    longer has a user in cohorts (int_user_cohorts_assigned): a late event can move every
    user of a cohort day to an earlier day, and a delete+insert run deletes only the
    cohort days it writes. Nothing on a full build.
#}
{% macro delete_cohort_days_without_users(counted, cohorts) -%}
    {%- if is_incremental() -%}
        delete from {{ counted }}
        where not exists (
            select 1
            from {{ cohorts }} as cohorts
            where
                cohorts.user_type = {{ counted }}.user_type
                and cohorts.cohort_date = {{ counted }}.cohort_date
        )
    {%- endif -%}
{%- endmacro %}
