{#
    aha_milestones_burn_in_delete(): on an incremental run of
    int_aha_action_milestones_dated (its pre-hook), the statement that drops the rows of
    users now in the burn-in of their export (a late event can move the first active day
    of a young export's user into it, and the delete+insert that follows replaces only
    the users it computes). Nothing on a full build.
#}
{% macro aha_milestones_burn_in_delete() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where user_key in (
            select user_key from {{ ref('int_aha_users_labelled') }}
            where is_in_burn_in
        )
    {%- endif -%}
{%- endmacro %}
