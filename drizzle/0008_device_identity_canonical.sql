-- One canonical identity per device (src/ingest/device-identity.ts): JT/T 808 phones lowercase without their
-- zero padding, OsmAnd / JSON ids trimmed and lowercase. Rows are rewritten to that form; the next migration
-- makes the form a constraint, so the unique (protocol, identifier) index compares canonical identities.
--
-- Two rows that become the same identity are two schools' (or one school's) claims on one terminal. They are
-- never merged: the migration stops, naming every such group, and changes nothing. The operator decides who
-- owns the terminal, deletes or re-identifies the other row, and starts the service again.
DO $$
DECLARE
  conflicts text;
BEGIN
  WITH canon AS (
    SELECT id, school_id, protocol, identifier,
      CASE WHEN protocol = 'jt808'
        THEN coalesce(nullif(ltrim(lower(btrim(identifier)), '0'), ''), '0')
        ELSE lower(btrim(identifier))
      END AS canonical
    FROM devices
  )
  SELECT string_agg(format('%s %s = devices %s (schools %s; identifiers %s)', protocol, canonical, ids, schools, identifiers), '; ')
  INTO conflicts
  FROM (
    SELECT protocol, canonical,
      string_agg(id::text, ', ' ORDER BY id) AS ids,
      string_agg(school_id::text, ', ' ORDER BY id) AS schools,
      string_agg(quote_literal(identifier), ', ' ORDER BY id) AS identifiers
    FROM canon
    GROUP BY protocol, canonical
    HAVING count(*) > 1
  ) groups;
  IF conflicts IS NOT NULL THEN
    RAISE EXCEPTION 'device identity conflicts: %', conflicts
      USING HINT = 'These devices are one terminal once identifiers are canonical. Keep the owner''s row; delete the other (delete from devices where id = ...) or give it its real identifier, then start again.';
  END IF;
  UPDATE devices SET identifier = CASE WHEN protocol = 'jt808'
      THEN coalesce(nullif(ltrim(lower(btrim(identifier)), '0'), ''), '0')
      ELSE lower(btrim(identifier))
    END
  WHERE identifier <> CASE WHEN protocol = 'jt808'
      THEN coalesce(nullif(ltrim(lower(btrim(identifier)), '0'), ''), '0')
      ELSE lower(btrim(identifier))
    END;
END $$;
