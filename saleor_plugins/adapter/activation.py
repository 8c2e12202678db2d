"""When each plugin configuration last became active, captured by a database trigger.

Saleor's ``PluginConfiguration`` has no timestamp, and a configuration can be switched on
by ``pluginUpdate``, the Django admin, a data migration or a script. A trigger on its
table sees every one of them: it records the moment ``active`` turns true (and forgets
it when it turns false or the row goes) in ``saleor_plugins_activation``, keyed by the
configuration's primary key. Reconciliation emits nothing for changes made before that
moment, as the hooks did not either.

Installing it (``manage.py migrate`` does) records configurations already active as
active from then on: what happened before cannot be told, so it is not sent.
"""

from __future__ import annotations

INSTALL_SQL = """
CREATE TABLE IF NOT EXISTS saleor_plugins_activation (
    configuration_id integer PRIMARY KEY,
    active_since timestamptz NOT NULL
);
CREATE OR REPLACE FUNCTION saleor_plugins_record_activation() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NOT NEW.active THEN
        DELETE FROM saleor_plugins_activation
         WHERE configuration_id = COALESCE(OLD.id, NEW.id);
    ELSIF TG_OP = 'INSERT' OR NOT OLD.active THEN
        -- the statement's own clock: a test's or a long request's transaction may have
        -- started before the objects it saw were created
        INSERT INTO saleor_plugins_activation (configuration_id, active_since)
        VALUES (NEW.id, clock_timestamp())
        ON CONFLICT (configuration_id) DO UPDATE SET active_since = EXCLUDED.active_since;
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS saleor_plugins_activation ON plugins_pluginconfiguration;
CREATE TRIGGER saleor_plugins_activation
    AFTER INSERT OR DELETE OR UPDATE OF active ON plugins_pluginconfiguration
    FOR EACH ROW EXECUTE FUNCTION saleor_plugins_record_activation();
INSERT INTO saleor_plugins_activation (configuration_id, active_since)
SELECT id, clock_timestamp() FROM plugins_pluginconfiguration WHERE active
ON CONFLICT (configuration_id) DO NOTHING;
"""

#: ``active_since`` of a ``PluginConfiguration`` row, for ``QuerySet.annotate(RawSQL(...))``
ACTIVE_SINCE_SQL = (
    "SELECT a.active_since FROM saleor_plugins_activation a"
    " WHERE a.configuration_id = plugins_pluginconfiguration.id"
)
