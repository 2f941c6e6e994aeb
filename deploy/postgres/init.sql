-- One PostgreSQL server, a database per service instance (each owns its event store).
-- Runs once, when the postgres volume is first initialised (docker-entrypoint-initdb.d).
CREATE DATABASE filing_fgw;
CREATE DATABASE filing_zwb;
CREATE DATABASE projection;
