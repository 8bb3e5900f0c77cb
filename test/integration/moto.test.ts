import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';

describe('Integration harness: moto_server', () => {
  it('serves DynamoDB on the injected endpoint', async () => {
    // Prepare
    const endpoint = inject('motoEndpoint');
    const client = new DynamoDBClient({ endpoint, region: 'us-east-1' });
    // Act
    const out = await client.send(new ListTablesCommand({}));
    // Assess
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Array.isArray(out.TableNames)).toBe(true);
  });
});
