/**
 * Reads a response body as UTF-8 text, abandoning it once it passes `maxBytes` (declared or actual):
 * untrusted peers (miners' axons, W&B) must not make us buffer without bound.
 */
export async function readBoundedText(
  response: Response,
  maxBytes: number,
  tooLarge: (bytes: number) => Error,
): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(declared);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(size);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
