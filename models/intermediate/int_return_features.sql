{#
    One row per web-tool user whose first active day is past the burn-in of the
    page-event export (int_user_first_active_days_computed; those left out are counted in
    rpt_first_activity_burn_in): what the user's first active day shows (OS, browser and
    device, plan, hour and weekday of the first event, events and distinct pages, and
    the events on each page), and the label "comes back on another day within
    return_horizon_days" (null when the horizon lies beyond the data; such users are
    not trained on, and scored unless has_returned_so_far: back by the end of the data).
    horizon_end_date is the last day the label looks at. Only the first active day feeds
    a feature (horizon_end_date and has_returned_so_far are not features).
#}

{% set pages_query %}
    select distinct page from {{ ref('int_page_events_deduplicated') }} order by 1
{% endset %}
{# The page columns come from the data; before the page events exist (parsing, linting)
   none. #}
{% set pages = [] %}
{% if execute and load_relation(ref('int_page_events_deduplicated')) is not none %}
    {% set pages = run_query(pages_query).columns[0].values() %}
{% endif %}

with

events as (
    select
        user_id,
        page,
        plan,
        os_family,
        browser_family,
        device_type,
        occurred_at,
        activity_date
    from {{ ref('int_page_events_deduplicated') }}
),

user_days as (
    select
        user_id,
        activity_date
    from {{ ref('int_user_days_aggregated') }}
    where user_type = 'web_user'
),

data_end as (
    select data_end_date from {{ ref('int_user_type_data_ends_computed') }}
    where user_type = 'web_user'
),

{# past the burn-in only: a first active day within first_activity_burn_in_days of the
   page-event export's start may be a long-standing user's, not a first day #}
first_days as (
    select
        user_id,
        first_active_date
    from {{ ref('int_user_first_active_days_computed') }}
    where user_type = 'web_user' and not is_in_burn_in
),

first_day_events as (
    select
        events.*,
        row_number() over (
            partition by events.user_id order by events.occurred_at, events.page
        ) as event_rank
    from events
    inner join first_days
        on
            events.user_id = first_days.user_id
            and events.activity_date = first_days.first_active_date
),

first_day_summary as (
    select
        user_id,
        count(*) as first_day_events,
        count(distinct page) as first_day_distinct_pages,
        {%- for page in pages %}
            count(case when page = '{{ page }}' then 1 end)
                as page_{{ page | replace(' ', '_') }}_events,
        {%- endfor %}
        max(plan) as plan
    from first_day_events
    group by 1
),

first_events as (
    select
        user_id,
        os_family,
        browser_family,
        device_type,
        cast(extract(hour from occurred_at) as integer) as first_event_hour,
        {{ iso_weekday('activity_date') }} as first_event_weekday
    from first_day_events
    where event_rank = 1
),

returns as (
    select
        first_days.user_id,
        min(user_days.activity_date) as return_date
    from first_days
    inner join user_days
        on
            first_days.user_id = user_days.user_id
            and first_days.first_active_date < user_days.activity_date
    group by 1
),

final as (
    select
        first_days.user_id,
        first_days.first_active_date,
        coalesce(first_events.os_family, 'unknown') as os_family,
        coalesce(first_events.browser_family, 'unknown') as browser_family,
        coalesce(first_events.device_type, 'unknown') as device_type,
        coalesce(first_day_summary.plan, 'unknown') as plan,
        first_events.first_event_hour,
        first_events.first_event_weekday,
        first_day_summary.first_day_events,
        first_day_summary.first_day_distinct_pages,
        {%- for page in pages %}
            first_day_summary.page_{{ page | replace(' ', '_') }}_events,
        {%- endfor %}
        cast({{ dbt.dateadd('day', var('return_horizon_days'),
            'first_days.first_active_date') }} as date) as horizon_end_date,
        returns.return_date is not null as has_returned_so_far,
        case
            when
                cast({{ dbt.dateadd('day', var('return_horizon_days'),
                    'first_days.first_active_date') }} as date)
                > data_end.data_end_date
                then null
            else returns.return_date is not null and {{ dbt.datediff(
                'first_days.first_active_date', 'returns.return_date', 'day')
            }} <= {{ var('return_horizon_days') }}
        end as returns_within_horizon
    from first_days
    inner join first_events on first_days.user_id = first_events.user_id
    inner join first_day_summary on first_days.user_id = first_day_summary.user_id
    left join returns on first_days.user_id = returns.user_id
    cross join data_end
)

select * from final
