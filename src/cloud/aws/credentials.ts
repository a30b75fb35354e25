import {EC2Client} from '@aws-sdk/client-ec2'

import {awsClientConfig, type AwsClientOptions} from './client-config.js'

/**
 * Resolves the credentials the SDK's chain finds for these options, through
 * the same client config every AWS call uses (region, profile, endpoint), and
 * names the key without showing it.
 */
export async function describeCredentials(options: AwsClientOptions): Promise<string> {
  const client = new EC2Client(awsClientConfig(options))
  try {
    const creds = await client.config.credentials()
    return `access key ${creds.accessKeyId.slice(0, 4)}…${creds.accessKeyId.slice(-4)}`
  } finally {
    client.destroy()
  }
}
