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

/**
 * Node's argument parser's complaint as a config error, in one line: a value that starts with a dash
 * (`--propagation-bound -5s`) is taken for a flag, which the parser says in three lines of its own; for the rest,
 * its first line.
 */
export function argvError(e: NodeJS.ErrnoException, argv: readonly string[]): SidecarConfigError {
  const help = 'Run with --help for the list of settings.';
  const flag = /'(-[^' ]+)/.exec(e.message)?.[1];
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag !== undefined) {
    const next = argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined;
    const setting = flag.replace(/^-+/, '');
    if (next?.startsWith('-')) {
      return new SidecarConfigError(
        setting,
        `${flag} is followed by ${JSON.stringify(next)}, which starts with a dash and is taken for a flag: write ${flag}=${next} if it is the value.`,
      );
    }
    return new SidecarConfigError(setting, `${flag} needs a value, e.g. ${flag}=<value>. ${help}`);
  }
  return new SidecarConfigError('argv', `${(e.message ?? String(e)).split('\n')[0]?.replace(/\.$/, '')}. ${help}`);
}
