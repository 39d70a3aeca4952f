/**
 * `npm run openapi`: writes docs/openapi.json from the code (functions/api/openapi.ts). Run it after changing
 * a request or response schema or a route; test/unit/openapi.test.ts fails while the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderOpenApi } from '#api/openapi.js';

const file = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));
writeFileSync(file, renderOpenApi());
process.stdout.write(`wrote ${file}\n`);
