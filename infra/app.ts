import { App, DefaultStackSynthesizer, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { parseDeployConfig } from './config.js';
import { acknowledgeNagFindings } from './nag.js';
import { PipelineStack } from './pipeline-stack.js';

const app = new App();
const context = (key: string): unknown => app.node.tryGetContext(key);
const config = parseDeployConfig({
  netuid: context('netuid'),
  chainEndpoints:
    context('chainEndpoints') ?? process.env.CHAIN_ENDPOINTS ?? 'wss://entrypoint-finney.opentensor.ai:443',
  weightMode: context('weightMode'),
  validatorHotkey: context('validatorHotkey'),
  minMinerVersion: context('minMinerVersion'),
  dedupeIps: context('dedupeIps'),
  blacklistHotkeys: context('blacklistHotkeys'),
  blacklistColdkeys: context('blacklistColdkeys'),
  syncIntervalMinutes: context('syncIntervalMinutes'),
  weightsIntervalMinutes: context('weightsIntervalMinutes'),
  weightsRateLimitBlocks: context('weightsRateLimitBlocks'),
  pogIntervalBlocks: context('pogIntervalBlocks'),
  proofJobFailureRatePercent: context('proofJobFailureRatePercent'),
  rowCheck: context('rowCheck'),
  verifierInstanceTypes: context('verifierInstanceTypes'),
  verifierMaxvCpus: context('verifierMaxvCpus'),
  verifierTimeoutMinutes: context('verifierTimeoutMinutes'),
  wandbEnabled: context('wandbEnabled'),
  wandbEntity: context('wandbEntity'),
  wandbProject: context('wandbProject'),
  wandbBaseUrl: context('wandbBaseUrl'),
  wandbAllowInsecureHttp: context('wandbAllowInsecureHttp'),
  wandbTrustedPenaltyValidators: context('wandbTrustedPenaltyValidators'),
  jobImage: context('jobImage'),
});

const stack = new PipelineStack(
  app,
  context('stackName') === undefined ? 'PogValidator' : String(context('stackName')),
  {
    config,
    // emulators cannot update a stack that carries the bootstrap-version parameter (local-aws.md §1.9)
    ...(process.env.AWS_ENDPOINT_URL !== undefined
      ? { synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }) }
      : {}),
  },
);
acknowledgeNagFindings(stack);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
app.synth();
