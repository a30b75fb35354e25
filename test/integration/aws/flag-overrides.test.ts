import {expect} from 'chai'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {awsEndpoint, type AwsEndpoint} from '../../harness/aws-endpoint.js'
import {hactl, type CliResult} from '../../harness/cli.js'
import {sharedMoto, type Moto} from '../../harness/moto.js'
import {clusterDir, createZone, inspect} from './helpers.js'

/**
 * `--region` and `--profile` override the cluster file for everything a
 * command does, including the parts that run after an edit (the rollout of
 * `backend add`) and the clients other than EC2's. Seen from the cloud's
 * side: every request moto receives is signed with the profile's key and,
 * except Route 53 (a global service, always signed for us-east-1), for the
 * flag's region, never the cluster file's.
 */
describe('--region and --profile reach every AWS client a command creates', function () {
  this.timeout(180_000)
  let moto: Moto
  let recorder: AwsEndpoint
  let dir: string
  let env: Record<string, string>

  const PROFILE_KEY = 'AKIDFLAGGEDPROFILE'
  const DEFAULT_KEY = 'AKIDDEFAULTPROFILE'

  before(async () => {
    moto = await sharedMoto()
    recorder = await awsEndpoint(moto.endpoint)
    const zoneId = await createZone(inspect(moto).r53)
    // The cluster file says us-east-1; the flags say eu-west-1 and a profile whose own region is a third one.
    dir = await clusterDir('flags', zoneId, 'failover: {lease: {table: hactl-flag-leases}}\n')
    const aws = await mkdtemp(path.join(tmpdir(), 'hactl-aws-config-'))
    await writeFile(path.join(aws, 'config'), '[default]\nregion = us-east-1\n\n[profile flagged]\nregion = ap-southeast-2\n')
    await writeFile(
      path.join(aws, 'credentials'),
      `[default]\naws_access_key_id = ${DEFAULT_KEY}\naws_secret_access_key = testing\n\n[flagged]\naws_access_key_id = ${PROFILE_KEY}\naws_secret_access_key = testing\n`,
    )
    env = {
      AWS_ENDPOINT_URL: recorder.endpoint,
      AWS_CONFIG_FILE: path.join(aws, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(aws, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      // Nothing from the test's own environment may choose the account or the region.
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_REGION: '',
      AWS_DEFAULT_REGION: '',
    }
  })
  after(async () => {
    await recorder?.close()
    await moto?.stop()
  })

  /** Run a command with the flags; return what it printed and the scopes of the requests it made. */
  async function withFlags(args: string[]): Promise<{result: CliResult; scopes: AwsEndpoint['scopes']; calls: string[]}> {
    const from = recorder.scopes.length
    const result = await hactl([...args, '--region', 'eu-west-1', '--profile', 'flagged'], {cwd: dir, env})
    return {result, scopes: recorder.scopes.slice(from), calls: recorder.calls.slice(from)}
  }

  const commands: {args: string[]; exit: number}[] = [
    {args: ['proxy', 'list'], exit: 0},
    {args: ['eip', 'list'], exit: 0},
    {args: ['dns', 'show'], exit: 0},
    {args: ['status', '--no-backends'], exit: 0},
    {args: ['health', 'check', '--target', 'addresses'], exit: 0},
    {args: ['proxy', 'launch', '--dry-run', '--check-permissions'], exit: 0},
    {args: ['eip', 'allocate', '--dry-run', '--check-permissions'], exit: 0},
    {args: ['monitor', '--once', '--dry-run'], exit: 0},
    // No instances: nothing to plan the groups for (exit 2), after describing them in the flag's region.
    {args: ['firewall', 'plan'], exit: 2},
    {args: ['lease', 'init'], exit: 0},
    {args: ['lease', 'show'], exit: 0},
    // No proxies in eu-west-1: the rollout that follows the edit finds none there and refuses before writing.
    {args: ['backend', 'add', 'web', '127.0.0.1:9999', '--create'], exit: 2},
    {args: ['config', 'push'], exit: 2},
    {args: ['backend', 'list', '--live'], exit: 2},
  ]

  for (const {args, exit} of commands) {
    it(`hactl ${args.join(' ')}`, async () => {
      const {result, scopes, calls} = await withFlags(args)
      expect(result.code, result.stderr + calls.join(' ')).to.equal(exit)
      expect(scopes, `the command made AWS calls\n${result.stderr}`).to.not.be.empty
      scopes.forEach((scope, i) => {
        expect(scope.accessKey, `${calls[i]} is signed with the profile's key`).to.equal(PROFILE_KEY)
        if (scope.service !== 'route53') expect(scope.region, `${calls[i]} goes to the flag's region`).to.equal('eu-west-1')
      })
    })
  }
})
