import { asError } from '../errors.js';

const REDACTED = '[redacted]';
// an Authorization value echoed back (a W&B error page or GraphQL message may quote the request)
const AUTH_VALUE = /\b(Basic|Bearer|Token)(\s+|%20)[A-Za-z0-9+/=._~%-]+/gi;

/** The forms a secret takes on the wire: itself, URL-encoded, and inside HTTP basic auth `api:<key>`. */
function secretForms(secret: string): string[] {
  return [
    Buffer.from(`api:${secret}`).toString('base64'),
    Buffer.from(secret).toString('base64'),
    encodeURIComponent(secret),
    secret,
  ];
}

/**
 * Removes every given secret (in the forms it travels in) and any echoed Authorization value from
 * `text`. Used on every error text lib/wandb logs or returns, so that a W&B endpoint that quotes our
 * request headers cannot put the API key into a log line or a stored row.
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text.replace(AUTH_VALUE, `$1 ${REDACTED}`);
  for (const secret of secrets) {
    const trimmed = secret?.trim() ?? '';
    // a 1–3 character "secret" would blank out ordinary words; real keys are 40 characters
    if (trimmed.length < 4) continue;
    for (const form of secretForms(trimmed)) out = out.split(form).join(REDACTED);
  }
  return out;
}

/** `Name: message` of any thrown value, with {@link redactSecrets} applied: the one way lib/wandb words an error. */
export function errorText(error: unknown, secrets: readonly (string | undefined)[] = []): string {
  const e = asError(error);
  return redactSecrets(`${e.name}: ${e.message}`, secrets);
}
