-- The steps an event caused, asked by the console's journey (GET /api/processes/steps?causedBy=).
CREATE INDEX IF NOT EXISTS process_steps_caused_by_idx ON process_steps (caused_by) WHERE caused_by IS NOT NULL;
