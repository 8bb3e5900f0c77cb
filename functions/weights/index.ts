// placeholder until the weight logic lands with the scoring core
export const handler = async (): Promise<void> => {};
