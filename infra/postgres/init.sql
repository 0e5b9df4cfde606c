-- Run once by the postgres image when it creates the database (docker-compose.yml); the native
-- stack does the same in infra/native/postgres.sh. Query statistics: what each statement costs.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
