import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {FileLeaseStore} from '../../../src/monitor/file-lease.js'
import {leaseContract} from '../../harness/lease-contract.js'

describe('file lease store', () => {
  leaseContract(async () => new FileLeaseStore(path.join(await mkdtemp(path.join(tmpdir(), 'hactl-lease-')), 'leases')))
})
