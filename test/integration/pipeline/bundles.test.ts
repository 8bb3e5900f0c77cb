import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createS3BundleSource, putBundle } from '../../../lib/store/bundles.js';
import { clients, uniquePrefix } from './fixtures.js';

/** The worker's bundle write and the verifier's read, against S3 on the emulator. */
describe('bundles in S3 on the emulator', () => {
  const endpoint = inject('motoEndpoint');
  const { s3 } = clients(endpoint);
  let bucket: string;

  beforeAll(async () => {
    bucket = uniquePrefix('bundles').toLowerCase();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it('stores exactly the bytes of a view spanning several pieces, none of the memory around it', async () => {
    // Prepare: the bundle is a view inside a larger allocation, as the worker's row arena is
    const arena = randomBytes(3 * 1024 * 1024 + 100);
    const bytes = arena.subarray(37, 37 + 2 * 1024 * 1024 + 5);
    // Act
    await putBundle(s3, bucket, 'r1/5A/1.pogb', bytes);
    const back = await createS3BundleSource(s3, bucket).get('r1/5A/1.pogb', 8 * 1024 * 1024);
    // Assess
    expect(back.length).toBe(bytes.length);
    expect(back.equals(bytes)).toBe(true);
  });

  it('stores an empty bundle as an empty object', async () => {
    // Act
    await putBundle(s3, bucket, 'r1/5B/1.pogb', Buffer.alloc(0));
    const back = await createS3BundleSource(s3, bucket).get('r1/5B/1.pogb', 1024);
    // Assess
    expect(back.length).toBe(0);
  });

  it('stores the bundle when the streamed put fails (the SDK cannot retry a stream) by putting it whole', async () => {
    // Prepare: a fresh client whose first request fails as S3 answers a throttled one
    const { s3: flaky } = clients(endpoint);
    const bodies: string[] = [];
    flaky.middlewareStack.add(
      (next) => async (args) => {
        const body = (args.request as { body?: unknown }).body;
        bodies.push(body instanceof Readable ? 'stream' : 'buffer');
        if (bodies.length === 1) {
          throw Object.assign(new Error('Please reduce your request rate.'), {
            name: 'SlowDown',
            $fault: 'server',
            $metadata: { httpStatusCode: 503 },
          });
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'failFirstRequest' },
    );
    const bytes = randomBytes(1024 * 1024 + 7);
    // Act
    await putBundle(flaky, bucket, 'r1/5C/1.pogb', bytes);
    const back = await createS3BundleSource(s3, bucket).get('r1/5C/1.pogb', 8 * 1024 * 1024);
    // Assess
    expect(bodies).toEqual(['stream', 'buffer']);
    expect(back.equals(bytes)).toBe(true);
  });
});
