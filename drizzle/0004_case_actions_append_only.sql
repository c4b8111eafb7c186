-- The case audit trail is append-only: rows may be inserted, never changed or removed.
CREATE OR REPLACE FUNCTION case_actions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'case_actions is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER case_actions_no_update_delete BEFORE UPDATE OR DELETE ON case_actions FOR EACH ROW EXECUTE FUNCTION case_actions_append_only();
--> statement-breakpoint
CREATE TRIGGER case_actions_no_truncate BEFORE TRUNCATE ON case_actions FOR EACH STATEMENT EXECUTE FUNCTION case_actions_append_only();
