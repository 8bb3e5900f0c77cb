# The AWS Batch verifier image (functions/verifier): drains the verification queue and re-checks every
# value of every challenged row on the GPU (lib/pog/payload/row_check.py with torch on CUDA).
# Built by the CDK stack (DockerImageAsset) from the repository root.
FROM public.ecr.aws/docker/library/node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY lib ./lib
COPY functions ./functions
COPY infra/bundling.ts ./infra/
COPY scripts ./scripts
RUN npx tsx scripts/bundle.ts verifier

# CUDA PyTorch runtime: the row checker's torch path (and numpy, which the image ships)
FROM pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime
# Node 22 from the official image: the bundled entry needs nothing else (no node_modules)
COPY --from=public.ecr.aws/docker/library/node:22-bookworm-slim /usr/local/bin/node /usr/local/bin/node
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps PYTHON=python3
WORKDIR /app
# verifier.mjs with payload/row_check.py and payload/miner_payload.py beside it
COPY --from=build /src/dist/ ./
RUN python3 -c "import numpy, torch" && node --version && useradd --system --uid 10001 verifier
USER verifier
# exit 0: the queue stayed empty (every message recorded or left for redelivery); 1: config or client fault
ENTRYPOINT ["node", "/app/verifier.mjs"]
