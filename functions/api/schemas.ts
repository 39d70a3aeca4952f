/**
 * Request schemas of contract §4: validated at the edge, so the domain only sees well-formed input. Every
 * text field is built with `text()` (functions/commons/text.ts); every value that reaches DynamoDB is bounded
 * so that no accepted request can fail there (key sizes, number range, dates the API can write back).
 *
 * One module per schema, so that a handler builds only its own at a cold start (zod builds a schema when its
 * module is evaluated); this module lists them all for the OpenAPI document and the tests.
 */
export * from './report-body.js';
export * from './action-body.js';
export * from './list-query.js';
export * from './stats-query.js';
