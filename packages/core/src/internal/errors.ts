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
 * Thrown at start-up for invalid configuration. The message names what the user set (the `DRAINGATE_*` variable
 * when the value came from the environment, the option when it came from code, "the default" for a default), the
 * value that was rejected and an example of a valid one; for a relation between settings, every side of it.
 */
export class DraingateConfigError extends Error {
  override readonly name = 'DraingateConfigError';
  /** The option name, e.g. `maxDelay` (an unknown `DRAINGATE_*` variable or option: its name). */
  readonly setting: string;
  /**
   * The settings the error is about, each with where its value came from: first the one `setting` names, then
   * the other sides of a relation (`minDelay` ≤ `maxDelay`, the shutdown budget). Empty for an error not raised by
   * `resolveConfig` (e.g. `parseDuration`'s).
   */
  readonly sources: readonly ConfigSource[];

  constructor(setting: string, message: string, sources: readonly ConfigSource[] = []) {
    super(`draingate: ${message}`);
    this.setting = setting;
    this.sources = sources;
  }
}
