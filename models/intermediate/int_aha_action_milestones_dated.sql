{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['user_key'],
    pre_hook="{{ aha_milestones_burn_in_delete() }}",
    full_refresh=(true if target.type == 'spark' else none),
) }}

{# On Spark the pre-hook's delete needs Delta: the table is rebuilt whole there. #}

{#
    One row per user, candidate action and count k (1..aha_max_threshold): the day
    (day_number, 0 being the user's first active day, see int_aha_users_labelled) on which the
    user did the action for the k-th time, when that was within the first
    aha_max_window_days days, and that day's date (reached_date). A user "did the action
    at least k times within d days" when day_number < d. Actions: each page of the web
    tool (web-tool users), logging in (accounts), viewing shared content and receiving a
    share (clients). No row: the user never reached k within the window, or is in the
    burn-in (int_aha_users_labelled).
    Incremental: a user's rows are fixed once the first aha_max_window_days days are
    behind the data. A run recomputes, whole, each user whose window reaches the cutoff
    (per user type, the latest reached_date built less var('late_arrival_lookback_days'):
    every event new to the data is dated on or after it, and so is a first active day
    that a late event moves), and each client with a share recorded on or after the
    cutoff (a share lands with its latest activity, which may come long after it was
    sent, and counts if sent within the client's window). Accounts' and web-tool users'
    events are read from the first day such a window can start on (a literal date looked
    up before the query, so that the filter reaches the scans). A pre-hook drops the
    rows of users now in the burn-in.
#}

{#- on an incremental run, per user type already built but clients: the first day an event
   of a user to compute can fall on (clients: a late share may reopen an old window) -#}
{% set event_start_dates = {} %}
{% if execute and is_incremental() %}
    {% set starts_query %}
        select
            user_type,
            cast(cast({{ dbt.dateadd('day', -var('aha_max_window_days'),
                lookback_start('max(reached_date)')) }} as date) as {{ dbt.type_string() }})
        from {{ this }}
        where user_type <> 'client'
        group by 1
    {% endset %}
    {% for row in run_query(starts_query).rows %}
        {% do event_start_dates.update({row[0]: row[1]}) %}
    {% endfor %}
{% endif %}

with

{% if is_incremental() -%}
    -- Per user type already built: the first day whose events may be new.
    cutoffs as (
        select
            user_type,
            {{ lookback_start('max(reached_date)') }} as cutoff_date
        from {{ this }}
        group by 1
    ),
{%- endif %}

labelled_users as (
    select
        user_key,
        user_type,
        first_active_date
    from {{ ref('int_aha_users_labelled') }}
    where not is_in_burn_in
),

shares as (
    select
        {{ user_key("'client'", 'customer_code', 'client_id') }} as user_key,
        shared_date,
        last_activity_at
    from {{ ref('int_shares_deduplicated') }}
),

{% if is_incremental() -%}
    -- Clients with a share recorded (sent or last active) on or after the day before the
    -- cutoff (a day early: last activity is in the export's clock), sent within their
    -- first aha_max_window_days days: a share lands with its latest activity, which may
    -- come long after it was sent.
    clients_with_new_shares as (
        select distinct shares.user_key
        from shares
        inner join cutoffs on cutoffs.user_type = 'client'
        inner join labelled_users on shares.user_key = labelled_users.user_key
        where
            (
                shares.shared_date
                >= {{ dbt.dateadd('day', -1, 'cutoffs.cutoff_date') }}
                or cast(shares.last_activity_at as date)
                >= {{ dbt.dateadd('day', -1, 'cutoffs.cutoff_date') }}
            )
            and shares.shared_date >= labelled_users.first_active_date
            and shares.shared_date
            < {{ dbt.dateadd('day', var('aha_max_window_days'), 'labelled_users.first_active_date') }}
    ),
{%- endif %}

-- The users to compute: all, or on an incremental run those whose rows a new day can
-- change (a user type not built yet is computed whole).
users as (
    select
        labelled_users.user_key,
        labelled_users.user_type,
        labelled_users.first_active_date
    from labelled_users
    {%- if is_incremental() %}
    left join cutoffs on labelled_users.user_type = cutoffs.user_type
    left join clients_with_new_shares
        on labelled_users.user_key = clients_with_new_shares.user_key
    where
        cutoffs.cutoff_date is null
        or {{ dbt.dateadd('day', var('aha_max_window_days'), 'labelled_users.first_active_date') }}
        > cutoffs.cutoff_date
        or clients_with_new_shares.user_key is not null
    {%- endif %}
),

events as (
    select
        activity_events.user_key,
        activity_events.user_type,
        activity_events.activity_date,
        case activity_events.event_source
            when 'page_event' then {{ dbt.concat(["'page:'", 'activity_events.item']) }}
            when 'login' then 'login'
            when 'view' then 'view_content'
        end as action
    from {{ ref('int_activity_events_unioned') }} as activity_events
    {%- if is_incremental() %}
    where
        activity_events.user_type not in ('{{ event_start_dates.keys() | join("', '") }}')
        {%- for user_type, start_date in event_start_dates.items() %}
        or (
            activity_events.user_type = '{{ user_type }}'
            and activity_events.activity_date >= cast('{{ start_date }}' as date)
        )
        {%- endfor %}
    {%- endif %}
),

received_shares as (
    select
        user_key,
        'client' as user_type,
        shared_date as activity_date,
        'receive_share' as action
    from shares
),

actions as (
    select * from events
    union all
    select * from received_shares
),

daily_actions as (
    select
        actions.user_key,
        users.user_type,
        users.first_active_date,
        actions.action,
        {{ dbt.datediff('users.first_active_date', 'actions.activity_date', 'day') }}
            as day_number,
        count(*) as times
    from actions
    inner join users on actions.user_key = users.user_key
    where
        actions.activity_date >= users.first_active_date
        and actions.activity_date
        < {{ dbt.dateadd('day', var('aha_max_window_days'), 'users.first_active_date') }}
    group by 1, 2, 3, 4, 5
),

running_counts as (
    select
        user_key,
        user_type,
        first_active_date,
        action,
        day_number,
        times,
        sum(times) over (
            partition by user_key, action
            order by day_number
            rows between unbounded preceding and current row
        ) as times_to_date
    from daily_actions
),

thresholds as (
    {{ dbt.generate_series(var('aha_max_threshold')) }}
),

{# the day a count k is reached: the first day whose running count reaches k #}
milestones as (
    select
        running_counts.user_key,
        running_counts.user_type,
        running_counts.action,
        thresholds.generated_number as threshold,
        running_counts.day_number,
        cast({{ dbt.dateadd('day', 'running_counts.day_number',
            'running_counts.first_active_date') }} as date) as reached_date
    from running_counts
    inner join thresholds
        on
            running_counts.times_to_date - running_counts.times < thresholds.generated_number
            and running_counts.times_to_date >= thresholds.generated_number
)

select * from milestones
