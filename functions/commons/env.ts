/** A variable the stack always sets (table, topics, state machine): missing means a broken deployment. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
