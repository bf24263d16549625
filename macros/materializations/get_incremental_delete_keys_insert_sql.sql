{#
    Incremental strategy 'delete_keys_insert': delete+insert for a unique_key that is not
    unique in the model (e.g. a cohort day of many rows). dbt's delete+insert deletes a
    list of key columns by joining the target to the new rows, which multiplies the
    rows of each key on both sides; this deletes the target rows whose key is among the
    new rows' keys (a semi-join), then inserts the new rows.
#}
{% macro get_incremental_delete_keys_insert_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where exists (
        select 1
        from {{ source }} as new_rows
        where
            {% for key in keys -%}
                new_rows.{{ key }} = {{ target }}.{{ key }}
                {%- if not loop.last %} and {% endif %}
            {% endfor %}
    );

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ source }}
{%- endmacro %}
