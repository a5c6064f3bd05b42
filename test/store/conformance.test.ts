import { openStore } from '../../src/index.js'
import { BACKENDS } from '../helpers/backends.js'
import { storeConformance } from './conformance.js'

for (const backend of BACKENDS) storeConformance(`${backend} backend`, (options) => openStore({ backend, ...options }))
