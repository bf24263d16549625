-- Which rejection reasons dominate, per source and file: the first place to look after a
-- load whose rpt_landing_files shows rejected rows. Compile with `dbt compile` and run
-- the SQL in target/compiled, or paste it into a DuckDB shell.
with

rejected as (
    select
        source_name,
        source_file,
        rejection_reason
    from {{ ref('stg_landing__rejected_rows') }}
),

counted as (
    select
        source_name,
        source_file,
        rejection_reason,
        count(*) as rejected_rows
    from rejected
    group by 1, 2, 3
)

select * from counted
order by 4 desc
