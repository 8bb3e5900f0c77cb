import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** The operator-set secrets, each encrypted with its own customer-managed key. */
export interface PipelineSecrets {
  /** The validator hotkey seed (mnemonic, hex seed or URI), read by the signers only. */
  readonly hotkey: secretsmanager.Secret;
  /** The W&B API key, read by the sync (allocated hotkeys) and the weight run (validator state). */
  readonly wandbApiKey: secretsmanager.Secret;
}

/**
 * Both secrets empty at deploy (the operator sets the values), with rotating KMS keys; secrets and keys
 * are retained when the stack goes. The W&B secret is always created, so the operator can set the key
 * before turning W&B on (`wandbEnabled`). Created in the stack's own scope: the logical ids stay.
 */
export function addSecrets(stack: Stack): PipelineSecrets {
  const hotkeyKey = new kms.Key(stack, 'HotkeyKey', {
    enableKeyRotation: true,
    description: 'Encrypts the validator hotkey seed',
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const hotkey = new secretsmanager.Secret(stack, 'HotkeySecret', {
    description: 'Validator hotkey seed (mnemonic, hex seed or URI); set the value after deploy',
    encryptionKey: hotkeyKey,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const wandbKey = new kms.Key(stack, 'WandbApiKeyKey', {
    enableKeyRotation: true,
    description: 'Encrypts the W&B API key',
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const wandbApiKey = new secretsmanager.Secret(stack, 'WandbApiKeySecret', {
    description: "W&B API key (plain string) for other validators' state; set the value after deploy",
    encryptionKey: wandbKey,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  return { hotkey, wandbApiKey };
}
