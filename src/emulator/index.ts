/** Pure generation of AMI interval reads: no database, no clock, no Math.random. */
export * from './time.ts';
export * from './random.ts';
export * from './noise.ts';
export * from './classes.ts';
export * from './tenant.ts';
export * from './localTime.ts';
export * from './climate.ts';
export * from './archetypes.ts';
export * from './fleet.ts';
export * from './load.ts';
export * from './voltage.ts';
export * from './events.ts';
export * from './generate.ts';
export * from './collection.ts';
