#!/usr/bin/env node
/**
 * The `spillway` command: each subcommand lives in a file of its own
 * (`<name>-command.ts`) and is assembled here. Exit codes (exit-codes.ts):
 * 0 done, 1 a problem found or met, 2 bad usage, with the message and the
 * usage on stderr.
 */
import { Command, CommanderError } from 'commander'
import { addCompactCommand } from './compact-command.js'
import { addDashboardCommand } from './dashboard-command.js'
import { addDumpCommand } from './dump-command.js'
import { USAGE_ERROR } from './exit-codes.js'
import { addGetCommand } from './get-command.js'
import { addProxyCommand } from './proxy-command.js'
import { addPurgeCommand } from './purge-command.js'
import { addStatsCommand } from './stats-command.js'
import { addVerifyCommand } from './verify-command.js'

// A reader that has seen enough (`spillway dump DIR | head`) closes the pipe: stop quietly, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

const program = new Command()
  .name('spillway')
  .description('spillway: a persistent, cross-process cache for Node.js')
  .exitOverride()
  .showHelpAfterError()

const commands = [addProxyCommand, addStatsCommand, addVerifyCommand, addCompactCommand, addDumpCommand, addGetCommand, addPurgeCommand, addDashboardCommand]
for (const add of commands) add(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : USAGE_ERROR)
  throw err
}
