-- A stream's version lives in its events (the unique (stream_id, version) index is the check);
-- `streams` is a registry of the streams that exist, written once when a stream starts, so an
-- append no longer rewrites a row per stream it touches.
ALTER TABLE streams DROP COLUMN version;
ALTER TABLE streams DROP COLUMN updated_at;
