#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { runCli } from './internal/cli-main.js';

const code = runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: () => readFileSync(0, 'utf8'),
  color: process.stdout.isTTY === true && !process.env.NO_COLOR,
});
process.exitCode = code;
