/** Where the value of one setting came from. */
export interface ConfigSource {
  /** The option path, e.g. `minDelay` or `lbHealthCheck.margin` (for an unknown variable or option: its name). */
  readonly setting: string;
  /** `env`: a `DRAINGATE_*` variable; `option`: the options object in code; `default`: nobody set it. */
  readonly from: 'env' | 'option' | 'default';
  /** What the user set: the variable (`DRAINGATE_MIN_DELAY`) or the option (`minDelay`); for a default, the option. */
  readonly name: string;
}

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
