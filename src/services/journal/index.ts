export * from './journal.js';
export * from './sql.js';
export * from './types.js';
