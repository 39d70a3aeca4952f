/** The cold-start floor: a handler with nothing to load, bundled with the stack's settings like every other. */
export const handler = async (): Promise<Record<string, never>> => ({});
