import { redactSecrets } from '@draingate/core/internal';

/**
 * The credentials this process holds (the service-account token it read, the kubeconfig user's token, the AWS keys
 * it was given or found in the environment): no log line, Event, condition or status body may carry them. Every
 * failure message goes through {@link redact} (failures.ts), which also removes what looks like a credential.
 */
const known = new Set<string>();

/** Remembers a credential's value, so that {@link redact} hides it wherever it appears. */
export function rememberSecret(value: string | null | undefined): void {
  if (value) known.add(value);
}

/** `text` without any credential this process knows of, or that looks like one (core's `redactSecrets`). */
export function redact(text: string): string {
  return redactSecrets(text, known);
}
