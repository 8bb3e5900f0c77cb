# The AWS Batch proof-job image: one container run per PoG challenge (functions/proof-job).
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
RUN npx tsx scripts/bundle.ts proof-job

FROM public.ecr.aws/docker/library/node:22-bookworm-slim
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=build /src/dist/ ./
USER node
# exit 0: outcome recorded (success or miner fault); 1: infrastructure fault (Batch retries); 2: invalid challenge
ENTRYPOINT ["node", "/app/proof-job.mjs"]
