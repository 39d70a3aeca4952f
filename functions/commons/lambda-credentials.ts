/**
 * The AWS SDK's default credential provider as Lambda bundles have it: infra/constructs/gridflow-function.ts
 * aliases `@aws-sdk/credential-provider-node` to this module. A function's role credentials are always in its
 * environment, so the default chain (SSO, ini files, credential processes, web identity, container and instance
 * metadata, with their STS and SSO clients: about 135 KiB of every bundle, parsed at every cold start) comes down
 * to its first link. The local runtime and the tests are not bundled and keep the whole chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]): ReturnType<typeof fromEnv> => fromEnv(init);
