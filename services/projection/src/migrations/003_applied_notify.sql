-- Read-your-writes: a read that waits for an event learns that the consumer applied more by a
-- notification at commit (one per transaction, whatever it applied), then checks
-- consumed_streams once for every waiting read; no read polls the table in a loop.
-- The channel is per schema (NOTIFY is database-wide) and short whatever the schema's name.
CREATE FUNCTION notify_applied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('eventscope_applied_' || left(md5(current_schema()), 16), '');
  RETURN NULL;
END
$$;

CREATE TRIGGER consumed_streams_applied AFTER INSERT OR UPDATE ON consumed_streams
  FOR EACH STATEMENT EXECUTE FUNCTION notify_applied();
