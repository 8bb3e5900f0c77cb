import { App, DefaultStackSynthesizer, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { deployConfigFromContext } from './config.js';
import { acknowledgeNagFindings } from './nag.js';
import { PipelineStack } from './pipeline-stack.js';

const app = new App();
const context = (key: string): unknown => app.node.tryGetContext(key);
const config = deployConfigFromContext(context, process.env);

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
