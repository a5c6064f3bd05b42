/** `spillway get DIR KEY`: the value's bytes, as stored, on stdout; exit code 1 when the key holds none. */
import type { Command } from 'commander'
import { SpillwayError } from '../../src/index.js'
import { PROBLEM, USAGE_ERROR } from './exit-codes.js'
import { storeDirectoryArgument, withStore } from './store-directory.js'

export function addGetCommand(program: Command): Command {
  return program.command('get')
    .description('write the value stored under KEY to stdout, as raw bytes; exit code 1 when KEY holds none')
    .argument('<dir>', 'the store directory')
    .argument('<key>', 'the key')
    .action(async (dirArgument: string, key: string, _flags: object, command: Command) => {
      const directory = storeDirectoryArgument(command, dirArgument)
      const value = await withStore('get', directory, async (store) => {
        try {
          return await store.get(key)
        } catch (err) {
          if (err instanceof SpillwayError && err.code.startsWith('ERR_KEY_')) return err
          throw err
        }
      })
      if (value instanceof SpillwayError) return command.error(`error: ${value.message}`, { exitCode: USAGE_ERROR })
      if (value === undefined) {
        console.error(`spillway get: ${JSON.stringify(key)} holds no value in ${directory.dir}`)
        process.exitCode = PROBLEM
        return
      }
      process.stdout.write(value)
    })
}
