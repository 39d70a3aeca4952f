/** GET /health — liveness, no token. */
import { httpHandler, json } from '#commons/http.js';

export const handler = httpHandler({ auth: false }, async () => json(200, { status: 'ok' }));
