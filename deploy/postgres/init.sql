-- One PostgreSQL server, a database per service instance (each owns its event store).
-- Runs once, when the postgres volume is first initialised (docker-entrypoint-initdb.d); on an older
-- volume create any database missing here by hand (or start afresh: docker compose down -v).
CREATE DATABASE filing_fgw;
CREATE DATABASE filing_zwb;
CREATE DATABASE tasking_fgw;
CREATE DATABASE tasking_zwb;
CREATE DATABASE inspection;
CREATE DATABASE projection;
CREATE DATABASE acceptance;
CREATE DATABASE identity;
