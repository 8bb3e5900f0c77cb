import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { putBundle } from '../../../lib/store/bundles.js';

/** How the worker's bundle write hands its bytes to the SDK (the round trip runs on moto: test/integration). */
describe('putBundle', () => {
  it('sends the body as views of at most 1 MiB, never one write of the whole buffer', async () => {
    // Prepare: a client that keeps the command instead of sending it
    const bytes = randomBytes(2 * 1024 * 1024 + 3);
    const sent: PutObjectCommand[] = [];
    const capture = {
      send: async (command: PutObjectCommand) => void sent.push(command),
    } as unknown as S3Client;
    // Act
    await putBundle(capture, 'bucket', 'k', bytes);
    expect(sent).toHaveLength(1);
    const input = (sent[0] as PutObjectCommand).input;
    const pieces: Buffer[] = [];
    for await (const piece of input.Body as Readable) pieces.push(piece as Buffer);
    // Assess
    expect(input.Body).toBeInstanceOf(Readable);
    expect(input.ContentLength).toBe(bytes.length);
    expect(pieces.map((p) => p.length)).toEqual([1024 * 1024, 1024 * 1024, 3]);
    expect(pieces.every((p) => p.buffer === bytes.buffer)).toBe(true);
    expect(Buffer.concat(pieces).equals(bytes)).toBe(true);
  });

  it('puts the whole buffer once more when the streamed put fails, and throws when that fails too', async () => {
    // Prepare: clients that refuse the first put, or every put
    const bytes = randomBytes(1000);
    const bodies: unknown[] = [];
    const refusing = (refusals: number) =>
      ({
        send: async (command: PutObjectCommand) => {
          bodies.push(command.input.Body);
          if (bodies.length <= refusals) throw new Error(`refused ${bodies.length}`);
        },
      }) as unknown as S3Client;
    // Act
    await putBundle(refusing(1), 'bucket', 'k', bytes);
    const once = bodies.splice(0);
    const failure = await putBundle(refusing(2), 'bucket', 'k', bytes).catch((e: Error) => e);
    // Assess
    expect(once).toHaveLength(2);
    expect(once[0]).toBeInstanceOf(Readable);
    expect(once[1]).toBe(bytes);
    expect(bodies).toHaveLength(2);
    expect((failure as Error).message).toBe('refused 2');
  });
});
