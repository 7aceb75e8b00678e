import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('loadConfig', () => {
  it('applies the caps of the contract by default', () => {
    const config = loadConfig({});
    expect(config.caps).toEqual({ maxBatchSize: 500, maxMeterCount: 25_000, maxJobsPerTick: 50, maxQueueDepth: 500 });
    expect(config.workerConcurrency).toBe(8);
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.corsOrigins).toContain('https://app.gridlensenergy.com');
    expect(config.retentionDays).toBe(30);
  });

  it('lets an operator raise a cap deliberately', () => {
    const config = loadConfig({ AMI_MAX_METER_COUNT: '1000000', AMI_MAX_JOBS_PER_TICK: '2000', AMI_MAX_QUEUE_DEPTH: '5000' });
    expect(config.caps.maxMeterCount).toBe(1_000_000);
    expect(config.caps.maxJobsPerTick).toBe(2000);
    expect(config.caps.maxQueueDepth).toBe(5000);
  });

  it('refuses more jobs per tick than the queue may hold', () => {
    expect(() => loadConfig({ AMI_MAX_JOBS_PER_TICK: '600' })).toThrow(/AMI_MAX_JOBS_PER_TICK="600": must be at most AMI_MAX_QUEUE_DEPTH \(500\)/);
    expect(loadConfig({ AMI_MAX_JOBS_PER_TICK: '600', AMI_MAX_QUEUE_DEPTH: '600' }).caps.maxJobsPerTick).toBe(600);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ AMI_API_TOKEN: '', DATABASE_URL: '' })).toMatchObject({ apiToken: undefined, databaseUrl: undefined });
  });

  it('names every bad variable and what it accepts', () => {
    const attempt = () =>
      loadConfig({
        PORT: 'eighty',
        AMI_MAX_BATCH_SIZE: '-5',
        DATABASE_URL: 'mysql://x',
        AMI_API_TOKEN: 'short',
        AMI_CORS_ORIGINS: 'not a url',
        AMI_RETENTION_DAYS: 'a month',
      });
    expect(attempt).toThrow(ConfigError);
    let message = '';
    try {
      attempt();
    } catch (error) {
      message = (error as Error).message;
    }
    for (const variable of ['PORT="eighty"', 'AMI_MAX_BATCH_SIZE="-5"', 'DATABASE_URL', 'AMI_API_TOKEN', 'AMI_CORS_ORIGINS', 'AMI_RETENTION_DAYS="a month"']) {
      expect(message).toContain(variable);
    }
    expect(message).toContain('postgres://');
    expect(message).not.toContain('"short"'); // a secret is never echoed back
  });
});
