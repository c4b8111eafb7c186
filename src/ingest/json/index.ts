export * from './decode';
export * from './schema';
