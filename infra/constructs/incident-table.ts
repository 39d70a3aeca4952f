/**
 * The county's DynamoDB table, built from functions/storage/table-design.ts (the same design the local
 * runtime's CreateTable uses). Production settings: point-in-time recovery, deletion protection, encryption
 * at rest, and RETAIN so that deleting the stack never deletes a county's incidents.
 *
 * Encryption uses the AWS managed key (aws/dynamodb): the data is encrypted with KMS and every use is in
 * CloudTrail, but no key policy has to be kept in step with the function roles, and a disabled or deleted
 * customer key can never make a county's records unreadable. A county that must hold its own key passes
 * `encryptionKey`.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { INDEXES, TABLE_PARTITION_KEY, TABLE_SORT_KEY, TABLE_TTL_ATTRIBUTE } from '#storage/table-design.js';

export interface IncidentTableProps {
  /** @default - the AWS managed key */
  readonly encryptionKey?: kms.IKey;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export class IncidentTable extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: IncidentTableProps = {}) {
    super(scope, id);
    const str = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: str(TABLE_PARTITION_KEY),
      sortKey: str(TABLE_SORT_KEY),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: props.encryptionKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const index of Object.values(INDEXES)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: str(index.partitionKey),
        sortKey: str(index.sortKey),
        ...(index.projected.length > 0
          ? { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...index.projected] }
          : { projectionType: dynamodb.ProjectionType.KEYS_ONLY }),
      });
    }
  }
}
