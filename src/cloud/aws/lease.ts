/**
 * The monitor lease in DynamoDB: one item per lease (`name` is the key) with
 * holder, fencing token and expiry. Every change is a conditional write on the
 * state just read, so two monitors racing for an expired lease cannot both win:
 * the loser gets ConditionalCheckFailedException and stands down.
 */
import type {DynamoDBClient} from '@aws-sdk/client-dynamodb'

import {CloudError} from '../../errors.js'
import type {Lease, LeaseStore} from '../lease-store.js'
import {awsClientConfig, type AwsClientOptions} from './client-config.js'
import {aws, errorName} from './errors.js'

const CONFLICT = 'ConditionalCheckFailedException'

export async function createDynamoLeaseStore(table: string, options: AwsClientOptions = {}): Promise<LeaseStore> {
  const sdk = await import('@aws-sdk/client-dynamodb')
  const client = new sdk.DynamoDBClient(awsClientConfig(options))
  return new DynamoLeaseStore(table, client, sdk)
}

type Sdk = typeof import('@aws-sdk/client-dynamodb')

class DynamoLeaseStore implements LeaseStore {
  constructor(
    readonly table: string,
    private readonly client: DynamoDBClient,
    private readonly sdk: Sdk,
  ) {}

  get where(): string {
    return `DynamoDB table ${this.table}`
  }

  async init(): Promise<{created: boolean}> {
    const {CreateTableCommand, waitUntilTableExists} = this.sdk
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName: this.table,
          AttributeDefinitions: [{AttributeName: 'name', AttributeType: 'S'}],
          KeySchema: [{AttributeName: 'name', KeyType: 'HASH'}],
          BillingMode: 'PAY_PER_REQUEST',
          Tags: [{Key: 'hactl:role', Value: 'lease'}],
        }),
      )
    } catch (error) {
      if (errorName(error) === 'ResourceInUseException') return {created: false}
      return aws(`dynamodb CreateTable ${this.table}`, () => Promise.reject(error))
    }
    await aws(`dynamodb DescribeTable ${this.table}`, () => waitUntilTableExists({client: this.client, maxWaitTime: 120, minDelay: 1}, {TableName: this.table}))
    return {created: true}
  }

  async read(name: string): Promise<Lease | undefined> {
    const out = await aws(`dynamodb GetItem ${this.table}`, async () => {
      try {
        return await this.client.send(new this.sdk.GetItemCommand({TableName: this.table, Key: {name: {S: name}}, ConsistentRead: true}))
      } catch (error) {
        if (errorName(error) !== 'ResourceNotFoundException') throw error
        throw new CloudError(`the lease table ${this.table} does not exist`, {
          cause: error,
          actions: ['Create it with `hactl lease init` (once per account and region), or fix failover.lease.table.'],
        })
      }
    })
    const item = out.Item
    if (!item) return undefined
    return {name, holder: item.holder?.S ?? '', token: Number(item.token?.N ?? 0), expiresAt: Number(item.expiresAt?.N ?? 0)}
  }

  async acquire(name: string, holder: string, ttlMs: number, now = Date.now()): Promise<Lease | undefined> {
    const current = await this.read(name)
    const expiresAt = now + ttlMs
    if (current && current.expiresAt > now) {
      if (current.holder !== holder) return undefined
      const renewed = await this.conditional(`dynamodb UpdateItem ${this.table}`, () =>
        this.client.send(
          new this.sdk.UpdateItemCommand({
            TableName: this.table,
            Key: {name: {S: name}},
            UpdateExpression: 'SET expiresAt = :exp',
            ConditionExpression: 'holder = :me AND #token = :token',
            ExpressionAttributeNames: {'#token': 'token'},
            ExpressionAttributeValues: {':exp': {N: String(expiresAt)}, ':me': {S: holder}, ':token': {N: String(current.token)}},
          }),
        ),
      )
      return renewed ? {...current, expiresAt} : undefined
    }
    const lease: Lease = {name, holder, token: (current?.token ?? 0) + 1, expiresAt}
    const taken = await this.conditional(`dynamodb PutItem ${this.table}`, () =>
      this.client.send(
        new this.sdk.PutItemCommand({
          TableName: this.table,
          Item: {name: {S: name}, holder: {S: holder}, token: {N: String(lease.token)}, expiresAt: {N: String(expiresAt)}},
          // Compare-and-set on exactly what was read: absent, or the same expired holder and token.
          ...(current
            ? {
                ConditionExpression: '#token = :token AND expiresAt = :was',
                ExpressionAttributeNames: {'#token': 'token'},
                ExpressionAttributeValues: {':token': {N: String(current.token)}, ':was': {N: String(current.expiresAt)}},
              }
            : {ConditionExpression: 'attribute_not_exists(#name)', ExpressionAttributeNames: {'#name': 'name'}}),
        }),
      ),
    )
    return taken ? lease : undefined
  }

  async release(name: string, holder: string): Promise<void> {
    await this.conditional(`dynamodb UpdateItem ${this.table}`, () =>
      this.client.send(
        new this.sdk.UpdateItemCommand({
          TableName: this.table,
          Key: {name: {S: name}},
          UpdateExpression: 'SET expiresAt = :zero',
          ConditionExpression: 'holder = :me',
          ExpressionAttributeValues: {':zero': {N: '0'}, ':me': {S: holder}},
        }),
      ),
    )
  }

  /** Run a conditional write: false when the condition failed (someone else holds the lease). */
  private async conditional(call: string, write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write()
      return true
    } catch (error) {
      if (errorName(error) === CONFLICT) return false
      return aws(call, () => Promise.reject(error))
    }
  }
}
