/** `spillway purge DIR --tag T`: invalidates every entry carrying tag T, in every process sharing the directory, and prints how many. */
import type { Command } from 'commander'
import { SpillwayError } from '../../src/index.js'
import { USAGE_ERROR } from './exit-codes.js'
import { storeDirectoryArgument, withStore } from './store-directory.js'

export function addPurgeCommand(program: Command): Command {
  return program.command('purge')
    .description('invalidate every entry carrying a tag (durable before the command exits); prints how many there were')
    .argument('<dir>', 'the store directory')
    .requiredOption('--tag <tag>', 'the tag to purge')
    .action(async (dirArgument: string, flags: { tag: string }, command: Command) => {
      const directory = storeDirectoryArgument(command, dirArgument)
      const purged = await withStore('purge', directory, async (store) => {
        try {
          const count = await store.purgeTag(flags.tag)
          await store.flush()
          return count
        } catch (err) {
          if (err instanceof SpillwayError && (err.code === 'ERR_VALUE_INVALID' || err.code === 'ERR_VALUE_TOO_LARGE')) return err
          throw err
        }
      }, { durability: 'always' })
      if (purged instanceof SpillwayError) return command.error(`error: --tag: ${purged.message}`, { exitCode: USAGE_ERROR })
      console.log(String(purged))
    })
}
