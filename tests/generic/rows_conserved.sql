{#
    Every raw record (file, line) lands exactly once: in the staging model or in the
    rejected rows. Returns the records that landed zero times or more than once.
#}
{% test rows_conserved(model, staged, source_name) %}

with

raw_records as (
    select
        _source_file as source_file,
        _source_line as source_line
    from {{ model }}
),

landed as (
    select source_file, source_line from {{ staged }}
    union all
    select source_file, source_line
    from {{ ref('stg_landing__rejected_rows') }}
    where source_name = '{{ source_name }}'
),

landed_counts as (
    select
        source_file,
        source_line,
        count(*) as times_landed
    from landed
    group by 1, 2
)

select
    coalesce(raw_records.source_file, landed_counts.source_file) as source_file,
    coalesce(raw_records.source_line, landed_counts.source_line) as source_line,
    raw_records.source_file is not null as is_in_raw,
    coalesce(landed_counts.times_landed, 0) as times_landed
from raw_records
full outer join landed_counts
    on
        raw_records.source_file = landed_counts.source_file
        and raw_records.source_line = landed_counts.source_line
where
    raw_records.source_file is null
    or landed_counts.times_landed is null
    or landed_counts.times_landed <> 1

{% endtest %}
