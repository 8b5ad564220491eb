#!/bin/sh
# Run once by the postgres image on an empty volume (/docker-entrypoint-initdb.d): the
# databases of Rasa's tracker store and event broker beside the backend's (POSTGRES_DB).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE DATABASE ${RASA_TRACKER_DB:-rasa};
CREATE DATABASE ${RASA_EVENTS_DB:-rasa_events};
SQL
