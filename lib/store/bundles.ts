import { GetObjectCommand, type GetObjectCommandOutput, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
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
