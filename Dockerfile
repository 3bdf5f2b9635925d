# Dagwright: runs the TypeScript sources directly on Node 24 (type stripping, no build step).
FROM node:24-slim

ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=3000

# git (the project mirrors, commits and pushes; openssh-client when GIT_URL is an SSH address), python3
# (the DAG structure check) and bubblewrap (the sandbox for generated code and repository packs) are run by
# the bot. bubblewrap needs user namespaces: run the container with a seccomp profile that allows them
# (e.g. --security-opt seccomp=unconfined); `dagwright doctor` says whether the sandbox works.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client python3 ca-certificates bubblewrap \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY src ./src
COPY handlers ./handlers
COPY prompts ./prompts
COPY README.md ./
COPY docs ./docs

# The team's Airflow, for validation (AIRFLOW_PYTHON): an image of your own built FROM this one can add a
# virtualenv with the Airflow and providers your deployment runs, e.g.
#   USER root
#   RUN apt-get update && apt-get install -y --no-install-recommends python3-venv pkg-config libmariadb-dev gcc \
#       && python3 -m venv /opt/airflow && /opt/airflow/bin/pip install -r /tmp/your-airflow-requirements.txt
#   ENV AIRFLOW_PYTHON=/opt/airflow/bin/python
#   USER node
# (airflow/requirements-3.lock in this repository is a known-good set for Airflow 3 on Python 3.11.)

RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"

CMD ["node", "src/main.ts", "serve"]
