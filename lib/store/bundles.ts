import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PogValidatorError, ValidationError } from '../errors.js';

/** Bundles in S3; `get` throws {@link BundleMissingError} when the key does not exist. */
export interface BundleSource {
  get(key: string, maxBytes: number): Promise<Buffer>;
}

export class BundleMissingError extends PogValidatorError {}

/**
 * Proof bundles in S3, read with a size bound: the object's length is checked before its body is
 * read, and the body is read in chunks that stop at the bound whatever the length header said.
 */
export function createS3BundleSource(s3: S3Client, bucket: string): BundleSource {
  return {
    async get(key, maxBytes) {
      let out: GetObjectCommandOutput;
      try {
        out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
          throw new BundleMissingError(`bundle ${key} does not exist`);
        }
        throw error;
      }
      if (out.ContentLength !== undefined && out.ContentLength > maxBytes) {
        throw new ValidationError(`bundle ${key} is ${out.ContentLength} bytes, more than ${maxBytes}`);
      }
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of out.Body as AsyncIterable<Uint8Array>) {
        total += chunk.length;
        if (total > maxBytes) throw new ValidationError(`bundle ${key} exceeds ${maxBytes} bytes`);
        chunks.push(Buffer.from(chunk));
      }
      return Buffer.concat(chunks, total);
    },
  };
}

/** The pieces a bundle is written in: views of its bytes, never copies. */
const PUT_PIECE_BYTES = 1024 * 1024;

/**
 * Puts a bundle, its bytes streamed as views of at most {@link PUT_PIECE_BYTES}. One write of the
 * whole buffer makes Node's TLS layer encrypt all of it at once and hold the result until the socket
 * drains: 10–27 MB more at the peak for the largest bundle (31 MB) over HTTPS (`npm run bench -- worker-memory`).
 * The SDK does not retry a request whose body is a stream (it cannot rewind one), so a streamed put
 * that fails is made once more with the whole buffer, which the SDK retries as it retries any call:
 * the rare path pays the memory, and a throttled or dropped put still gets the SDK's retries.
 */
export async function putBundle(s3: S3Client, bucket: string, key: string, bytes: Buffer): Promise<void> {
  const put = (body: Buffer | Readable) =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentLength: bytes.length,
        ContentType: 'application/octet-stream',
      }),
    );
  const pieces = function* () {
    for (let start = 0; start < bytes.length; start += PUT_PIECE_BYTES) {
      yield bytes.subarray(start, Math.min(bytes.length, start + PUT_PIECE_BYTES));
    }
  };
  try {
    await put(Readable.from(pieces(), { objectMode: false }));
  } catch {
    await put(bytes);
  }
}
