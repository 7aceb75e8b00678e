/** Pure generation of AMI interval reads: no database, no clock, no Math.random. */
export * from './time.ts';
export * from './random.ts';
export * from './fleet.ts';
export * from './loadCurve.ts';
export * from './voltage.ts';
export * from './events.ts';
export * from './generate.ts';
