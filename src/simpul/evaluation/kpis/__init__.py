"""Service KPIs per agency and service: volumes, times to finish, SLA, backlog, online share."""
