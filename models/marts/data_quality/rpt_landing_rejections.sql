{#
    One row per landing file and rejection reason: how many records the file lost to
    that reason, and the first line of one. The why of rpt_landing_files' rejected_rows,
    for readers of the published marts (the rejected records' text stays in staging: it
    may hold personal data).
#}

with

rejected_rows as (
    select
        source_name,
        source_file,
        source_line,
        rejection_reason
    from {{ ref('stg_landing__rejected_rows') }}
),

reasons_counted as (
    select
        source_name,
        source_file,
        rejection_reason,
        count(*) as rejected_rows,
        min(source_line) as first_source_line
    from rejected_rows
    group by 1, 2, 3
)

select * from reasons_counted
