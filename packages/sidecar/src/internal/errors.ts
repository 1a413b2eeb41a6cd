/**
 * Thrown at start-up for invalid configuration. The message names the setting (flag and environment variable),
 * the value that was rejected and how to fix it.
 */
export class SidecarConfigError extends Error {
  override readonly name = 'SidecarConfigError';
  /** The setting's flag name without dashes, e.g. `source`. */
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(`draingate-sidecar: ${message}`);
    this.setting = setting;
  }
}
