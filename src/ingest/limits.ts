import type { Caps } from '../config.ts';
import type { FieldError } from '../errors.ts';

export interface TickShape {
  meterCount: number;
  feederCount: number;
  batchSize: number;
}

/** Batch jobs that make one interval of this shape whole. */
export function batchCount(shape: Pick<TickShape, 'meterCount' | 'batchSize'>): number {
  return Math.ceil(shape.meterCount / shape.batchSize);
}

/**
 * The caps every publish obeys, whoever asks (REST, scheduler, catch-up).
 * Returns one error per field, naming the cap and the variable that sets it.
 */
export function tickShapeErrors(caps: Caps, shape: TickShape): FieldError[] {
  const errors: FieldError[] = [];
  if (shape.meterCount > caps.maxMeterCount) {
    errors.push({ field: 'meterCount', message: `must be at most ${caps.maxMeterCount} (cap maxMeterCount, AMI_MAX_METER_COUNT)` });
  }
  if (shape.batchSize > caps.maxBatchSize) {
    errors.push({ field: 'batchSize', message: `must be at most ${caps.maxBatchSize} (cap maxBatchSize, AMI_MAX_BATCH_SIZE)` });
  }
  if (shape.feederCount > shape.meterCount) {
    errors.push({ field: 'feederCount', message: `must be at most meterCount (${shape.meterCount}): every feeder needs a meter` });
  }
  const jobs = batchCount(shape);
  if (errors.length === 0 && jobs > caps.maxJobsPerTick) {
    errors.push({
      field: 'batchSize',
      message: `gives ${jobs} jobs per tick, above the cap of ${caps.maxJobsPerTick} (maxJobsPerTick, AMI_MAX_JOBS_PER_TICK): use batchSize >= ${Math.ceil(shape.meterCount / caps.maxJobsPerTick)}`,
    });
  }
  return errors;
}
