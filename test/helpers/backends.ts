import { availableBackends, type BackendName } from '../../src/native.js'

/** Every backend this process can run, so one suite runs against each. */
export const BACKENDS: BackendName[] = availableBackends()
