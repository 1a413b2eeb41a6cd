/**
 * Thrown at start-up for invalid configuration. The message names the setting (flag and environment variable), the
 * value that was rejected and how to fix it; the CLI prints it and exits 2.
 */
export class ControllerConfigError extends Error {
  override readonly name = 'ControllerConfigError';
  /** The setting's flag name without dashes, e.g. `region`. */
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(message.startsWith('draingate-controller: ') ? message : `draingate-controller: ${message}`);
    this.setting = setting;
  }
}
