{#
    The kind of a shared content from its title: the file extension (pdf, pptx, mp4,
    docx, xlsx, ...) or url for a link; other when neither.
#}
{% macro content_kind(title_expression) -%}
    {%- set extensions = {
        'pdf': ['pdf'], 'pptx': ['pptx', 'ppt'], 'docx': ['docx', 'doc'],
        'xlsx': ['xlsx', 'xls', 'csv'], 'mp4': ['mp4', 'mov', 'avi', 'wmv'],
        'image': ['png', 'jpg', 'jpeg', 'gif'],
    } -%}
    case
        when lower({{ title_expression }}) like 'http%' or lower({{ title_expression }}) like 'www.%'
            then 'url'
        {%- for kind, suffixes in extensions.items() %}
        when
            {%- for suffix in suffixes %}
            lower({{ title_expression }}) like '%.{{ suffix }}'{{ ' or' if not loop.last }}
            {%- endfor %}
            then '{{ kind }}'
        {%- endfor %}
        else 'other'
    end
{%- endmacro %}
