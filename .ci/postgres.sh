#!/usr/bin/env bash
# Install PostgreSQL from Debian's packages and start it on localhost for the tuning tests.
# Prints the connection URL on its last line; .ci/run exports it as SKLEARN_AUDIO_TEST_POSTGRES_URL.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
    pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start 2>/dev/null || true
for _ in $(seq 30); do
    pg_isready -h 127.0.0.1 -q && break
    sleep 1
done
su postgres -c "psql -q -c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sklearn_audio') THEN CREATE ROLE sklearn_audio LOGIN PASSWORD 'sklearn_audio' CREATEDB; END IF; END \\\$\\\$;\""
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_database WHERE datname = 'sklearn_audio_test'\" | grep -q 1 || createdb -O sklearn_audio sklearn_audio_test"
echo "postgresql://sklearn_audio:sklearn_audio@127.0.0.1:5432/sklearn_audio_test"
