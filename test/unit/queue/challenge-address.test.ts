import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lib/errors.js';
import { decodeChallenge, encodeChallenge, type PogChallenge } from '../../../lib/queue/challenge.js';
import { enqueueChallenges } from '../../../lib/queue/fan-out.js';

const challengeAt = (ip: string, uid = 1): PogChallenge => ({
  netuid: 27,
  roundId: 'r',
  uid,
  hotkey: `5H${uid}`,
  axon: { ip, port: 8091, version: 185 },
});

/** Addresses a miner may announce that lead into our own account or nowhere, with their class. */
const NON_PUBLIC: readonly [ip: string, kind: string][] = [
  ['127.0.0.1', 'loopback'],
  ['169.254.169.254', 'link-local'],
  ['10.1.2.3', 'private'],
  ['192.168.0.10', 'private'],
  ['0.0.0.0', 'unspecified'],
  ['::1', 'loopback'],
  ['::ffff:169.254.169.254', 'link-local'],
  ['fd00::1', 'private'],
  ['224.0.0.1', 'multicast'],
  ['metadata.internal', 'not-an-ip'],
];

/** Records what would have been sent, so a test can tell "refused before sending" from "sent". */
function recordingSqs(): { client: SQSClient; bodies: string[] } {
  const bodies: string[] = [];
  const client = {
    send: async (command: { input: { Entries?: { MessageBody?: string }[] } }) => {
      for (const e of command.input.Entries ?? []) bodies.push(e.MessageBody ?? '');
      return { Successful: [], Failed: [] };
    },
  } as unknown as SQSClient;
  return { client, bodies };
}

describe('Function: decodeChallenge() — axon address', () => {
  it('accepts a public axon and refuses every non-public class, naming the field and the class', () => {
    // Prepare
    const publicBody = encodeChallenge(challengeAt('8.8.8.8'));
    // Act
    const decoded = decodeChallenge(publicBody);
    const refusals = NON_PUBLIC.map(([ip]) => {
      try {
        decodeChallenge(encodeChallenge(challengeAt(ip)));
        return null;
      } catch (error) {
        return error;
      }
    });
    // Assess
    expect(decoded.axon.ip).toBe('8.8.8.8');
    refusals.forEach((error, i) => {
      const [ip, kind] = NON_PUBLIC[i] ?? ['', ''];
      expect(error).toBeInstanceOf(ValidationError);
      const message = (error as ValidationError).message;
      expect(message).toContain(`axon.ip: axon address is not public (${kind})`);
      // the log line names the class, never the address the miner chose
      expect(message).not.toContain(ip);
    });
  });

  it('accepts private addresses only under the harness policy, and never a host name', () => {
    // Prepare
    const loopback = encodeChallenge(challengeAt('127.0.0.1'));
    const name = encodeChallenge(challengeAt('localhost'));
    // Act
    const decoded = decodeChallenge(loopback, { allowPrivateAddresses: true });
    // Assess
    expect(decoded.axon.ip).toBe('127.0.0.1');
    expect(() => decodeChallenge(loopback, { allowPrivateAddresses: false })).toThrow(
      /not public \(loopback\)/,
    );
    expect(() => decodeChallenge(name, { allowPrivateAddresses: true })).toThrow(/not public \(not-an-ip\)/);
  });
});

describe('Function: enqueueChallenges() — axon address', () => {
  it('refuses a round holding one non-public axon before sending any message', async () => {
    // Prepare
    const sqs = recordingSqs();
    const round = [challengeAt('8.8.8.8', 1), challengeAt('169.254.169.254', 2), challengeAt('1.1.1.1', 3)];
    // Act
    const sent = enqueueChallenges(sqs.client, 'q', round);
    // Assess
    await expect(sent).rejects.toThrow(ValidationError);
    await expect(sent).rejects.toThrow(/uid 2: axon\.ip: axon address is not public \(link-local\)/);
    expect(sqs.bodies).toEqual([]);
  });

  it('sends public axons, and private ones only under the harness policy', async () => {
    // Prepare
    const publicSqs = recordingSqs();
    const harnessSqs = recordingSqs();
    const publicRound = [challengeAt('8.8.8.8', 1), challengeAt('2606:4700::1111', 2)];
    const harnessRound = [challengeAt('127.0.0.1', 1)];
    // Act
    const publicResult = await enqueueChallenges(publicSqs.client, 'q', publicRound);
    const harnessResult = await enqueueChallenges(harnessSqs.client, 'q', harnessRound, {
      allowPrivateAddresses: true,
    });
    // Assess
    expect(publicResult.sent).toBe(2);
    expect(publicSqs.bodies.map((b) => decodeChallenge(b))).toEqual(publicRound);
    expect(harnessResult.sent).toBe(1);
    expect(harnessSqs.bodies.map((b) => decodeChallenge(b, { allowPrivateAddresses: true }))).toEqual(
      harnessRound,
    );
  });
});
