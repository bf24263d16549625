{#
    The key of a user of any type: user_type:user_id, or user_type:customer_code:user_id
    for clients (a client id is unique within its customer only).
#}
{% macro user_key(user_type='user_type', customer_code='customer_code', user_id='user_id') -%}
    {{ dbt.concat([user_type, "':'", "coalesce(" ~ customer_code ~ " || ':', '')", user_id]) }}
{%- endmacro %}
