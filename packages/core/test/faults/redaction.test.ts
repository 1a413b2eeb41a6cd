/**
 * redactSecrets: the one filter that every message carrying outside text goes through before a log line, an event
 * or a status body (core's sidecar client; the sidecar's failures, start-up errors and kubeconfig errors).
 */
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/internal.js';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bnM6d2ViIn0.sig-nature_value';

describe('redactSecrets', () => {
  it.each([
    ['a bearer token', `HTTP 401: Bearer ${JWT} was rejected`, 'HTTP 401: Bearer [redacted] was rejected'],
    ['a JWT alone', `the token ${JWT} expired`, 'the token [redacted] expired'],
    ['a URL with a password', 'GET http://admin:hunter2secret@127.0.0.1:9901/v1/status', 'GET http://[redacted]@127.0.0.1:9901/v1/status'],
    ['an access key id', 'The security token ASIAQWERTYUIOPASDFGH is invalid', 'The security token [redacted] is invalid'],
    [
      'a SigV4 header',
      'Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=0123456789abcdef',
      'Authorization: AWS4-HMAC-SHA256 Credential=[redacted], SignedHeaders=host, Signature=[redacted]',
    ],
    ['a session token header', 'x-amz-security-token:IQoJb3JpZ2luX2VjEJr//////////wEaCWV1', 'x-amz-security-token:[redacted]'],
    [
      'YAML',
      'user:\n    token: abc.def-ghi\n    client-key-data: LS0tLS1CRUdJTg==',
      'user:\n    token: [redacted]\n    client-key-data: [redacted]',
    ],
    [
      'JSON',
      '{"secretAccessKey":"wJalrXUtnFEMI/K7MDENG","sessionToken":"FwoGZXIvYXdz"}',
      '{"secretAccessKey":"[redacted]","sessionToken":"[redacted]"}',
    ],
    [
      "V8's JSON.parse error",
      'Unexpected token \'<\', "<html>token=abc</html>" is not valid JSON',
      "Unexpected token '<', (the text is not shown) is not valid JSON",
    ],
    ['text without credentials', 'patch pods/status: throttled by the API server (429: too many requests)', null],
  ])('%s', (_, text, expected) => {
    expect(redactSecrets(text)).toBe(expected ?? text);
  });

  it('removes the values the caller knows to be secret, wherever they appear', () => {
    const secret = 'plain-looking-secret-42';
    expect(redactSecrets(`denied for ${secret} (${secret})`, [secret])).toBe('denied for [redacted] ([redacted])');
    // Short values would match ordinary words: not looked for.
    expect(redactSecrets('a short one', ['short'])).toBe('a short one');
  });
});
