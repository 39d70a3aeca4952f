// Placeholder: the lead engineer is writing this handler.
export const handler = async (): Promise<never> => {
  throw new Error('not implemented yet');
};
