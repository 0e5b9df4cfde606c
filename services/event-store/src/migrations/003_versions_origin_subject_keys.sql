-- What each event was written as and where it came from, and the keys of personal data.
-- schema_version: the version of its event type's data schema the event was written in; the
-- store keeps it as written and readers upcast (rows stored before versions existed are v1).
ALTER TABLE events ADD COLUMN schema_version integer NOT NULL DEFAULT 1 CHECK (schema_version > 0);
-- The ingest record the event was consumed from (NULL for events stored before it was kept).
ALTER TABLE events ADD COLUMN ingest_topic text;
ALTER TABLE events ADD COLUMN ingest_partition integer;
ALTER TABLE events ADD COLUMN ingest_offset bigint;

-- The data subject whose key seals the event's personal fields (NULL: the event has none).
ALTER TABLE events ADD COLUMN pii_subject text;
-- The same for a snapshot's state (its personal state fields are sealed alike).
ALTER TABLE snapshots ADD COLUMN pii_subject text;

-- One AES-256-GCM key per data subject (a customer), wrapped with the master key
-- (PII_MASTER_KEY). Erasing a subject deletes its row: what was sealed with it no longer opens.
CREATE TABLE subject_keys (
  subject_id  text PRIMARY KEY,
  wrapped_key text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Subjects whose key was deleted: later events naming them are sealed as erased, never with a
-- new key, so an erasure cannot be undone by a late or redelivered event.
CREATE TABLE erased_subjects (
  subject_id text PRIMARY KEY,
  erased_at  timestamptz NOT NULL DEFAULT now()
);
