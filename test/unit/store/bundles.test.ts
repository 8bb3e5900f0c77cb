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
});
