export * from './decode';
export * from './timestamp';
