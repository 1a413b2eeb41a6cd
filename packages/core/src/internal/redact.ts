/**
 * Credentials never reach a log line, an event or a status body: every message that carries text from outside (an
 * API server's error body, an AWS SDK error, a URL, a body that is not JSON) goes through {@link redactSecrets}
 * before it is shown. It removes the credentials it can recognise by their shape, and the values the caller knows
 * to be secret (a service-account token it read, the AWS keys it was given).
 */

const HIDDEN = '[redacted]';

/** Shapes of credentials, each with what replaces it (`$1` keeps the name in front of the value). */
const PATTERNS: readonly [RegExp, string][] = [
  // A URL with user:password.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]*@/gi, `$1${HIDDEN}@`],
  // An Authorization header's credentials.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${HIDDEN}`],
  // A JSON Web Token (service-account tokens, IRSA and EKS Pod Identity tokens).
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, HIDDEN],
  // AWS access key ids (long-term AKIA…, temporary ASIA…).
  [/\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b/g, HIDDEN],
  // SigV4: the credential scope, the signature, a session token in a header or a query.
  [/\b(Credential=)[^\s,&]+/gi, `$1${HIDDEN}`],
  [/\b((?:X-Amz-)?Signature=)[0-9a-f]+/gi, `$1${HIDDEN}`],
  [/\b(x-amz-security-token[=:]\s*)[^\s&,;'"]+/gi, `$1${HIDDEN}`],
  // `token: …`, `"password": "…"`, `aws_secret_access_key = …`, `client-key-data: …` in YAML, JSON, INI or a query.
  [
    /\b((?:token|id-token|refresh-token|password|passwd|secret|client-secret|client-key-data|secretAccessKey|secret_access_key|aws_secret_access_key|sessionToken|session_token|aws_session_token)["']?\s*[:=]\s*["']?)[^\s"',;&}]+/gi,
    `$1${HIDDEN}`,
  ],
  // V8's JSON.parse error quotes the text it could not parse: `Unexpected token 'a', "abc…" is not valid JSON`.
  [/"(?:[^"\\]|\\.)*" is not valid JSON/g, '(the text is not shown) is not valid JSON'],
];

/**
 * `text` without the credentials in it: the shapes above, and every value of `secrets` (values shorter than 8
 * characters are not looked for: too likely to match ordinary words).
 */
export function redactSecrets(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join(HIDDEN);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
