/**
 * Thrown at start-up for invalid configuration. The message names the setting (option and environment
 * variable), the value that was rejected and an example of a valid one.
 */
export class DraingateConfigError extends Error {
  override readonly name = 'DraingateConfigError';
  /** The option name, e.g. `maxDelay`. */
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(`draingate: ${message}`);
    this.setting = setting;
  }
}
