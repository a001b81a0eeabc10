"""Reading audit rows as their writers named people: version 2 rows store `user#<users.id>`-style
references or `p:<n>` placeholders (README "Audit"), so tests resolve them back to `user:<telegram id>`
through the users table (a reference) or the row's personal values (a placeholder)."""

from __future__ import annotations

# `SELECT {ACTOR} AS actor ... FROM audit_log`: the stored actor resolved back to its writer's form, so a
# pseudonym that points at the wrong user, or a placeholder whose personal value is wrong, fails the test
ACTOR = (
    "(CASE WHEN audit_log.actor ~ '^(user|admin|tg)#[0-9]+$'"
    " THEN split_part(audit_log.actor, '#', 1) || ':' || (SELECT u.telegram_id FROM users u"
    "  WHERE u.id = split_part(audit_log.actor, '#', 2)::bigint)"
    " WHEN audit_log.actor ~ '^p:[0-9]+$' THEN audit_log.personal->'values'->>'actor'"
    " ELSE audit_log.actor END)"
)
# no stored actor, subject or details names a Telegram id in the clear
NAMES_A_PERSON = (
    "SELECT count(*) FROM audit_log WHERE actor ~ '^(user|admin|tg):' OR subject ~ '^(user|admin|tg):'"
)
