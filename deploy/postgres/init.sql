-- One database per service on the deployment's PostgreSQL (docker-compose.yml runs this once,
-- when the data volume is new). Each service migrates its own database at start-up.
CREATE DATABASE intake;
CREATE DATABASE audit;
CREATE DATABASE roadmap;
CREATE DATABASE kpi;
CREATE DATABASE portal;
